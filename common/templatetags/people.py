"""How a user is named on pages: the one rule of common/people.py, as a template filter."""

from django import template

from common.people import person_name

register = template.Library()


@register.filter
def display_name(person) -> str:
    """A user by their name (their login name only if they have none); an outside contact,
    such as a task's owner, as they name themselves."""
    return person_name(person) if person else ""
