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

from common.files import CHOOSE_AGAIN

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
    (taken once; a file cannot be kept, and the page says so). {} when nothing was. A form
    with a prefix (a case page's panels) finds its fields by their prefixed names."""
    return _initial_from_draft(request, form_class(**form_kwargs))


def drafted_prefix(request) -> str:
    """The prefix of the form a switch was pressed in on this page ("verify" for a case
    page's 查单 panel), "" for a form without one, None when nothing was typed."""
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("path") != request.path:
        return None
    prefixes = {name.split("-", 1)[0] for name in draft["fields"] if "-" in name}
    return prefixes.pop() if len(prefixes) == 1 else ""


def fill_from_draft(request, form):
    """Fill an unbound form (a case page's panel) with what was typed before a switch."""
    form.initial = {**form.initial, **_initial_from_draft(request, form)}
    return form


def _initial_from_draft(request, form) -> dict:
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("path") != request.path:
        return {}
    del request.session[DRAFT_KEY]
    initial = {}
    for sent_name, values in draft["fields"].items():
        name = sent_name.removeprefix(f"{form.prefix}-") if form.prefix else sent_name
        field = form.fields.get(name)
        if field is None or not any(values):
            continue
        if field.widget.needs_multipart_form:
            # The switch sends the form's fields as text: a chosen file comes as its name
            # only, and no page can choose it again for the person.
            messages.warning(request, CHOOSE_AGAIN)
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
