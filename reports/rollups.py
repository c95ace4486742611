"""The report's figures kept month by month as the history is written, so a month of the whole
city costs about as much as a month of one street.

Each case's figures per month (CaseMonth) are a function of the case and its history alone:
`facts_of` below, the same counting rules as reports/figures.py states. Whenever a row a
figure reads is saved (a history row, or a case's deadline or link changed), `refresh` works
the case's months out again inside that transaction and moves the difference into the place
totals (PlaceMonth), one row per street, community and grid, category and channel. A rolled-back
move rolls its figures back with it. `rebuild` works everything out from the history, for data
loaded in bulk (the demo street, the benchmark's city) and as the check the tests make.
"""

from collections import defaultdict
from datetime import date

from django.apps import apps as django_apps
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from cases.models import Case, CaseEvent, Escalation, Outcome, ResidentRating, Satisfaction, State
from common.bulk import copy_rows

from . import kept
from .models import FIGURE_COLUMNS, CaseMonth, Level, PlaceMonth

# The history rows a figure reads; the others (tasks, notes…) change no figure.
COUNTED_MOVES = ("accept", "decline", "resolve", "verify", "hotline_visit", "rated", "escalated")
CASE_FIELDS = (
    "id",
    "created_at",
    "accept_by",
    "response_deadline",
    "resolved_at",
    "state",
    "duplicate_of_id",
    "channel",
    "category_id",
    "street_id",
    "community_id",
    "grid_id",
)
# Saving one of these on a case changes its figures even when no history row follows.
FIGURE_INPUTS = frozenset(
    {"accept_by", "response_deadline", "resolved_at", "state", "duplicate_of", "category"}
)
OUTCOME_COLUMNS = {outcome: f"outcome_{outcome}" for outcome in Outcome.values}
# A case's month row: what it is counted under, then its figures.
KEY_FIELDS = ("street_id", "community_id", "grid_id", "category_id", "channel")
MONTH_FIELDS = ("month", *KEY_FIELDS, "seconds_to_resolve", *FIGURE_COLUMNS)


def month_of(moment) -> date:
    """The report month a moment falls in, in the street's time zone (as the periods are)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def facts_of(case: dict, events, rating, escalations) -> dict:
    """{month: {figure: n, ..., "seconds_to_resolve": s or None}} for one case.

    `case` has CASE_FIELDS; `events` are (id, move, at, outcome, satisfaction) of the counted
    moves; `rating` is (satisfaction, rated_at) or None; `escalations` their raised_at.
    """
    months = defaultdict(lambda: dict.fromkeys(FIGURE_COLUMNS, 0))
    months[month_of(case["created_at"])]["received"] = 1
    last = {}  # (move, month) -> the month's last event of that move: a later one supersedes
    for event in sorted(events, key=lambda e: e[0]):
        event_id, move, at, _outcome, _satisfaction = event
        month = month_of(at)
        if move == "accept":
            months[month]["accepted"] = 1
            if case["accept_by"] is not None and at <= case["accept_by"]:
                months[month]["accepted_on_time"] = 1
        elif move == "decline":
            months[month]["declined"] = 1
        elif move in ("resolve", "verify", "hotline_visit"):
            last[move, month] = event
        elif move == "escalated":
            pass  # counted from the escalations themselves, at the time they were raised
    for (move, month), (_id, _move, at, outcome, satisfaction) in last.items():
        figures = months[month]
        if move == "resolve":
            figures["resolved"] = 1
            if outcome in OUTCOME_COLUMNS:
                figures[OUTCOME_COLUMNS[outcome]] = 1
            figures["seconds_to_resolve"] = (at - case["created_at"]).total_seconds()
        else:
            # A follow-up visit, or the hotline's 回访: both count in the satisfaction rate.
            if move == "verify":
                figures["verified"] = 1
                rated = satisfaction in Satisfaction.values
            else:
                figures["hotline_visits"] = 1
                rated = True
            _count_satisfaction(figures, satisfaction, rated)
    if rating is not None:
        satisfaction, rated_at = rating
        _count_satisfaction(months[month_of(rated_at)], satisfaction, True)
    for raised_at in escalations:
        months[month_of(raised_at)]["escalated"] += 1
    if _overdue(case):
        months[month_of(case["response_deadline"])]["overdue"] = 1
    return {month: {"seconds_to_resolve": None, **figures} for month, figures in months.items()}


def _count_satisfaction(figures, satisfaction, rated):
    figures["satisfied"] += satisfaction == Satisfaction.SATISFIED
    figures["basically"] += satisfaction == Satisfaction.BASICALLY
    figures["with_satisfaction"] += rated


def _overdue(case) -> bool:
    """The deadline passed unresolved: not declined, not a linked repeat (closed with its
    original), and not resolved by the deadline."""
    deadline = case["response_deadline"]
    return (
        deadline is not None
        and case["state"] != State.DECLINED
        and case["duplicate_of_id"] is None
        and (case["resolved_at"] is None or case["resolved_at"] > deadline)
    )


def _events_of(history, case_filter: Q):
    return history.objects.filter(case_filter, move__in=COUNTED_MOVES).values_list(
        "case_id",
        "id",
        "move",
        "at",
        KT("details__outcome"),
        KT("details__satisfaction"),
    )


def _month_rows(model, case: dict, facts: dict) -> list[CaseMonth]:
    key = {field: case[field] for field in KEY_FIELDS}
    return [
        model(case_id=case["id"], month=month, **key, **figures) for month, figures in facts.items()
    ]


def refresh(case_id: int, new_case: Case | None = None) -> None:
    """Work out one case's months again and move the difference into the place totals.

    Called inside the transaction that changed the case. `new_case` is a case just inserted:
    it has no history, rating or escalation yet, and no months to take back.
    """
    # No savepoint of its own: the caller's transaction is the move's, and a failure here
    # fails the move. (Outside one, the statements below still run as one transaction.)
    with transaction.atomic(savepoint=False):
        if new_case is not None:
            case = {field: getattr(new_case, field) for field in CASE_FIELDS}
            events, rating, escalations, old = [], None, [], []
        else:
            case = Case.objects.select_for_update().filter(pk=case_id).values(*CASE_FIELDS).first()
            if case is None:
                return
            events = [row[1:] for row in _events_of(CaseEvent, Q(case_id=case_id))]
            rating = (
                ResidentRating.objects.filter(case_id=case_id)
                .values_list("satisfaction", "rated_at")
                .first()
            )
            escalations = list(
                Escalation.objects.filter(case_id=case_id).values_list("raised_at", flat=True)
            )
            old = list(CaseMonth.objects.filter(case_id=case_id).values("case_id", *MONTH_FIELDS))
        new = _month_rows(CaseMonth, case, facts_of(case, events, rating, escalations))
        if _as_dicts(new) == _sorted(old):
            return
        delta = defaultdict(lambda: dict.fromkeys(FIGURE_COLUMNS, 0))
        _add(delta, old, -1)
        _add(delta, _as_dicts(new), 1)
        months = connection.ops.quote_name(CaseMonth._meta.db_table)
        statements = [(f"DELETE FROM {months} WHERE case_id = %s", [case_id])] if old else []
        statements += [_insert(CaseMonth, ["case_id", *MONTH_FIELDS], _as_dicts(new))]
        statements += _upsert(delta)
        statements += kept.replace(_months_changed(old, _as_dicts(new)))
        _execute(statements)


def _months_changed(old: list[dict], new: list[dict]) -> set:
    """The months whose rows differ: a past one's kept figures are worked out again."""
    return {row["month"] for row in old if row not in new} | {
        row["month"] for row in new if row not in old
    }


def _as_dicts(rows: list[CaseMonth]) -> list[dict]:
    return _sorted(
        [{"case_id": row.case_id, **{f: getattr(row, f) for f in MONTH_FIELDS}} for row in rows]
    )


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["month"])


def _place_keys(month, row):
    """The three totals a case's month counts in: its street's, community's and grid's."""
    common = (row["category_id"], row["channel"])
    street, community, grid = row["street_id"], row["community_id"], row["grid_id"]
    return [
        (month, Level.STREET.value, street, street, None, None, *common),
        (month, Level.COMMUNITY.value, community, street, community, None, *common),
        (month, Level.GRID.value, grid, street, community, grid, *common),
    ]


PLACE_KEY = (
    "month",
    "level",
    "place_id",
    "street_id",
    "community_id",
    "grid_id",
    "category_id",
    "channel",
)


def _add(totals, rows, sign):
    for row in rows:
        for key in _place_keys(row["month"], row):
            figures = totals[key]
            for column in FIGURE_COLUMNS:
                figures[column] += sign * row[column]


def _insert(model, columns, rows: list[dict]):
    table = connection.ops.quote_name(model._meta.db_table)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([marks] * len(rows))
    return sql, [row[column] for row in rows for column in columns]


def _execute(statements):
    """The case's months and the totals in one round trip on PostgreSQL (logging a case is
    the page residents and grid workers wait on); one after the other elsewhere."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "; ".join(sql for sql, _params in statements),
                [param for _sql, params in statements for param in params],
            )
            return
        for sql, params in statements:
            cursor.execute(sql, params)


def _upsert(totals) -> list:
    """Adding to the place totals, in key order, so two moves never wait on each other in turn;
    no statement when nothing changed."""
    changed = sorted((key, figures) for key, figures in totals.items() if any(figures.values()))
    if not changed:
        return []
    table = connection.ops.quote_name(PlaceMonth._meta.db_table)
    columns = [*PLACE_KEY, *FIGURE_COLUMNS]
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    additions = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in FIGURE_COLUMNS)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        + ", ".join([row_marks] * len(changed))
        + " ON CONFLICT (month, level, place_id, category_id, channel) DO UPDATE SET "
        + additions
    )
    params = []
    for key, figures in changed:
        params += [*key, *(figures[c] for c in FIGURE_COLUMNS)]
    return [(sql, params)]


def rebuild(batch: int = 5000, apps=None) -> int:
    """Work every case's months out from the history and sum the place totals anew.

    For data loaded in bulk, which writes no row through the ORM's save, and for the migration
    that brought the rollups in (`apps`: its models). Returns the number of cases read.
    """
    get = (apps or django_apps).get_model
    cases_, history, ratings_, escalations_ = (
        get("cases", name) for name in ("Case", "CaseEvent", "ResidentRating", "Escalation")
    )
    case_months, place_months = get("reports", "CaseMonth"), get("reports", "PlaceMonth")
    cases_read = 0
    totals = defaultdict(lambda: dict.fromkeys(FIGURE_COLUMNS, 0))
    with transaction.atomic():
        case_months.objects.all().delete()
        place_months.objects.all().delete()
        last_id = 0
        while True:
            cases = list(
                cases_.objects.filter(pk__gt=last_id).order_by("pk").values(*CASE_FIELDS)[:batch]
            )
            if not cases:
                break
            first_id, last_id = cases[0]["id"], cases[-1]["id"]
            in_batch = Q(case_id__gte=first_id, case_id__lte=last_id)
            events, ratings, escalations = defaultdict(list), {}, defaultdict(list)
            for row in _events_of(history, in_batch):
                events[row[0]].append(row[1:])
            for case_id, satisfaction, rated_at in ratings_.objects.filter(in_batch).values_list(
                "case_id", "satisfaction", "rated_at"
            ):
                ratings[case_id] = (satisfaction, rated_at)
            for case_id, raised_at in escalations_.objects.filter(in_batch).values_list(
                "case_id", "raised_at"
            ):
                escalations[case_id].append(raised_at)
            rows = []
            for case in cases:
                facts = facts_of(
                    case, events[case["id"]], ratings.get(case["id"]), escalations[case["id"]]
                )
                rows += _month_rows(case_months, case, facts)
            month_rows = _as_dicts(rows)
            _write(
                case_months,
                ["case_id", *MONTH_FIELDS],
                [(month["case_id"], *(month[f] for f in MONTH_FIELDS)) for month in month_rows],
            )
            _add(totals, month_rows, 1)
            cases_read += len(cases)
        _write(
            place_months,
            [*PLACE_KEY, *FIGURE_COLUMNS],
            [(*key, *(figures[c] for c in FIGURE_COLUMNS)) for key, figures in totals.items()],
        )
        if apps is None:  # (the migration that brought the rollups in had no tokens yet)
            kept.replace_all(
                case_months.objects.order_by("month").values_list("month", flat=True).first()
            )
    return cases_read


def _write(model, columns, rows):
    """Insert many rows: PostgreSQL's COPY (a million cases' months in seconds), else in
    batches."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000
        )
        return
    copy_rows(model._meta.db_table, columns, rows)


def follow_change(change) -> None:
    """A consequence of each recorded change (cases/consequences.py): the case's figures
    follow its history in the same transaction. Logging (点单) itself changes none (the case's
    insert was counted), nor does anonymising (a name and a phone are no figure)."""
    if change.change not in ("log", "anonymised"):
        refresh(change.case.pk)


def refresh_after_case_saved(sender, instance: Case, created, update_fields=None, raw=False, **kw):
    """A new case counts as received at once; a deadline moved or a repeat linked changes the
    figures with no counted history row following. (The workflow's full save of a move is
    always followed by the move's history row.)"""
    if raw:
        return
    if created:
        refresh(instance.pk, new_case=instance)
    elif update_fields and FIGURE_INPUTS & set(update_fields):
        refresh(instance.pk)


def refresh_after_rating_or_escalation(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        refresh(instance.case_id)
