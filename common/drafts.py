"""What was typed into a page's form, kept through a switch (the language, larger text).

A switch button sends the fields of the form being filled in to the switch
(residents/switches.py): without JavaScript, the form the page names as `switch_form`; with it,
the form last typed into, on any page (static/js/youjie.js). The switch keeps them here as the
draft of the page it returns to, in the session. When that page is asked for again,
`DraftMiddleware` takes the draft, once, and every form of the app (common/forms.py) shows it:
each field the draft names shows what was typed, whether the form is empty or holds the page's
query (a search box). Nothing is sent or saved: the person sends the form when they choose.

A draft of a form that had been sent and came back with errors is `checked`: the form checks
what was typed again, so the same errors show beside the same fields after the switch. A chosen
file cannot be kept (the switch sends a form as text, a file as its name only): its field asks
for it again.
"""

from contextvars import ContextVar
from urllib.parse import urlsplit

from django.utils.datastructures import MultiValueDict

from .files import CHOOSE_AGAIN

KEY = "switch_draft"
# What a switch sends besides the page's fields.
NOT_TYPED = {"csrfmiddlewaretoken", "next", "large", "language", "website"}
# A draft holds what a person types into one form, no more: the longest text of a form is the
# minutes (20,000 characters), the form with most fields a decision with its task rows.
FIELDS, CHARACTERS = 40, 20_000

_current = ContextVar("draft", default=None)


class Draft:
    def __init__(self, fields: dict, checked: bool = False):
        self.fields = fields  # {name as sent: [values]}
        self.checked = checked

    def covers(self, form) -> bool:
        """The draft is of this form: it names one of the form's fields."""
        return any(form.add_prefix(name) in self.fields for name in form.fields)

    def typed(self, bound_field):
        """What was typed into a field of a form the draft covers, as the form's value; None
        when the draft does not say (the form's own value stands)."""
        widget = bound_field.field.widget
        values = self.fields.get(bound_field.html_name)
        many = getattr(widget, "allow_multiple_selected", False)
        if values is None:  # a box left unticked is not sent at all
            if many:
                return []
            return False if getattr(widget, "input_type", None) == "checkbox" else None
        return values if many else values[0]

    def data(self) -> MultiValueDict:
        return MultiValueDict({name: list(values) for name, values in self.fields.items()})


def current() -> Draft | None:
    """The draft of the page being drawn, if a switch left one for it."""
    return _current.get()


def keep(request, next_url: str, sent, *, checked: bool) -> None:
    """Keep the fields a switch sent as the draft of the page it returns to."""
    fields, room = {}, FIELDS
    for name in sent:
        if name in NOT_TYPED or "password" in name or room <= 0:
            continue
        values = [value[:CHARACTERS] for value in sent.getlist(name)[:room]]
        room -= len(values)
        fields[name] = values
    if fields:
        path = urlsplit(next_url).path
        request.session[KEY] = {"path": path, "fields": fields, "checked": checked}


def _take(request) -> Draft | None:
    """The draft left for this page, taken once: asked for again, the page is as it is."""
    headers = request.headers
    if request.method != "GET" or "HX-Request" in headers or "X-Offline-Keep" in headers:
        return None  # a panel fetched by the page, or a page kept for offline work
    session = getattr(request, "session", None)
    if session is None or KEY not in session:
        return None
    kept = session[KEY]
    if kept.get("path") != request.path:
        return None
    del session[KEY]
    return Draft(kept.get("fields") or {}, checked=bool(kept.get("checked")))


class DraftMiddleware:
    """Hands the page the draft a switch left for it (`request.draft`, and to its forms)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.draft = _take(request)
        token = _current.set(request.draft)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def drafted_prefix(request) -> str | None:
    """The prefix of the form a switch was pressed in on this page ("verify" for a case
    page's 查单 panel), "" for a form without one, None when nothing was typed."""
    draft = getattr(request, "draft", None)
    if draft is None:
        return None
    prefixes = {name.split("-", 1)[0] for name in draft.fields if "-" in name}
    return prefixes.pop() if len(prefixes) == 1 else ""


def check_again(form) -> None:
    """An empty form the draft covers: what was typed shows its errors again (a checked
    draft), and a file chosen before the switch is asked for again."""
    draft = current()
    if draft is None or not draft.covers(form):
        return
    if draft.checked:
        form.is_bound, form.data, form.files = True, draft.data(), MultiValueDict()
        try:
            form.full_clean()  # the form's own checks, of what was typed
        finally:
            form.is_bound, form.data, form.files = False, MultiValueDict(), MultiValueDict()
    for name, field in form.fields.items():
        if field.widget.needs_multipart_form and any(draft.fields.get(form.add_prefix(name), ())):
            form._errors.setdefault(name, form.error_class(renderer=form.renderer))
            form._errors[name].append(CHOOSE_AGAIN)
            # Nothing was sent: the page says "choose it again" by the field, and no banner
            # says the form has mistakes (its templates read this).
            form.only_choose_again = not draft.checked
