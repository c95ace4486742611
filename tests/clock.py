"""The calendar's edges, where a test that reads the clock can go wrong.

`make test` runs every test marked `calendar` once at each instant here; `make test-calendar`
runs the whole suite (all but the browser and live tests) with the clock travelled to each in
turn (`pytest --clock=NAME`). Every test starts at the instant and the clock then ticks, so a
test that takes a second at 23:59:59 sees the day turn, as a user would.

The app asks Python for the time, never PostgreSQL (tests/test_clock.py holds it to that), so
the travelled clock reaches every figure the app works out.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(*parts):
    return datetime(*parts, tzinfo=SHANGHAI)


INSTANTS = {
    # A Sunday night: "tomorrow" is next week.
    "sunday-2330": _local(2026, 12, 6, 23, 30),
    # Five minutes into a new week.
    "monday-0005": _local(2026, 12, 7, 0, 5),
    # A month's end, ten minutes before February; a year the holiday calendar does not know yet.
    "jan31-2350": _local(2027, 1, 31, 23, 50),
    # The leap day.
    "leap-day-1200": _local(2028, 2, 29, 12, 0),
    # The eve of the monthly session (每月17日固定协商), and its morning.
    "16th-2355": _local(2026, 12, 16, 23, 55),
    "17th-0900": _local(2026, 12, 17, 9, 0),
    # The last minute of the year.
    "dec31-2359": _local(2026, 12, 31, 23, 59),
    # The working Saturday (调休) before the 2026 Spring Festival holiday (15–23 February).
    "working-saturday": _local(2026, 2, 14, 10, 0),
    # Either side of midnight in Asia/Shanghai on an ordinary day: 16:00 UTC.
    "utc-1559": datetime(2026, 12, 8, 15, 59, tzinfo=UTC),
    "utc-1601": datetime(2026, 12, 8, 16, 1, tzinfo=UTC),
}


def instant(name_or_iso: str) -> datetime:
    """An instant by its name here, or an ISO 8601 time with its offset."""
    if name_or_iso in INSTANTS:
        return INSTANTS[name_or_iso]
    moment = datetime.fromisoformat(name_or_iso)
    if moment.tzinfo is None:
        raise ValueError(f"{name_or_iso!r}: give an offset, e.g. 2026-12-06T23:30+08:00")
    return moment
