"""The nightly grouping of recurring problems (recurring/grouping.py) at each size.

Two runs, each timed as the beat task runs it, over the whole city:

- **first**: every case not yet in a problem, within each street's window, is placed (after
  the first size, the cases seeded since the last size);
- **next night**: at once again, with nothing new: the cost of the scans alone, which is what
  a quiet night costs.

The pages are then measured with the problems in place, as in production after a night.
"""

import time

from django.db import connection


def _candidates(cursor) -> int:
    """The cases the first run looks at (recurring/rules.py 1): in no problem yet, within
    their street's window or still open."""
    from django.utils import timezone

    from recurring.grouping import _candidates as candidates

    cursor.execute(
        f"SELECT count(*) FROM ({candidates(None)}) looked_at",
        {"now": timezone.now().timestamp(), "since": None},
    )
    return cursor.fetchone()[0]


def _timed_run() -> dict:
    from recurring.grouping import group_cases

    started = time.monotonic()
    result = group_cases()
    return {
        "seconds": round(time.monotonic() - started, 2),
        "joined": result.joined,
        "started": result.started,
    }


def measure() -> dict:
    with connection.cursor() as cursor:
        in_window = _candidates(cursor)
    first = _timed_run()
    again = _timed_run()
    with connection.cursor() as cursor:
        # What autovacuum does after such a night: the planner learns the problems' rows (on
        # a city of a million, the hot spots' trend read every problem month of the year
        # without it: 15 ms, against under 1 with its statistics).
        cursor.execute("ANALYZE recurring_problem, recurring_member, recurring_problemmonth")
        cursor.execute("SELECT count(*), coalesce(sum(case_count), 0) FROM recurring_problem")
        problems, grouped = cursor.fetchone()
    return {
        "cases_looked_at": in_window,
        "first": first,
        "next_night": again,
        "problems": problems,
        "cases_in_problems": int(grouped),
    }


def markdown_row(size: int, figures: dict) -> str:
    first, again = figures["first"], figures["next_night"]
    return (
        f"| {size:,} | {figures['cases_looked_at']:,} | {first['seconds']} s "
        f"(new problems: {first['started']:,}; cases joined to problems: {first['joined']:,}) "
        f"| {again['seconds']} s | {figures['problems']:,} problems, "
        f"{figures['cases_in_problems']:,} cases |"
    )


HEADER = [
    "| size | cases the first run looks at | nightly grouping, first run "
    "| the next night (nothing new) | after it |",
    "|---|---|---|---|---|",
]
