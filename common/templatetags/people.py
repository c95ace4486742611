"""How a user is named on pages: the one rule of common/people.py, as a template filter."""

from django import template

from common.people import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    return _display_name(user) if user else ""
