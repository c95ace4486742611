"""What the case page's timeline calls each history row: the workflow names its moves."""

from django import template

from cases.workflow import EVENT_LABELS

register = template.Library()


@register.filter
def event_label(event) -> str:
    return EVENT_LABELS.get(event.move, event.move)
