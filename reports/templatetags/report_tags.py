from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reports.figures import COUNT_KEYS, LABELS

register = template.Library()


@lru_cache(maxsize=8)
def _cases_url(prefix: str) -> str:
    return reverse("reports:cases")


@lru_cache(maxsize=8)
def _help_texts(language: str) -> dict:
    """Each figure's hover text, translated and escaped once per language."""
    return {key: escape(str(help_text)) for key, (_label, help_text) in LABELS.items()}


@register.simple_tag
def report_cell(live, frozen, key, period, place=None):
    """One figure: the published value, the live one beside it when it has changed since,
    a hover text saying what it counts, and a link to the cases behind a count.

    Written here rather than in a template: the whole city's report draws some 3,000 cells
    (a hundred streets, on the table and on the phone's cards), and a template per cell was
    most of its time. Values are numbers; every text is escaped."""
    value = live.get(key) if live else None
    published = frozen.get(key) if frozen else None
    shown = published if frozen else value
    unit = "%" if key.endswith("_rate") else ""
    text = "—" if shown is None else escape(f"{shown}{unit}")
    help_text = _help_texts(get_language())[key]
    if key in COUNT_KEYS and shown:
        query = f"figure={key}&{period.query}" + (f"&{urlencode(place)}" if place else "")
        link = escape(f"{_cases_url(get_script_prefix())}?{query}")
        cell = f'<span title="{help_text}"><a href="{link}">{text}</a></span>'
    else:
        cell = f'<span title="{help_text}">{text}</span>'
    if frozen and value != published and value is not None:
        cell += format_html(
            ' <span class="small text-warning-emphasis" title="{}" data-testid="live-figure">'
            "({} {}{})</span>",
            _("Today's figure: it changed after the month was frozen"),
            _("now"),
            value,
            unit,
        )
    return mark_safe(cell)  # noqa: S308 — built above from escaped parts


@register.simple_tag
def figure_label(key):
    return LABELS[key][0]
