from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reports.figures import DRILLABLE, LABELS

register = template.Library()


@lru_cache(maxsize=8)
def _cases_url(prefix: str) -> str:
    return reverse("reports:cases")


@lru_cache(maxsize=8)
def _help_texts(language: str) -> dict:
    """Each figure's hover text, translated and escaped once per language."""
    return {key: escape(str(help_text)) for key, (_label, help_text) in LABELS.items()}


def cell_writer(period):
    """What draws a figure's cell, with what every cell of the page shares worked out once:
    the whole city's report draws some 3,000 cells (a hundred streets, on the table and on the
    phone's cards), and a template per cell was most of its time. Values are numbers; every
    text is escaped."""
    help_texts = _help_texts(get_language())
    cases_url = escape(_cases_url(get_script_prefix()))
    live_title = escape(_("Today's figure: it changed after the month was frozen"))
    now_word = escape(_("now"))
    place_queries = {}  # a row's place, encoded once for its dozen cells

    def cell(live, frozen, key, place=None):
        value = live.get(key) if live else None
        published = frozen.get(key) if frozen else None
        shown = published if frozen else value
        unit = "%" if key.endswith("_rate") else ""
        text = "—" if shown is None else escape(f"{shown}{unit}")
        if key in DRILLABLE and shown:  # a count, or a rate: the cases behind it
            where = tuple(place.items()) if place else ()
            if where not in place_queries:
                place_queries[where] = escape(f"&{urlencode(where)}" if where else "")
            link = f"{cases_url}?figure={key}&amp;{escape(period.query)}{place_queries[where]}"
            html = f'<span title="{help_texts[key]}"><a href="{link}">{text}</a></span>'
        else:
            html = f'<span title="{help_texts[key]}">{text}</span>'
        if frozen and value != published and value is not None:
            html += (
                f' <span class="small text-warning-emphasis" title="{live_title}"'
                f' data-testid="live-figure">({now_word} {escape(value)}{unit})</span>'
            )
        return mark_safe(html)  # noqa: S308 — built above from escaped parts

    return cell


@register.simple_tag
def report_cell(live, frozen, key, period, place=None):
    """One figure: the published value, the live one beside it when it has changed since,
    a hover text saying what it counts, and a link to the cases behind a count."""
    return cell_writer(period)(live, frozen, key, place)


@register.simple_tag
def figure_label(key):
    return LABELS[key][0]
