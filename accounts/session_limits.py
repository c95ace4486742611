"""Sessions end on a shared phone: after SESSION_IDLE_MINUTES without a request (default 30)
and, however active, SESSION_MAX_HOURS after logging in (default 12).

The user is then logged out, told why, and sent to the login page, which brings them back to
the page they were on. Only pages that need a login count: the residents' public pages
(/r/), the login page and the language switch neither end nor extend a session. The
last-seen time is written at most once a minute, so browsing does not write the session on
every request.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

STARTED = "_youjie_login_at"
SEEN = "_youjie_seen_at"
SEEN_RESOLUTION = 60  # seconds between writes of the last-seen time


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session")
def stamp_session(sender, request, user, **kwargs):
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now


def ended_because(session, now: float) -> str | None:
    """Why this session is over, or None while it may go on."""
    idle = settings.SESSION_IDLE_MINUTES
    longest = settings.SESSION_MAX_HOURS
    if now - session[SEEN] > idle * 60:
        return _(
            "You were logged out after %(minutes)s minutes without activity. "
            "Log in again to continue."
        ) % {"minutes": idle}
    if now - session[STARTED] > longest * 3600:
        return _(
            "You were logged out %(hours)s hours after logging in. Log in again to continue."
        ) % {"hours": longest}
    return None


def seconds_left(session, now: float) -> int:
    """How long this session may go on without a request: the phone wipes its kept pages
    then (static/js/sw.js), even offline. The last-seen time is written once a minute, so
    this errs early, never late."""
    idle_end = session[SEEN] + settings.SESSION_IDLE_MINUTES * 60
    hard_end = session[STARTED] + settings.SESSION_MAX_HOURS * 3600
    return max(0, int(min(idle_end, hard_end) - now))


# Every answer to a logged-in user says whose session it is and how long it has left.
SESSION_HEADER = "X-Session"


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        left = getattr(request, "session_seconds_left", None)
        if left is not None and request.user.is_authenticated:
            response[SESSION_HEADER] = f"{request.user.pk}; ends-in={left}"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True) or not request.user.is_authenticated:
            return None  # public pages neither end nor extend a session
        session, now = request.session, time.time()
        if STARTED not in session or SEEN not in session:
            # A session from before these limits: they start now.
            session[STARTED] = session[SEEN] = now
            request.session_seconds_left = seconds_left(session, now)
            return None
        reason = ended_because(session, now)
        if reason is None:
            if now - session[SEEN] >= SEEN_RESOLUTION:
                session[SEEN] = now
            request.session_seconds_left = seconds_left(session, now)
            return None
        back_to = where_they_were(request)
        logout(request)
        messages.info(request, reason)
        return to_login(request, back_to)


class LoginRequired(LoginRequiredMiddleware):
    """Django's login requirement, answering a fragment request as the session limits do.

    A session can also end with nobody here to see it: its cookie expired, it was logged out
    in another tab, or its row was removed. htmx follows a plain 302 inside the XHR and would
    swap the login page into the part of the page that asked; `HX-Redirect` makes htmx load
    the login page as the whole page instead.
    """

    def handle_no_permission(self, request, view_func):
        return to_login(request, where_they_were(request))


def to_login(request, back_to: str):
    login_page = redirect_to_login(back_to)
    if getattr(request, "htmx", False):
        # A fragment request would swap the login page into part of the page.
        return HttpResponseClientRedirect(login_page["Location"])
    return login_page


def where_they_were(request) -> str:
    """The page to come back to: this one for a plain GET; for a form sent or a fragment
    loaded, the page it was sent from (when it is on this site)."""
    if request.method in ("GET", "HEAD") and not getattr(request, "htmx", False):
        return request.get_full_path()
    page = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    if page and url_has_allowed_host_and_scheme(
        page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(page)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"
