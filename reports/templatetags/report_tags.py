from django import template
from django.urls import reverse
from django.utils.http import urlencode

from reports.figures import COUNT_KEYS, LABELS

register = template.Library()


@register.inclusion_tag("reports/_cell.html")
def report_cell(live, frozen, key, period, place=None):
    """One figure: the published value, the live one beside it when it has changed since,
    a hover text saying what it counts, and a link to the cases behind a count."""
    value = live.get(key) if live else None
    published = frozen.get(key) if frozen else None
    shown = published if frozen else value
    link = None
    if key in COUNT_KEYS and shown:
        params = {"figure": key, **dict(p.split("=") for p in [period.query])}
        params.update(place or {})
        link = reverse("reports:cases") + "?" + urlencode(params)
    return {
        "value": shown,
        "live": value if frozen and value != published else None,
        "is_rate": key.endswith("_rate"),
        "help": LABELS[key][1],
        "link": link,
    }


@register.simple_tag
def figure_label(key):
    return LABELS[key][0]
