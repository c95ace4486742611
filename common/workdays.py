"""Working days by the Chinese calendar: weekends and public holidays off, 调休 make-up days on."""

from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar
from django.utils import timezone


# A day's answer never changes while the process runs (the calendar is the package's data),
# and deadlines ask about the same few weeks again and again.
@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not cover yet: weekdays work
        return day.weekday() < 5


def add_working_days(moment: datetime, days: int) -> datetime:
    """The same time of day, `days` working days later (a Saturday case counts from Monday)."""
    local = timezone.localtime(moment)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return timezone.make_aware(datetime.combine(day, local.time().replace(tzinfo=None)))
