"""Browsers an account has logged in from before ("known devices", as OWASP recommends).

After a successful login the browser gets a signed cookie naming, by keyed hash, the
accounts that logged in there, and a random id of its own. On such a browser that account
is not held back by the locks an attacker elsewhere can set off (the per-account and
per-address locks of `throttle.py`): its wrong passwords count on a counter of that browser
alone. So guessing spread over many addresses, or from the office's shared address, does not
lock a user out on their own phone, and a stolen phone still gets only a few guesses.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

COOKIE = "youjie_device"
SALT = "accounts.known-device"
MAX_AGE = 180 * 24 * 3600
MAX_ACCOUNTS = 10  # a shared phone: the last ten accounts logged in on it


def _account_tag(account: str) -> str:
    return salted_hmac(SALT, account, algorithm="sha256").hexdigest()[:20]


def _read(request) -> tuple[str | None, list[str]]:
    raw = request.COOKIES.get(COOKIE) if request is not None else None
    if not raw:
        return None, []
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
        return str(data["d"]), [str(tag) for tag in data["a"]][:MAX_ACCOUNTS]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, []


def device_for(request, account: str) -> str | None:
    """This browser's id when `account` has logged in on it before, else None."""
    device, tags = _read(request)
    return device if device and _account_tag(account) in tags else None


def remember(request, account: str) -> None:
    """Mark this browser as known for `account`; the middleware writes the cookie."""
    if request is None:
        return
    device, tags = _read(request)
    tag = _account_tag(account)
    tags = [tag, *(t for t in tags if t != tag)][:MAX_ACCOUNTS]
    request._known_device_cookie = signing.dumps(
        {"d": device or secrets.token_urlsafe(16), "a": tags}, salt=SALT, compress=True
    )


class KnownDeviceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "_known_device_cookie", None)
        if value:
            response.set_cookie(
                COOKIE,
                value,
                max_age=MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
