"""Settings a server cannot run without: starting fails with a message naming the variable."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def required_site_url(value: str) -> str:
    """The address emails, SMS and QR codes point to, e.g. https://youjie.example.org."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            "Set the SITE_URL environment variable to the address residents and staff reach the "
            "app at, e.g. SITE_URL=https://youjie.example.org: links in reminder emails, SMS and "
            f"QR codes point there (got {value!r})."
        )
    return value.strip().rstrip("/")


def required_redis_url(value: str) -> str:
    """The cache shared by every worker and the Celery broker, e.g. redis://127.0.0.1:6379/0."""
    if urlsplit(value.strip()).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            "Set the REDIS_URL environment variable, e.g. REDIS_URL=redis://127.0.0.1:6379/0 "
            "(or REDIS_SENTINELS, e.g. REDIS_SENTINELS=10.0.0.5:26379,10.0.0.6:26379,"
            "10.0.0.7:26379, for Redis with Sentinel): without it each worker keeps its own cache "
            "(rate limits and login throttling would "
            f"not be shared) and Celery falls back to a file broker (got {value!r})."
        )
    return value.strip()
