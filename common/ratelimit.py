"""Fixed-window counters in the cache, and the client address they count on.

The cache is Redis, shared by every worker; when Redis is away it is each process's memory
(common/cache.py), so the limits still hold per process.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache


def count(cache_key: str, window_seconds: int) -> int:
    """Count one on the cache key; the count in its current window, this one included."""
    if cache.add(cache_key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return 1


def hit(key: str, window_seconds: int) -> int:
    """Count one hit on `key`; the number of hits in the current window, this one included."""
    return count(f"ratelimit:{key}", window_seconds)


def hits(key: str) -> int:
    """The hits counted on `key` in its current window, without counting one."""
    return cache.get(f"ratelimit:{key}") or 0


def allow(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once more than `limit` hits fall in the window."""
    return hit(key, window_seconds) <= limit


def client_address(request) -> str:
    """The address rate limits count on: the client's, as the trusted proxies saw it.

    REMOTE_ADDR is the peer that opened the connection. Only when that peer is a trusted proxy
    (settings.TRUSTED_PROXIES, CIDR blocks; or the first TRUSTED_PROXY_COUNT hops) is
    X-Forwarded-For read, from the right: each proxy appends the address it saw, so the first
    untrusted hop from the right is the client, and what a client wrote itself further left is
    never believed. A hop that is not an IP address makes the header worthless: REMOTE_ADDR.

    An IPv6 client counts as its /64 network, the block one home or phone is given: otherwise
    a single client could rotate addresses without end.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return "unknown"
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [hop for hop in header.split(",") if hop.strip()]
    client, skipped = remote, 0
    while _is_trusted(client, skipped) and forwarded:
        previous = _address(forwarded.pop())
        if previous is None:
            client = remote
            break
        client, skipped = previous, skipped + 1
    return _bucket(client)


def _is_trusted(hop, skipped: int) -> bool:
    if skipped < settings.TRUSTED_PROXY_COUNT:
        return True
    return any(hop.version == net.version and hop in net for net in _trusted_networks())


@lru_cache(maxsize=4)
def _networks(blocks: tuple) -> tuple:
    return tuple(ipaddress.ip_network(block, strict=False) for block in blocks)


def _trusted_networks():
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _bucket(address) -> str:
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
