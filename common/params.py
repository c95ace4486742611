"""Numbers and dates read from a URL's query string.

A page that takes `?month=`, `?year=`, `?community=` and the like reads it through one of these
helpers. A value that is not what the page offers (month 13, year 0 or 10000, 9999-12 whose
next month does not exist, a negative or 30-digit number, full-width digits, a NUL byte)
raises `BadParameter`: the user gets a 400 page that says what is wrong, never a 500 from a
date or an integer overflowing further down. The message names the control of the page the
value stands for, by its label (「月份」, "Month": `label`), never the parameter of the address.

Only ASCII digits count: Python's int() also reads "１２" and "١٢", which no page of ours
offers, so such a value is refused rather than silently read as 12.
"""

import re
from datetime import date

from django.core.exceptions import BadRequest
from django.utils.formats import date_format
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


def _digits(params, name) -> int | None:
    value = _value(params, name)
    if value is None:
        return None
    return int(value) if _DIGITS.fullmatch(value) else -1


def int_param(params, name, *, label, default=None, minimum=0, maximum=LARGEST_ID):
    """A whole number between minimum and maximum, written in ASCII digits."""
    number = _digits(params, name)
    if number is None:
        return default
    if not minimum <= number <= maximum:
        raise BadParameter(
            name,
            _("“%(label)s” must be a whole number from %(minimum)s to %(maximum)s.")
            % {"label": label, "minimum": minimum, "maximum": maximum},
        )
    return number


def id_param(params, name, *, label, default=None):
    """The id of a row (a community, a grid …): a positive number that fits the database's
    ids. Chosen from a list on the page, so a bad one is said as a choice not offered."""
    number = _digits(params, name)
    if number is None:
        return default
    if not 1 <= number <= LARGEST_ID:
        raise BadParameter(
            name, _("“%(label)s”: choose one of the choices the page offers.") % {"label": label}
        )
    return number


def year_param(params, name, *, label, default=None, earliest=None, latest=None):
    earliest = earliest or EARLIEST_MONTH.year
    latest = latest or LATEST_MONTH.year
    return int_param(params, name, label=label, default=default, minimum=earliest, maximum=latest)


def month_param(params, name, *, label, default=None, earliest=None, latest=None):
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
            _("“%(label)s” must be a month from %(earliest)s to %(latest)s.")
            % {
                "label": label,
                "earliest": date_format(earliest, "YEAR_MONTH_FORMAT"),
                "latest": date_format(latest, "YEAR_MONTH_FORMAT"),
            },
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
