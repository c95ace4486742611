"""Template filters for personal information shown on lists and to the public."""

from django import template

from common.phones import redact_phones as _redact_phones

register = template.Library()


@register.filter
def redact_phones(text):
    """Mask phone numbers residents typed into free text (lists show no full number)."""
    return _redact_phones(str(text or ""))


@register.filter
def unless_revealed(text, revealed):
    """Free text on a staff page: numbers masked as on lists, unless the page is the answer to
    "show the full number" (cases:phone), which is recorded in the access log. A number typed
    into a note, an explanation or a rating is the resident's as much as the one in its field."""
    return str(text or "") if revealed else redact_phones(text)
