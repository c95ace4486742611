"""Report periods: a calendar month, or the year to date, in the app's time zone."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from common.params import month_param, year_param


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    month: date | None  # the month, when the period is one
    label: str

    @property
    def is_current(self) -> bool:
        """Today falls in the period: its figures still change (a past one is never "live")."""
        return self.start <= timezone.now() < self.end

    @property
    def query(self) -> str:
        return f"month={self.month:%Y-%m}" if self.month else f"year={self.start.year}"


def _aware(day: date) -> datetime:
    # Midnight in Asia/Shanghai: an event at 00:00 on the 1st belongs to the new month.
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def month_period(month: date) -> Period:
    month = month.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return Period(_aware(month), _aware(following), month, f"{month:%Y-%m}")


def year_to_date(year: int, today: date | None = None) -> Period:
    today = today or timezone.localdate()
    if year == today.year:
        end, label = _aware(today + timedelta(days=1)), _("%(year)s to date") % {"year": year}
    else:  # a past year is the whole year, not "to date"
        end, label = _aware(date(year + 1, 1, 1)), _("The year %(year)s") % {"year": year}
    return Period(_aware(date(year, 1, 1)), end, None, label)


def last_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def from_query(params) -> Period:
    """month=YYYY-MM or year=YYYY, up to now; nothing means last month.

    A malformed or out-of-range value raises common.params.BadParameter (a 400 that says so).
    """
    today = timezone.localdate()
    if params.get("year"):
        return year_to_date(year_param(params, "year", label=_("Year"), latest=today.year))
    if params.get("month"):
        return month_period(
            month_param(params, "month", label=_("Month"), latest=today.replace(day=1))
        )
    return month_period(last_month())


def twelve_months_to(month: date) -> list[date]:
    months = [month.replace(day=1)]
    while len(months) < 12:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months
