"""The reminder scan's heartbeat: when it last ran, and whether that is too long ago.

The scan (dispatch.scan, run by beat every REMINDER_SCAN_SECONDS) records the time it finished
in the database. When that time is older than REMINDER_SCAN_STALE_MINUTES (or there is none),
reminders are not going out: a worker that stopped consuming, beat stopped, the broker down.
/healthz then fails (notifications/health.py) and staff see a banner on every page.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Heartbeat

SCAN = "reminder_scan"
# Pages read the time through the cache: each scan puts it there (for two scan intervals), and
# a page that finds none reads the database and keeps the answer 30 s. So the banner adds no
# query to a page while scans run, and one query per 30 s for the whole site when they stop.
CACHE_KEY = "heartbeat:reminder_scan"
CACHE_SECONDS = 30


def record_scan(now=None) -> None:
    at = now or timezone.now()
    Heartbeat.objects.update_or_create(name=SCAN, defaults={"at": at})
    cache.set(CACHE_KEY, at, max(CACHE_SECONDS, 2 * settings.REMINDER_SCAN_SECONDS))


def last_scan_at():
    """From the database (the health check)."""
    return Heartbeat.objects.filter(name=SCAN).values_list("at", flat=True).first()


def stale_after_seconds() -> int:
    return settings.REMINDER_SCAN_STALE_MINUTES * 60


def age_seconds(at, now=None) -> float | None:
    if at is None:
        return None
    return max(0.0, ((now or timezone.now()) - at).total_seconds())


def is_stale(at, now=None) -> bool:
    age = age_seconds(at, now)
    return age is None or age > stale_after_seconds()


def last_scan_at_cached():
    """For pages: the time from the cache, read from the database at most every 30 s."""
    at = cache.get(CACHE_KEY)
    if at is None:
        at = last_scan_at()
        # "never" is cached too (as False), so a page does not ask again for 30 s.
        cache.set(CACHE_KEY, at or False, CACHE_SECONDS)
    return at or None
