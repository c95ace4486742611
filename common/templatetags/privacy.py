"""Template filters for personal information shown on lists and to the public."""

from django import template

from common.phones import redact_phones as _redact_phones

register = template.Library()


@register.filter
def redact_phones(text):
    """Mask phone numbers residents typed into free text (lists show no full number)."""
    return _redact_phones(str(text or ""))
