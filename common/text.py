"""Which characters the app refuses in typed text, and what a spreadsheet cannot hold.

A resident's request or a place name is shown on pages, printed, mailed and exported. Some
characters do nothing a person meant to type and break the places the text travels to:

- C0 control characters other than tab, line feed and carriage return (U+0000-U+001F),
  DEL (U+007F) and the C1 controls (U+0080-U+009F): invisible, and XLSX cannot hold most of
  them, so one such request made every export that included it fail;
- lone surrogates (U+D800-U+DFFF) and the non-characters U+FFFE and U+FFFF: not text at all;
- the bidirectional embedding, override and isolate characters (U+202A-U+202E,
  U+2066-U+2069): they reorder what is displayed after them, so a name can read as another
  name ("Trojan source" spoofing). The plain marks U+200E/U+200F and the zero-width joiner
  (used by emoji) stay allowed: they cannot reorder a whole run of text.

Every form field refuses these (`refuse_control_characters`, installed on all form text fields
by `common.apps`); the hierarchy import refuses them cell by cell. Rows stored before this rule
are cleaned on their way into a spreadsheet by `for_spreadsheet`.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

REFUSED_CHARACTERS_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
# The message id too: an import's errors keep it, to be read later (common/said.py).
CONTROL_CHARACTER_TEXT = gettext_noop(
    "This text cannot contain control characters or invisible direction marks."
)
CONTROL_CHARACTER_MESSAGE = _(CONTROL_CHARACTER_TEXT)
# On a form the text comes back without them (see guard_every_form_text_field), so it says so.
FORM_CONTROL_CHARACTER_MESSAGE = _(
    "This text cannot contain control characters or invisible direction marks. They have been "
    "taken out of the text below: check it and send it again."
)
XLSX_CELL_LIMIT = 32767  # characters; Excel refuses to open a file with a longer cell


def has_refused_characters(value) -> bool:
    return isinstance(value, str) and REFUSED_CHARACTERS_RE.search(value) is not None


def refuse_control_characters(value):
    """A form validator: the field's text holds no refused character."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if any(has_refused_characters(item) for item in values):
        raise ValidationError(FORM_CONTROL_CHARACTER_MESSAGE, code="control_characters")


def for_spreadsheet(value: str) -> str:
    """The text without refused characters, cut to a cell's limit.

    The refused set holds everything XLSX cannot (openpyxl's ILLEGAL_CHARACTERS_RE) and lone
    surrogates, which no UTF-8 file can; direction overrides go too, so an old spoofed name
    does not mislead in a spreadsheet either.
    """
    return REFUSED_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]


def guard_every_form_text_field():
    """Make every form text field of the project refuse control characters.

    Installed once at start-up (`CommonConfig.ready`) on Django's `forms.CharField` itself, so
    no form can forget it: our forms, the admin's ModelForms, the login and password forms,
    django-filter's filters and every field a future form declares. It runs on each clean, so
    fields created before start-up (Django's own forms are built at import) are covered too.
    The raw input is checked, before stripping: a control character at the end of a line is
    refused like one in the middle, rather than silently removed. A refused form shows its text
    again without those characters (`bound_data`), so the person keeps what they typed and
    sending it again goes through: the characters are invisible, so no one could find them.
    """
    if getattr(forms.CharField, "refuses_control_characters", False):
        return
    clean = forms.CharField.clean

    def refusing_clean(self, value):
        if value not in self.empty_values:
            refuse_control_characters(value)
        return clean(self, value)

    bound_data = forms.CharField.bound_data

    def shown_without_refused_characters(self, data, initial):
        shown = bound_data(self, data, initial)
        if isinstance(shown, str):
            return REFUSED_CHARACTERS_RE.sub("", shown)
        if isinstance(shown, (list, tuple)):
            return [REFUSED_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in shown]
        return shown

    forms.CharField.clean = refusing_clean
    forms.CharField.bound_data = shown_without_refused_characters
    forms.CharField.refuses_control_characters = True
