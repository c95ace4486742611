"""Words a line must not break: a tracking code, a date, a time.

Stored texts (a reminder's title, a notice's body) carry dates written "2026-12-17" and
times "09:30". In a narrow column a browser breaks a date after its hyphen ("2026-12-" on
one line, "17" on the next), which reads as two numbers. CSS cannot reach a word inside a
text node, so this filter wraps each such word in a span that does not wrap.
"""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# The same words the phone measure looks for (tests/browser/measure.py).
WHOLE_WORD = re.compile(
    r"YJ[0-9A-Z]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{1,2}:[0-9]{2})?|[0-9]{4}-[0-9]{2}"
    r"|[0-9]{1,2}-[0-9]{2} [0-9]{1,2}:[0-9]{2}|[0-9]{1,2}:[0-9]{2}"
)


@register.filter(needs_autoescape=True)
def unbroken(text, autoescape=True):
    """{{ notification.shown_title|unbroken }}: the text escaped, its codes, dates and times
    kept on one line each."""
    escape = conditional_escape if autoescape else str
    text = str(text or "")
    pieces, start = [], 0
    for word in WHOLE_WORD.finditer(text):
        pieces.append(escape(text[start : word.start()]))
        pieces.append(nowrap(word.group()))
        start = word.end()
    pieces.append(escape(text[start:]))
    return mark_safe("".join(str(piece) for piece in pieces))


@register.filter
def nowrap(value):
    """{{ case.created_at|date:"Y-m-d H:i"|nowrap }}: one date, time or code, kept on one line
    (inside a {% blocktrans with %} too, where a span cannot be written around the variable)."""
    return format_html('<span class="text-nowrap">{}</span>', value)


@register.filter(needs_autoescape=True)
def breaks_at_slashes(url, autoescape=True):
    """A web address that may break over lines only after a slash, never inside its code."""
    escape = conditional_escape if autoescape else str
    return mark_safe("/<wbr>".join(str(escape(part)) for part in str(url or "").split("/")))
