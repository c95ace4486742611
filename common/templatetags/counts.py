"""`{% counts grids=g units=u unit_leaders=l %}`: counts of places and people, each worded in the
singular or the plural its number takes ("1 unit · 2 unit leaders"), joined with " · "."""

from django import template
from django.utils.translation import ngettext

register = template.Library()


def _communities(n):
    return ngettext("%(n)s community", "%(n)s communities", n)


def _grids(n):
    return ngettext("%(n)s grid", "%(n)s grids", n)


def _buildings(n):
    return ngettext("%(n)s building", "%(n)s buildings", n)


def _units(n):
    return ngettext("%(n)s unit", "%(n)s units", n)


def _unit_leaders(n):
    return ngettext("%(n)s unit leader", "%(n)s unit leaders", n)


PHRASES = {
    "communities": _communities,
    "grids": _grids,
    "buildings": _buildings,
    "units": _units,
    "unit_leaders": _unit_leaders,
}


@register.simple_tag
def counts(**numbers) -> str:
    return " · ".join(PHRASES[name](n or 0) % {"n": n or 0} for name, n in numbers.items())
