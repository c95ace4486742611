"""What a meeting's log calls each change: the workflow names them."""

from django import template

from meetings.workflow import CHANGE_LABELS

register = template.Library()


@register.filter
def change_label(change) -> str:
    return CHANGE_LABELS.get(change.what, change.what)
