"""The app's cache: Redis, shared by every worker; a per-process memory when Redis is away.

Every cache use in the app goes through Django's `cache`, so this one backend decides how they
all degrade. When Redis does not answer (refused, timed out, restarting), the operation is done
on an in-memory cache of this process instead, and Redis is left alone for
`RETRY_SECONDS` so that pages do not wait on a dead server request after request. The
residents' rate limits then count per process: the same limits, but each gunicorn worker counts
its own hits, so a flood is slowed by at most (number of workers) times the limit.

A WARNING is logged when the fallback is used, at most once a minute per process.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("youjie.cache")

RETRY_SECONDS = 15  # how long Redis is skipped after a failure
WARN_EVERY_SECONDS = 60
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _Health:
    """Per process (Django builds one cache object per thread; they share this)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = {}  # location → monotonic time Redis may be tried again
        self.last_warning = None
        self.fallbacks = {}  # location → a fallback cache (they share one store per location)

    def forget(self):
        with self.lock:
            self.down_until.clear()
            self.last_warning = None
            for fallback in self.fallbacks.values():
                fallback.clear()


health = _Health()


def forget_failures():
    """Try Redis again at once, warn again, and drop what was counted in memory (tests)."""
    health.forget()


def _fallback_method(name):
    def method(self, *args, **kwargs):
        if not self._redis_is_down():
            try:
                return getattr(super(FallbackRedisCache, self), name)(*args, **kwargs)
            except UNAVAILABLE as error:
                self._mark_down(error)
        return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis.Redis for every cache operation, and each one fills a table
    of some 300 reply parsers: a tenth of a millisecond per read. A client is safe to share
    (it takes a connection from its pool for each command), so each pool keeps one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FallbackRedisCache(RedisCache):
    """Django's RedisCache whose every operation falls back to process memory."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
        self._location = server if isinstance(server, str) else ",".join(server)
        fallback_params = {
            key: params[key] for key in ("TIMEOUT", "KEY_PREFIX", "VERSION") if key in params
        }
        # LocMemCache shares its store between instances of one name: one store per process.
        fallback_params["OPTIONS"] = {"MAX_ENTRIES": params.get("FALLBACK_MAX_ENTRIES", 10000)}
        self._fallback = LocMemCache(f"redis-fallback:{self._location}", fallback_params)
        health.fallbacks.setdefault(self._location, self._fallback)

    def _redis_is_down(self) -> bool:
        until = health.down_until.get(self._location)
        return until is not None and time.monotonic() < until

    def _mark_down(self, error):
        now = time.monotonic()
        with health.lock:
            health.down_until[self._location] = now + RETRY_SECONDS
            warn = health.last_warning is None or now - health.last_warning >= WARN_EVERY_SECONDS
            if warn:
                health.last_warning = now
        if warn:
            log.warning(
                "Redis cache at %s is unavailable (%s): using this process's memory instead; "
                "rate limits now count per process. Trying Redis again every %s s.",
                _without_password(self._location),
                error.__class__.__name__,
                RETRY_SECONDS,
            )

    # The operations RedisCache implements; BaseCache builds the others (get_or_set, decr,
    # the async ones) from these.
    add = _fallback_method("add")
    get = _fallback_method("get")
    set = _fallback_method("set")
    touch = _fallback_method("touch")
    delete = _fallback_method("delete")
    get_many = _fallback_method("get_many")
    has_key = _fallback_method("has_key")
    incr = _fallback_method("incr")
    set_many = _fallback_method("set_many")
    delete_many = _fallback_method("delete_many")

    def clear(self):
        self._fallback.clear()
        if not self._redis_is_down():
            try:
                return super().clear()
            except UNAVAILABLE as error:
                self._mark_down(error)
        return True


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
