"""The report's figures: what each one counts, and the database aggregates that count it.

Counts follow the case history (append-only), so a month's figures rest on what happened in
that month. A case resolved twice in one month (reopened in between) counts once, with the
outcome of its last resolution; resolved in October and again in November, it counts in both.

    received           cases logged in the period
    accepted           cases accepted (接单) in the period
    accepted_on_time   …of which within the street's response time set when logged
    declined           cases declined in the period
    resolved           cases resolved (解单) in the period, by outcome of the last resolution
    verified           follow-up visits (查单) recorded in the period, by satisfaction
    overdue            cases whose deadline fell in the period, has passed, and was not met
    escalated          escalations (督办) raised in the period
    response_rate      accepted_on_time / accepted
    resolution_rate    resolved with outcome 已解决 / resolved
    satisfaction_rate  (满意 + 基本满意) / follow-up visits, residents' ratings and the 12345
                       hotline's 回访 (counted apart too, as hotline_visits)
    median_days        median days from logging to the last resolution in the period
"""

import statistics
from collections import defaultdict

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.categories import category_label
from cases.models import (
    Case,
    CaseEvent,
    Channel,
    Escalation,
    Outcome,
    ResidentRating,
    Satisfaction,
    State,
)
from meetings.models import Kind, Meeting, Venue
from meetings.selectors import HELD_STATES

COUNTS = [
    ("received", _("Received"), _("Cases logged in the period.")),
    ("accepted", _("Accepted"), _("Cases accepted in the period.")),
    (
        "accepted_on_time",
        _("Accepted on time"),
        _("Accepted within the street's response time, as set when the case was logged."),
    ),
    ("declined", _("Declined"), _("Cases declined in the period.")),
    (
        "resolved",
        _("Resolved"),
        _("Cases resolved in the period, whatever the outcome; a case resolved twice counts once."),
    ),
    ("outcome_resolved", _("…resolved"), _("Resolutions with the outcome “resolved”.")),
    (
        "outcome_partly",
        _("…partly"),
        _("Resolutions with the outcome “partly resolved”."),
    ),
    (
        "outcome_cannot",
        _("…cannot"),
        _("Outcome “cannot be resolved”: the resident was referred."),
    ),
    (
        "outcome_not_needed",
        _("…no longer needed"),
        _("Resolutions with the outcome “no longer needed”."),
    ),
    ("verified", _("Verified"), _("Follow-up visits recorded in the period.")),
    (
        "overdue",
        _("Overdue"),
        _("Cases whose deadline fell in the period and that were not resolved by it."),
    ),
    ("escalated", _("Escalated"), _("Escalations to the street raised in the period.")),
]
RATES = [
    ("response_rate", _("Response rate"), _("Accepted on time ÷ accepted.")),
    (
        "resolution_rate",
        _("Resolution rate"),
        _("Resolved with the outcome “resolved” ÷ all resolved."),
    ),
    (
        "satisfaction_rate",
        _("Satisfaction rate"),
        _("“Satisfied” + “fairly” ÷ follow-up visits and residents' ratings."),
    ),
]
MEDIAN = (
    "median_days",
    _("Median days to resolve"),
    _("Median days from logging to resolution, for cases resolved in the period."),
)
LABELS = {key: (label, help_text) for key, label, help_text in [*COUNTS, *RATES, MEDIAN]}
COUNT_KEYS = [key for key, _label, _help in COUNTS]
# The cases behind each rate, as its list shows them: those it is taken over (its whole), and
# of them those it counts (its part).
RATE_CASES = {
    "response_rate": ("accepted_on_time", "accepted"),
    "resolution_rate": ("outcome_resolved", "resolved"),
    "satisfaction_rate": ("satisfied_answers", "answered"),
}
# What the cases a rate counts are, said in a sentence of the rate's list ("Counted in the rate:
# 21 of these cases, resolved with the outcome “resolved”").
COUNTED_AS = {
    "response_rate": _("accepted on time"),
    "resolution_rate": _("resolved with the outcome “resolved”"),
    "satisfaction_rate": _("answered “satisfied” or “fairly”"),
}
# Figures whose cell links to the cases behind it.
DRILLABLE = [*COUNT_KEYS, *RATE_CASES]
# The lists behind a rate that are no figure of their own.
LIST_LABELS = {
    "answered": (
        _("Answers on satisfaction"),
        _(
            "Cases with a follow-up visit, a resident's own rating or a 12345 follow-up call in "
            "the period; a case answered twice is listed once."
        ),
    ),
    "satisfied_answers": (
        _("Satisfied answers"),
        _("Of those, the cases with an answer “satisfied” or “fairly”."),
    ),
}
# An outcome's label as a list's heading: "…cannot" reads only under "Resolved" in the report.
OUTCOME_LIST_LABELS = {
    "outcome_resolved": _("Outcome: resolved"),
    "outcome_partly": _("Outcome: partly resolved"),
    "outcome_cannot": _("Outcome: cannot be resolved"),
    "outcome_not_needed": _("Outcome: no longer needed"),
}
# The hidden counts the rates are made of; additive, so totals are sums of rows.
PARTS = ["satisfied", "basically", "with_satisfaction", "hotline_visits"]


class Median(Aggregate):
    """PostgreSQL's median; the embedded SQLite default takes the values and sorts them."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _days_to_resolve():
    return Func(
        F("at") - F("case__created_at"),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


def _in(period, field):
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _last(move, period):
    """Events that are the case's last of this move in the period (a later one supersedes)."""
    later = CaseEvent.objects.filter(
        case=OuterRef("case"), move=move, id__gt=OuterRef("id")
    ).filter(_in(period, "at"))
    return CaseEvent.objects.filter(_in(period, "at"), move=move).exclude(Exists(later))


def case_place(place: Q) -> Q:
    """The place filter of cases, as seen from a row that has a `case` (nested Qs too)."""
    moved = Q()
    moved.connector, moved.negated = place.connector, place.negated
    moved.children = [
        (f"case__{child[0]}", child[1]) if isinstance(child, tuple) else case_place(child)
        for child in place.children
    ]
    return moved


def compute(place: Q, group: str, period, channel=None) -> dict:
    """{"rows": {group id: figures}, "total": figures} for cases under `place` (a Q on Case).

    `group` is "community_id" or "grid_id". A bounded number of queries: one per kind of figure,
    grouped, whatever the number of cases. `channel` counts one channel's cases alone (the
    12345 hotline's, whose 三率 the city ranks streets by).
    """
    rows = defaultdict(lambda: defaultdict(int))
    case_group = f"case__{group}"
    of_case = Q(case__channel=channel) if channel else Q()
    for row in (
        Case.objects.filter(
            place, _in(period, "created_at"), **({"channel": channel} if channel else {})
        )
        .values(group)
        .annotate(n=Count("id"))
    ):
        rows[row[group]]["received"] = row["n"]
    # History rows carry their case's place: `place` and `group` apply to them directly.
    events = CaseEvent.objects.filter(place, of_case, _in(period, "at"))
    for row in (
        events.filter(move__in=["accept", "decline"])
        .values(group)
        .annotate(
            accepted=Count("case", distinct=True, filter=Q(move="accept")),
            accepted_on_time=Count(
                "case", distinct=True, filter=Q(move="accept", at__lte=F("case__accept_by"))
            ),
            declined=Count("case", distinct=True, filter=Q(move="decline")),
        )
    ):
        rows[row[group]].update({k: row[k] for k in ("accepted", "accepted_on_time", "declined")})
    outcomes = {f"outcome_{o}": Count("id", filter=Q(details__outcome=o)) for o in Outcome.values}
    for row in (
        _last("resolve", period)
        .filter(place, of_case)
        .values(group)
        .annotate(resolved=Count("id"), **outcomes)
    ):
        rows[row[group]].update({k: row[k] for k in ["resolved", *outcomes]})
    for row in (
        _last("verify", period)
        .filter(place, of_case)
        .values(group)
        .annotate(
            verified=Count("id"),
            satisfied=Count("id", filter=Q(details__satisfaction=Satisfaction.SATISFIED)),
            basically=Count("id", filter=Q(details__satisfaction=Satisfaction.BASICALLY)),
            with_satisfaction=Count("id", filter=Q(details__satisfaction__in=Satisfaction.values)),
        )
    ):
        rows[row[group]].update(
            {k: row[k] for k in ["verified", "satisfied", "basically", "with_satisfaction"]}
        )
    # Residents' own ratings count in the satisfaction rate beside the follow-up visits.
    for row in (
        ResidentRating.objects.filter(case_place(place), of_case, _in(period, "rated_at"))
        .values(case_group)
        .annotate(
            n=Count("id"),
            satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically=Count("id", filter=Q(satisfaction=Satisfaction.BASICALLY)),
        )
    ):
        figures = rows[row[case_group]]
        figures["satisfied"] += row["satisfied"]
        figures["basically"] += row["basically"]
        figures["with_satisfaction"] += row["n"]
    # The hotline's 回访 (interop) counts in the satisfaction rate too, and is counted apart.
    for row in (
        _last("hotline_visit", period)
        .filter(place, of_case)
        .values(group)
        .annotate(
            n=Count("id"),
            satisfied=Count("id", filter=Q(details__satisfaction=Satisfaction.SATISFIED)),
            basically=Count("id", filter=Q(details__satisfaction=Satisfaction.BASICALLY)),
        )
    ):
        figures = rows[row[group]]
        figures["satisfied"] += row["satisfied"]
        figures["basically"] += row["basically"]
        figures["with_satisfaction"] += row["n"]
        figures["hotline_visits"] += row["n"]
    overdue = overdue_cases(place, period).filter(**({"channel": channel} if channel else {}))
    for row in overdue.values(group).annotate(n=Count("id")):
        rows[row[group]]["overdue"] = row["n"]
    for row in (
        Escalation.objects.filter(case_place(place), of_case, _in(period, "raised_at"))
        .values(case_group)
        .annotate(n=Count("id"))
    ):
        rows[row[case_group]]["escalated"] = row["n"]
    medians = _medians(place & of_case, group, period)
    result = {"rows": {}, "total": defaultdict(int)}
    for key, figures in rows.items():
        for name in COUNT_KEYS + PARTS:
            result["total"][name] += figures.get(name, 0)
        result["rows"][key] = with_rates(figures, medians.get(key))
    result["total"] = with_rates(result["total"], medians.get("total"))
    return result


def with_rates(figures, median):
    figures = {name: figures.get(name, 0) for name in COUNT_KEYS + PARTS}
    figures["response_rate"] = _rate(figures["accepted_on_time"], figures["accepted"])
    figures["resolution_rate"] = _rate(figures["outcome_resolved"], figures["resolved"])
    figures["satisfaction_rate"] = _rate(
        figures["satisfied"] + figures["basically"], figures["with_satisfaction"]
    )
    figures["median_days"] = round(median, 1) if median is not None else None
    return figures


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _medians(place, group, period) -> dict:
    resolves = _last("resolve", period).filter(place)
    if connection.vendor == "postgresql":
        medians = {
            row[group]: row["m"] / 86400
            for row in resolves.values(group).annotate(m=Median(_days_to_resolve()))
        }
        total = resolves.aggregate(m=Median(_days_to_resolve()))["m"]
        medians["total"] = total / 86400 if total is not None else None
        return medians
    durations = defaultdict(list)
    for key, at, created in resolves.values_list(group, "at", "case__created_at"):
        days = (at - created).total_seconds() / 86400
        durations[key].append(days)
        durations["total"].append(days)
    return {key: statistics.median(values) for key, values in durations.items()}


def _with_a_deadline_to_meet(place):
    """The cases a deadline counts for: not declined, not a linked repeat (closed with its
    original), as the rollups count them (rollups._overdue)."""
    return (
        Case.objects.filter(place).exclude(state=State.DECLINED).filter(duplicate_of__isnull=True)
    )


def overdue_cases(place, period):
    """Cases whose deadline fell in the period, has passed, and found them unresolved."""
    return (
        _with_a_deadline_to_meet(place)
        .filter(_in(period, "response_deadline"))
        .filter(response_deadline__lt=timezone.now())  # due later this month: not yet late
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("response_deadline")))
    )


def not_yet_due(place, period):
    """The cases the rollups count as overdue in a month that is not over, whose deadline is
    still ahead: a rollup row changes only when its case does, not as the clock passes a
    deadline, so the report takes these off when it reads the month. None when the period is
    over (every deadline in it has passed)."""
    now = timezone.now()
    if period.end <= now:
        return None
    return _with_a_deadline_to_meet(place).filter(
        response_deadline__gte=max(now, period.start),
        response_deadline__lt=period.end,
        resolved_at__isnull=True,
    )


def breakdown(place: Q, period) -> dict:
    """Cases received in the period by category and by channel."""
    received = Case.objects.filter(place, _in(period, "created_at"))
    channels = dict(Channel.choices)
    return {
        "categories": [
            (category_label(name), n)
            for name, n in received.values_list("category__name")
            .annotate(n=Count("id"))
            .order_by("-n")
        ],
        "channels": [
            (channels.get(key, key), n)
            for key, n in received.values_list("channel").annotate(n=Count("id")).order_by("-n")
        ],
    }


def meetings_held(community_ids, period) -> dict:
    """Meetings held in the period by kind and venue, and their attendances; `community_ids`
    None counts every community's (the whole city)."""
    held = Meeting.objects.filter(state__in=HELD_STATES).filter(_in(period, "starts_at"))
    if community_ids is not None:
        held = held.filter(community_id__in=community_ids)
    by_kind = dict(held.values_list("kind").annotate(n=Count("id")))
    by_venue = dict(held.values_list("venue_kind").annotate(n=Count("id")))
    attendance = held.aggregate(n=Count("participants", filter=Q(participants__attended=True)))["n"]
    return {
        "total": sum(by_kind.values()),
        "kinds": [(label, by_kind.get(key, 0)) for key, label in Kind.choices],
        "venues": [(label, by_venue.get(key, 0)) for key, label in Venue.choices],
        "attendance": attendance,
    }


def _answered(place, period, satisfactions=tuple(Satisfaction.values)):
    """Cases with an answer on satisfaction in the period, as the satisfaction rate counts it."""
    visits = _last("verify", period).filter(details__satisfaction__in=satisfactions)
    calls = _last("hotline_visit", period).filter(details__satisfaction__in=satisfactions)
    ratings = ResidentRating.objects.filter(_in(period, "rated_at"), satisfaction__in=satisfactions)
    return Case.objects.filter(place).filter(
        Q(pk__in=visits.values("case_id"))
        | Q(pk__in=calls.values("case_id"))
        | Q(pk__in=ratings.values("case_id"))
    )


def cases_behind(figure: str, place: Q, period):
    """The cases a count is made of, for the list each figure links to; for a rate, the cases
    it is taken over (RATE_CASES)."""
    if figure in RATE_CASES:
        figure = RATE_CASES[figure][1]
    if figure == "answered":
        return _answered(place, period)
    if figure == "satisfied_answers":
        return _answered(place, period, (Satisfaction.SATISFIED, Satisfaction.BASICALLY))
    if figure == "received":
        return Case.objects.filter(place, _in(period, "created_at"))
    if figure == "overdue":
        return overdue_cases(place, period)
    if figure == "escalated":
        ids = Escalation.objects.filter(_in(period, "raised_at")).values("case_id")
        return Case.objects.filter(place, pk__in=ids)
    events = {
        "accepted": CaseEvent.objects.filter(_in(period, "at"), move="accept"),
        "accepted_on_time": CaseEvent.objects.filter(
            _in(period, "at"), move="accept", at__lte=F("case__accept_by")
        ),
        "declined": CaseEvent.objects.filter(_in(period, "at"), move="decline"),
        "resolved": _last("resolve", period),
        "verified": _last("verify", period),
        **{
            f"outcome_{o}": _last("resolve", period).filter(details__outcome=o)
            for o in Outcome.values
        },
    }
    if figure not in events:
        return None
    return Case.objects.filter(place, pk__in=events[figure].values("case_id"))
