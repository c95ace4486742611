"""Login throttling: wrong passwords are counted in the cache (Redis, shared by every worker)
and too many of them lock further tries for a while.

Three counters, each with its own limit, so that guessing is slow and an attacker still
cannot keep the real user out for long:

- one account from one address (LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, default 5): the
  guesser's own door. Its cool-off starts at LOGIN_COOLOFF_MINUTES (5) and doubles each time
  the same pair is locked again within a day, up to LOGIN_COOLOFF_MAX_MINUTES (60);
- one account from anywhere (LOGIN_FAILURES_PER_ACCOUNT, default 20): guessing spread over
  many addresses. Locked for LOGIN_COOLOFF_MINUTES only, never longer, because this lock
  also stops the real user on a browser they have not logged in from before;
- one address, any account (LOGIN_FAILURES_PER_ADDRESS, default 30): one machine trying
  many accounts. Locked for LOGIN_ADDRESS_COOLOFF_MINUTES (15); other addresses are not.

Failures count within LOGIN_FAILURE_WINDOW_MINUTES (15). While locked, a try is refused
before its password is checked (so it tells the guesser nothing) and is not counted (so it
does not extend the lock). A successful login clears its own pair and marks the browser as
known for the account: there, only that browser's own counter applies (known_devices.py), so
an attacker elsewhere cannot lock the user out on their own phone. Accounts are keyed by the
typed name whether or not it exists, so the lock says nothing about which accounts exist.
If the cache is down, logins are not throttled and a warning is logged: staff can still work.
"""

import hashlib
import ipaddress
import logging
import time
import unicodedata
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

from common.ratelimit import client_address, count

from . import known_devices

log = logging.getLogger(__name__)
DAY = 24 * 3600
# What a cache that cannot be reached raises (Redis; a socket error from any other backend).
CACHE_DOWN = (redis.RedisError, OSError)


@dataclass(frozen=True)
class Counter:
    name: str
    limit: int
    cooloff_seconds: int
    grows: bool = False


def _counters() -> list[Counter]:
    base = settings.LOGIN_COOLOFF_MINUTES * 60
    return [
        Counter("pair", settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, base, grows=True),
        Counter("account", settings.LOGIN_FAILURES_PER_ACCOUNT, base),
        Counter(
            "address",
            settings.LOGIN_FAILURES_PER_ADDRESS,
            settings.LOGIN_ADDRESS_COOLOFF_MINUTES * 60,
        ),
    ]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _account(username) -> str:
    # The form strips and NFKC-normalises names; case differences count as one account too.
    return unicodedata.normalize("NFKC", str(username or "")).strip().casefold()


def _address(request) -> str:
    """The client's address; an IPv6 client is counted by its /64, which one subscriber
    usually holds whole (otherwise each of its addresses would get its own allowance)."""
    address = client_address(request) if request is not None else "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _subjects(request, username) -> dict[str, str]:
    """The counters a try counts on: on a browser this account has logged in from before,
    that browser's own counter only (see known_devices.py); elsewhere the three."""
    account = _account(username)
    device = known_devices.device_for(request, account)
    if device:
        return {"pair": _digest("device", account, device)}
    address = _address(request)
    return {
        "pair": _digest("pair", account, address),
        "account": _digest("account", account),
        "address": _digest("address", address),
    }


def locked_for(request, username) -> int:
    """Seconds until `username` may try again from this request's address; 0 if now."""
    subjects = _subjects(request, username)
    keys = [f"login:lock:{name}:{subject}" for name, subject in subjects.items()]
    try:
        until = max((value for value in cache.get_many(keys).values()), default=0)
    except CACHE_DOWN:  # do not stop staff from working
        log.warning("login throttling skipped: the cache is unreachable", exc_info=True)
        return 0
    # The expiry time is kept in the value (the key's TTL only tidies up), so a lock ends
    # exactly when it says, whatever clock the cache keeps.
    return max(0, int(until - time.time() + 0.999))


def record_failure(request, username) -> None:
    """Count one wrong password; lock whatever counter reaches its limit."""
    if locked_for(request, username):
        return  # a try refused by the lock is not a guess
    subjects = _subjects(request, username)
    window = settings.LOGIN_FAILURE_WINDOW_MINUTES * 60
    try:
        for counter in _counters():
            subject = subjects.get(counter.name)
            if subject is None:
                continue
            if count(f"login:fail:{counter.name}:{subject}", window) >= counter.limit:
                _lock(counter, subject)
    except CACHE_DOWN:
        log.warning("login failure not counted: the cache is unreachable", exc_info=True)


def record_success(request, username) -> None:
    """The user proved the password from here: forget this pair's failures and remember
    the browser as known for the account."""
    account = _account(username)
    pairs = {_digest("pair", account, _address(request))}
    device = known_devices.device_for(request, account)
    if device:
        pairs.add(_digest("device", account, device))
    try:
        for subject in pairs:
            cache.delete_many([f"login:fail:pair:{subject}", f"login:strikes:pair:{subject}"])
    except CACHE_DOWN:
        log.warning("login success not recorded: the cache is unreachable", exc_info=True)
    known_devices.remember(request, account)


def _lock(counter: Counter, subject: str) -> None:
    seconds = counter.cooloff_seconds
    if counter.grows:
        strikes = count(f"login:strikes:{counter.name}:{subject}", DAY)
        seconds = min(seconds * 2 ** (strikes - 1), settings.LOGIN_COOLOFF_MAX_MINUTES * 60)
    cache.set(f"login:lock:{counter.name}:{subject}", time.time() + seconds, timeout=seconds + 60)
    cache.delete(f"login:fail:{counter.name}:{subject}")  # the next lock needs a full count
    log.warning("login locked for %s s (%s limit reached)", seconds, counter.name)
