"""The day of the monthly session (每月17日固定协商), in one place.

The nightly schedule puts each community's session on the 17th (`workflow.
schedule_monthly_sessions`), and a monthly session scheduled or moved by hand keeps to the same
rule (`checks.new_meeting`, `checks.rescheduling`). A 17th on a weekend or public holiday keeps
its date and is marked; the community may instead hold it on the working day just before or
just after it, never on another day of the month.
"""

from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _

MONTHLY_DAY = 17
MONTHLY_TIME = time(9, 30)
ONE_DAY = timedelta(days=1)


def is_rest_day(day: date) -> bool:
    """A weekend or public holiday by the Chinese calendar (调休 make-up days count as work)."""
    try:
        return chinese_calendar.is_holiday(day)
    except NotImplementedError:  # a year the calendar does not know yet
        return day.weekday() >= 5


def monthly_start(month: date) -> datetime:
    """When the schedule puts the month's session: the 17th, in the morning."""
    return timezone.make_aware(datetime.combine(month.replace(day=MONTHLY_DAY), MONTHLY_TIME))


def session_days(month: date) -> tuple[date, ...]:
    """The days the month's session may be held on: the 17th; and when the 17th is a rest day,
    the nearest working day before it and the nearest after it."""
    day = month.replace(day=MONTHLY_DAY)
    if not is_rest_day(day):
        return (day,)
    before, after = day - ONE_DAY, day + ONE_DAY
    while is_rest_day(before):
        before -= ONE_DAY
    while is_rest_day(after):
        after += ONE_DAY
    return (before, day, after)


def day_refusal(month: date, day: date) -> str | None:
    """Why the month's session cannot be held on `day`, or None when it can."""
    days = session_days(month)
    if day in days:
        return None
    if len(days) == 1:
        return _(
            "The monthly session is held on the 17th (%(day)s); its time of day can change, "
            "not its date."
        ) % {"day": f"{days[0]:%Y-%m-%d}"}
    return _(
        "The monthly session is held on the 17th (%(day)s); as that is a weekend or public "
        "holiday, it may instead be held on the working day before or after it (%(before)s or "
        "%(after)s)."
    ) % {
        "day": f"{days[1]:%Y-%m-%d}",
        "before": f"{days[0]:%Y-%m-%d}",
        "after": f"{days[2]:%Y-%m-%d}",
    }


def month_of(starts_at: datetime) -> date:
    """The month a session held at `starts_at` belongs to (its first day)."""
    return timezone.localtime(starts_at).date().replace(day=1)
