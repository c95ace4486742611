"""The app's cache: Redis, shared by every worker; a per-process memory when Redis is away.

Every cache use in the app goes through Django's `cache`, so this one backend decides how they
all degrade. When Redis does not answer (refused, timed out, restarting), the operation is done
on an in-memory cache of this process instead, and Redis is left alone for
`RETRY_SECONDS` so that pages do not wait on a dead server request after request. The
residents' rate limits then count per process: the same limits, but each gunicorn worker counts
its own hits, so a flood is slowed by at most (number of workers) times the limit.

A WARNING is logged when the fallback is used, at most once a minute per process.

With REDIS_SENTINELS set, the cache talks to whichever Redis the sentinels name as master
(SentinelCacheClient): after a failover a command that reaches the old master (now a read-only
replica, or gone) is tried once more, which asks the sentinels again and lands on the new
master; only when that fails too does the process fall back to its memory, for a shorter time.
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
SENTINEL_RETRY_SECONDS = 3  # with Sentinel a new master is usually there within seconds
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
            for attempt in range(self._attempts):
                try:
                    return getattr(super(FallbackRedisCache, self), name)(*args, **kwargs)
                except UNAVAILABLE as error:
                    if attempt == self._attempts - 1:
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
        self._sentinel = "sentinel_master" in self._options
        if self._sentinel:
            self._class = SentinelCacheClient
        # Through Sentinel a failed command is tried once more: the retry asks the sentinels
        # for the master again (a failover), before the process falls back to its memory.
        self._attempts = 2 if self._sentinel else 1
        self._retry_seconds = SENTINEL_RETRY_SECONDS if self._sentinel else RETRY_SECONDS
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
            health.down_until[self._location] = now + self._retry_seconds
            warn = health.last_warning is None or now - health.last_warning >= WARN_EVERY_SECONDS
            if warn:
                health.last_warning = now
        if warn:
            log.warning(
                "Redis cache at %s is unavailable (%s): using this process's memory instead; "
                "rate limits now count per process. Trying Redis again every %s s.",
                _without_password(self._location),
                error.__class__.__name__,
                self._retry_seconds,
            )

    def ping(self) -> None:
        """Ask Redis itself (no fallback to memory); raises when it does not answer (health)."""
        self._cache.get_client(write=True).ping()

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


class SentinelCacheClient(RedisCacheClient):
    """Django's Redis cache client on the master the sentinels name (redis-py's Sentinel).

    LOCATION lists the sentinels (sentinel://host:port/db); OPTIONS name the master
    (`sentinel_master`) and the database (`db`). Every connection the pool opens asks the
    sentinels for the current master, so a failover needs no restart and no new setting.
    """

    def __init__(self, servers, sentinel_master, **options):
        from urllib.parse import urlsplit

        from redis.sentinel import Sentinel, SentinelConnectionPool

        super().__init__(servers, **options)
        addresses = [(urlsplit(url).hostname, urlsplit(url).port or 26379) for url in servers]
        timeouts = {
            key: options[key]
            for key in ("socket_timeout", "socket_connect_timeout")
            if key in options
        }
        sentinel = Sentinel(addresses, sentinel_kwargs=timeouts)
        self._pool = SentinelConnectionPool(sentinel_master, sentinel, **self._pool_options)

    def _get_connection_pool(self, write):
        return self._pool


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
