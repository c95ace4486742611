"""The nightly grouping of the whole city (rules.py says what it does), in the database.

Each step is one set-based SQL statement over all streets at once, so the run costs a few
scans of the cases table, not a query per case: 1,000,000 cases group in the time of those
scans (`make bench`). On PostgreSQL descriptions are compared with pg_trgm; on another
database (SQLite under `make run` without a server) the category alone decides.

1. Cases join the open or dismissed problems of their place (repeated while the problems grow).
2. Same-category chains of the cases left start new problems.
3. On PostgreSQL, cases left whose description is alike another's start a problem too.
4. Step 1 again, then every problem that took a case gets its counts and dates again.
5. The months those problems had cases in are written again (the report's hot spots).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, DateField
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import OPEN_STATES

from .models import JoinRule, Member, ProblemMonth, Status
from .rules import JOINABLE, MIN_CASES, SIMILAR_DESCRIPTIONS
from .signals import months_changed

MAX_ROUNDS = 10  # joining rounds: a problem grows by a window's worth of cases per round
LOCK_KEY = 29_000_001  # PostgreSQL advisory lock: one grouping run at a time
PLACE_AND_KIND = ("street", "community", "grid", "category")  # copied onto each month


@dataclass
class Result:
    joined: int = 0
    started: int = 0
    skipped: bool = False  # another run held the lock


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def _similarity(a: str, b: str) -> str:
    if connection.vendor == "postgresql":
        return f"similarity({a}, {b})"
    return "NULL"


def _candidates(street_id) -> str:
    """The cases grouping looks at (rules.py 1): in no problem, not a repeat, not declined,
    logged within their street's window (or since `since`) or still open."""
    street = "AND c.street_id = %(street)s" if street_id else ""
    return f"""
        SELECT c.id, c.street_id, c.grid_id, COALESCE(c.building_id, 0) AS place,
               c.building_id, c.category_id, c.description, c.created_at,
               {_epoch("c.created_at")} AS at, s.recurring_window_days * 86400.0 AS w
        FROM cases_case c JOIN grids_street s ON s.id = c.street_id
        WHERE c.duplicate_of_id IS NULL AND c.state <> 'declined' {street}
          AND {_epoch("c.created_at")} <= %(now)s
          AND (c.state IN {_sql_list(OPEN_STATES)}
               OR {_epoch("c.created_at")}
                  >= COALESCE(%(since)s, %(now)s - s.recurring_window_days * 86400.0))
          AND NOT EXISTS (SELECT 1 FROM recurring_member m WHERE m.case_id = c.id)
    """


def _sql_list(values) -> str:
    """Our own constants (states, statuses) written into the SQL: no user input is."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _join_existing(cursor, params) -> int:
    """Step 1: each candidate joins the best problem of its place it matches (rules.py 5)."""
    similar = _similarity("mc.description", "c.description")
    cursor.execute(
        f"""
        INSERT INTO recurring_member (problem_id, case_id, joined_at, rule, similarity, carried)
        SELECT problem_id, id, %(stamp)s, rule, sim, %(false)s FROM (
            SELECT matched.*, ROW_NUMBER() OVER (
                PARTITION BY id ORDER BY same_category DESC, last_at DESC, problem_id
            ) AS rank
            FROM (
                SELECT c.id, p.id AS problem_id, p.last_at,
                       c.category_id = p.category_id AS same_category,
                       CASE WHEN c.category_id = p.category_id THEN '{JoinRule.CATEGORY}'
                            ELSE '{JoinRule.DESCRIPTION}' END AS rule,
                       CASE WHEN c.category_id = p.category_id THEN NULL ELSE (
                           SELECT MAX({similar}) FROM recurring_member m
                           JOIN cases_case mc ON mc.id = m.case_id WHERE m.problem_id = p.id
                       ) END AS sim
                FROM ({_candidates(params["street"])}) c
                JOIN recurring_problem p
                  ON p.grid_id = c.grid_id AND COALESCE(p.building_id, 0) = c.place
                 AND p.status IN {_sql_list(JOINABLE)}
                WHERE c.at BETWEEN {_epoch("p.first_at")} - c.w AND {_epoch("p.last_at")} + c.w
            ) matched
            WHERE same_category OR sim >= %(similar)s
        ) ranked
        WHERE rank = 1
        ON CONFLICT (case_id) DO NOTHING
        """,
        params,
    )
    return cursor.rowcount


def _start_by_category(cursor, params) -> int:
    """Step 2: chains of same-category cases at one place, each within the window of the one
    before, become new problems (two cases or more); the chain's first case is the seed."""
    key = "grid_id, place, category_id"
    cursor.execute("DROP TABLE IF EXISTS recurring_chains")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE recurring_chains AS
        SELECT id, street_id, grid_id, building_id, category_id, created_at, chain,
               COUNT(*) OVER (PARTITION BY {key}, chain) AS size,
               FIRST_VALUE(id) OVER (PARTITION BY {key}, chain ORDER BY at, id) AS seed
        FROM (
            SELECT *, SUM(starts) OVER (PARTITION BY {key} ORDER BY at, id
                                        ROWS UNBOUNDED PRECEDING) AS chain
            FROM (
                SELECT *, CASE WHEN at - LAG(at) OVER (PARTITION BY {key} ORDER BY at, id) <= w
                               THEN 0 ELSE 1 END AS starts
                FROM ({_candidates(params["street"])}) c
            ) marked
        ) chained
        """,
        params,
    )
    started = _insert_problems(
        cursor, "recurring_chains", params, "WHERE r.size >= 2 AND r.id = r.seed"
    )
    cursor.execute(
        f"""
        INSERT INTO recurring_member (problem_id, case_id, joined_at, rule, similarity, carried)
        SELECT p.id, r.id, %(stamp)s,
               CASE WHEN r.id = r.seed THEN '{JoinRule.FIRST}' ELSE '{JoinRule.CATEGORY}' END,
               NULL, %(false)s
        FROM recurring_chains r JOIN recurring_problem p ON p.seed_case_id = r.seed
        WHERE r.size >= 2
        ON CONFLICT (case_id) DO NOTHING
        """,
        params,
    )
    cursor.execute("DROP TABLE recurring_chains")
    return started


def _start_by_description(cursor, params) -> int:
    """Step 3 (PostgreSQL): a case left with a later case alike at its place, and none earlier,
    starts a problem alone; step 1 then brings the others in by their descriptions."""
    if connection.vendor != "postgresql":
        return 0
    cursor.execute("DROP TABLE IF EXISTS recurring_alike")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE recurring_alike AS
        WITH c AS ({_candidates(params["street"])})
        SELECT a.id, a.street_id, a.grid_id, a.building_id, a.category_id, a.created_at,
               a.id AS seed
        FROM c a
        WHERE EXISTS (
            SELECT 1 FROM c b
            WHERE b.grid_id = a.grid_id AND b.place = a.place AND b.id <> a.id
              AND b.at >= a.at AND b.at - a.at <= a.w
              AND similarity(a.description, b.description) >= %(similar)s)
          AND NOT EXISTS (
            SELECT 1 FROM c b
            WHERE b.grid_id = a.grid_id AND b.place = a.place AND b.id <> a.id
              AND b.at < a.at AND a.at - b.at <= a.w
              AND similarity(a.description, b.description) >= %(similar)s)
        """,
        params,
    )
    started = _insert_problems(cursor, "recurring_alike", params, "WHERE TRUE")
    cursor.execute(
        f"""
        INSERT INTO recurring_member (problem_id, case_id, joined_at, rule, similarity, carried)
        SELECT p.id, r.id, %(stamp)s, '{JoinRule.FIRST}', NULL, %(false)s
        FROM recurring_alike r JOIN recurring_problem p ON p.seed_case_id = r.seed
        WHERE TRUE
        ON CONFLICT (case_id) DO NOTHING
        """,
        params,
    )
    cursor.execute("DROP TABLE recurring_alike")
    return started


def _insert_problems(cursor, table: str, params, where: str = "") -> int:
    """A problem per seed row of `table`; counts and dates are filled by refresh()."""
    cursor.execute(
        f"""
        INSERT INTO recurring_problem (
            street_id, community_id, grid_id, building_id, category_id, seed_case_id, status,
            case_count, first_at, last_at, activity_at, created_at, dismissed_reason)
        SELECT r.street_id, g.community_id, r.grid_id, r.building_id, r.category_id, r.seed,
               '{Status.OPEN}', 0, r.created_at, r.created_at, %(stamp)s, %(stamp)s, ''
        FROM {table} r JOIN grids_grid g ON g.id = r.grid_id
        {where}
        """,
        params,
    )
    return cursor.rowcount


def refresh(cursor, params, problem_ids=None) -> None:
    """Counts, dates and the common unit of the problems that took a case in this run (or of
    `problem_ids`, with their months too); a dismissed problem a new case joined is open
    again (rules.py 5)."""
    _refresh_counts(cursor, params, problem_ids)
    if problem_ids is not None:
        refresh_months(cursor, list(problem_ids))


def refresh_months(cursor, problems) -> None:
    """The months of `problems` (a list of ids or a query of them) written again from their
    members, for those that count (two cases or more, not dismissed; rules.py): one DELETE
    and one INSERT … SELECT whatever their number. The month is cut in the site's time zone
    by the ORM, so SQLite and PostgreSQL agree. The months whose rows changed are sent to the
    apps that keep figures of past months (signals.months_changed)."""
    before = _month_rows(problems)
    ProblemMonth.objects.filter(problem_id__in=problems).delete()
    months = (
        Member.objects.filter(problem_id__in=problems, problem__case_count__gte=MIN_CASES)
        .exclude(problem__status=Status.DISMISSED)
        .annotate(month=TruncMonth("case__created_at", output_field=DateField()))
        .values_list(*(f"problem__{name}_id" for name in PLACE_AND_KIND), "problem_id", "month")
        .annotate(cases=Count("pk"))
        .order_by()
    )
    select, select_params = months.query.sql_with_params()
    columns = ", ".join(f"{name}_id" for name in (*PLACE_AND_KIND, "problem"))
    cursor.execute(
        f"INSERT INTO {ProblemMonth._meta.db_table} ({columns}, month, cases) {select}",
        select_params,
    )
    after = _month_rows(problems)
    changed = {row[-2] for row in before ^ after}
    if changed:
        months_changed.send(sender=ProblemMonth, months=changed)


def _month_rows(problems) -> set:
    return set(
        ProblemMonth.objects.filter(problem_id__in=problems).values_list(
            *(f"{name}_id" for name in (*PLACE_AND_KIND, "problem")), "month", "cases"
        )
    )


def _refresh_counts(cursor, params, problem_ids) -> None:
    if problem_ids is not None:
        which = "m.problem_id IN (" + ", ".join(str(int(i)) for i in problem_ids or [0]) + ")"
    else:
        which = (
            "m.problem_id IN (SELECT problem_id FROM recurring_member WHERE joined_at = %(stamp)s)"
        )
    cursor.execute(
        f"""
        UPDATE recurring_problem SET
            case_count = agg.n, first_at = agg.first_at, last_at = agg.last_at,
            unit_id = agg.unit_id,
            status = CASE WHEN recurring_problem.status = '{Status.DISMISSED}'
                           AND agg.newest_join > recurring_problem.dismissed_at
                          THEN '{Status.OPEN}' ELSE recurring_problem.status END,
            activity_at = CASE WHEN agg.newest_join > recurring_problem.activity_at
                               THEN agg.newest_join ELSE recurring_problem.activity_at END
        FROM (
            SELECT m.problem_id, COUNT(*) AS n, MIN(c.created_at) AS first_at,
                   MAX(c.created_at) AS last_at, MAX(m.joined_at) AS newest_join,
                   CASE WHEN COUNT(c.unit_id) = COUNT(*) AND MIN(c.unit_id) = MAX(c.unit_id)
                        THEN MIN(c.unit_id) END AS unit_id
            FROM recurring_member m JOIN cases_case c ON c.id = m.case_id
            WHERE {which}
            GROUP BY m.problem_id
        ) agg
        WHERE recurring_problem.id = agg.problem_id
        """,
        params,
    )


def group_cases(now: datetime | None = None, street_id=None, since: datetime | None = None):
    """Place every ungrouped case the rules reach; returns what was done. `since` widens the
    cases looked at from each street's window to everything logged since then (a first run
    over a year of history)."""
    now = now or timezone.now()
    params = {
        "now": now.timestamp(),
        "since": since.timestamp() if since else None,
        "stamp": connection.ops.adapt_datetimefield_value(now),
        "similar": SIMILAR_DESCRIPTIONS,
        "street": street_id,
        "false": False,
    }
    joined_now = Member.objects.filter(joined_at=now).values("problem_id")
    result = Result()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                return Result(skipped=True)
        result.joined += _join_rounds(cursor, params)
        result.started += _start_by_category(cursor, params)
        result.started += _start_by_description(cursor, params)
        refresh(cursor, params)
        result.joined += _join_rounds(cursor, params)
        refresh_months(cursor, joined_now)
    return result


def _join_rounds(cursor, params) -> int:
    """Step 1 until nothing joins: a problem's dates move as cases join, and a case beyond its
    window may then be within it."""
    joined = 0
    for _round in range(MAX_ROUNDS):
        this_round = _join_existing(cursor, params)
        refresh(cursor, params)
        joined += this_round
        if not this_round:
            break
    return joined
