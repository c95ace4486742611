"""The switches: larger text (适老化, on the residents' pages) and the language (on every page).

A switch is a form button, not script, so it works on any phone and under the app's CSP. On a
page with a form, the buttons send that form's fields along (`form=` on the button, or, with
JavaScript, the form last typed into: static/js/youjie.js): what was typed is kept as a draft
for the page, and the page's forms fill themselves with it again (common/drafts.py); `checked=1`
says the form had been sent and came back with errors, which then show again. The switch goes
back to a page that can be asked for again (every answer to a POST on the residents' pages is a
redirect to one), so it never ends on an error or loses what was shown.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from common import drafts

LARGE_TEXT_COOKIE = "large_text"  # base.html reads it: <html class="large-text">
YEAR = 365 * 86400


def _back_to(request) -> str:
    """The page the switch was pressed on: a page of this site only, else the start."""
    next_url = request.GET.get("next") or request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("residents:start")


@login_not_required
@require_POST
def switch(request):
    """Larger or normal text (`large`=1/0) and/or another language (`language`), then back."""
    next_url = _back_to(request)
    drafts.keep(request, next_url, request.POST, checked=request.GET.get("checked") == "1")
    response = HttpResponseRedirect(next_url)
    if "large" in request.POST:
        if request.POST["large"] == "1":
            response.set_cookie(
                LARGE_TEXT_COOKIE,
                "1",
                max_age=YEAR,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        else:
            response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    language = request.POST.get("language")
    if language in {code for code, _name in settings.LANGUAGES}:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
