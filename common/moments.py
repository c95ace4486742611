"""Moments (date and time with an offset) read from outside input: API bodies and parameters.

`parse_datetime` reads "2026-11-27T10:00:00+99:00" by raising (Python refuses offsets of a day
or more), reads +23:59 without complaint, and reads year 9999, which becomes year 10000 in UTC
and is refused by PostgreSQL when saved. Either was a 500. A moment from outside is taken only
when its offset is one the world uses (±14:00 at most) and it falls in the years the app's
pages and reports cover (common/params.py: 2000 to 2099); otherwise `BadMoment` says what was
expected.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
LARGEST_OFFSET = timedelta(hours=14)  # Kiribati; the most negative in use is -12:00
LONGEST_TEXT = 40
EXPECTED = "an ISO 8601 time with its offset (+08:00; at most ±14:00), in the years 2000 to 2099"


class BadMoment(ValueError):
    """Not a moment the app takes; the message says what is expected."""


def parse_moment(value, *, offset_required: bool = True) -> datetime:
    """The aware datetime written in `value`; a moment without offset is read in the app's
    time zone when `offset_required` is False."""
    if not isinstance(value, str) or len(value) > LONGEST_TEXT:
        raise BadMoment(EXPECTED)
    try:
        moment = parse_datetime(value.strip())
    except ValueError:  # a day that does not exist, or an offset of a day or more
        moment = None
    if moment is None:
        raise BadMoment(EXPECTED)
    if timezone.is_naive(moment):
        if offset_required:
            raise BadMoment(EXPECTED)
        moment = timezone.make_aware(moment)
    if abs(moment.utcoffset()) > LARGEST_OFFSET:
        raise BadMoment(EXPECTED)
    if not EARLIEST <= moment <= LATEST:
        raise BadMoment(EXPECTED)
    return moment
