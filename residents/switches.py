"""The residents' switches: larger text (适老化) and the language.

A switch is a form button, not script, so it works on any phone and under the app's CSP. On a
page with a form, the buttons send that form's fields along (`form=` on the button): what the
resident typed is kept here as a draft for the page, and the page fills its form with it again.
The switch then goes back to a page that can be asked for again (every answer to a POST on the
residents' pages is a redirect to one), so it never ends on an error or loses what was shown.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from common.files import CHOOSE_AGAIN, sent_files

LARGE_TEXT_COOKIE = "large_text"  # base.html reads it: <html class="large-text">
YEAR = 365 * 86400
DRAFT_KEY = "resident_draft"
# What a switch sends besides the page's fields.
NOT_TYPED = {"csrfmiddlewaretoken", "next", "large", "language", "website"}
# A draft holds what a person types into one form, no more (a form's longest text is 2,000).
DRAFT_FIELDS, DRAFT_CHARACTERS = 20, 2000


def _back_to(request) -> str:
    """The page the switch was pressed on: a page of this site only, else the start."""
    next_url = request.GET.get("next") or request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("residents:start")


def _keep_draft(request, next_url):
    fields = {
        name: request.POST.getlist(name)
        for name in list(request.POST)[:DRAFT_FIELDS]
        if name not in NOT_TYPED
    }
    fields = {
        name: [value[:DRAFT_CHARACTERS] for value in values[:DRAFT_FIELDS]]
        for name, values in fields.items()
    }
    if fields:
        request.session[DRAFT_KEY] = {"path": next_url.split("?")[0], "fields": fields}


def draft_for(request, form_class, **form_kwargs) -> dict:
    """What was typed into this page's form before a switch, as the form's initial values
    (taken once; a file cannot be kept). {} when nothing was."""
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("path") != request.path:
        return {}
    del request.session[DRAFT_KEY]
    fields = form_class(**form_kwargs).fields
    initial = {}
    for name, values in draft["fields"].items():
        field = fields.get(name)
        if field is None or field.widget.needs_multipart_form or not values:
            continue
        initial[name] = (
            values if getattr(field.widget, "allow_multiple_selected", False) else values[0]
        )
    return initial


@login_not_required
@require_POST
def switch(request):
    """Larger or normal text (`large`=1/0) and/or another language (`language`), then back."""
    next_url = _back_to(request)
    _keep_draft(request, next_url)
    if sent_files(request):
        messages.warning(request, CHOOSE_AGAIN)
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
