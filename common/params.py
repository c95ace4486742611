"""Numbers and dates read from a URL's query string.

A page that takes `?month=`, `?year=`, `?community=` and the like reads it through one of these
helpers. A value that is not what the page offers (month 13, year 0 or 10000, 9999-12 whose
next month does not exist, a negative or 30-digit number, full-width digits, a NUL byte)
raises `BadParameter`: the user gets a 400 page that says which parameter is wrong, never a
500 from a date or an integer overflowing further down.

Only ASCII digits count: Python's int() also reads "１２" and "١٢", which no page of ours
offers, so such a value is refused rather than silently read as 12.
"""

import re
from datetime import date

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

# The months and years a page may show. Reports, calendars and statistics of a street office
# never go back before 2000; 2099 leaves room for planning without reaching dates whose
# following month overflows.
EARLIEST_MONTH = date(2000, 1, 1)
LATEST_MONTH = date(2099, 12, 1)
LARGEST_ID = 2**63 - 1  # PostgreSQL bigint
_DIGITS = re.compile(r"[0-9]{1,19}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class BadParameter(BadRequest):
    """A query parameter the page cannot use; the message is shown on the 400 page."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")


def _value(params, name) -> str | None:
    value = params.get(name)
    return value if value not in (None, "") else None


def int_param(params, name, *, default=None, minimum=0, maximum=LARGEST_ID):
    """A whole number between minimum and maximum, written in ASCII digits."""
    value = _value(params, name)
    if value is None:
        return default
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise BadParameter(
            name,
            _("“%(name)s” must be a whole number from %(minimum)s to %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum},
        )
    return int(value)


def id_param(params, name, *, default=None):
    """The id of a row: a positive number that fits the database's ids."""
    return int_param(params, name, default=default, minimum=1)


def year_param(params, name, *, default=None, earliest=None, latest=None):
    earliest = earliest or EARLIEST_MONTH.year
    latest = latest or LATEST_MONTH.year
    return int_param(params, name, default=default, minimum=earliest, maximum=latest)


def month_param(params, name, *, default=None, earliest=None, latest=None):
    """A month written YYYY-MM, as the first day of that month."""
    earliest = earliest or EARLIEST_MONTH
    latest = latest or LATEST_MONTH
    value = _value(params, name)
    if value is None:
        return default
    match = _MONTH.fullmatch(value)
    month = None
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1:
        month = date(int(match[1]), int(match[2]), 1)
    if month is None or not earliest <= month <= latest:
        raise BadParameter(
            name,
            _("“%(name)s” must be a month written YYYY-MM, from %(earliest)s to %(latest)s.")
            % {"name": name, "earliest": f"{earliest:%Y-%m}", "latest": f"{latest:%Y-%m}"},
        )
    return month


def refuse_reversed_dates(form, start: str, end: str) -> bool:
    """A filter form's date range whose start is after its end gets the form's message (the
    list would be empty with no word why); returns whether the range reads."""
    dates = form.cleaned_data
    if dates.get(start) and dates.get(end) and dates[start] > dates[end]:
        form.add_error(None, _("The start date is after the end date."))
        return False
    return True
