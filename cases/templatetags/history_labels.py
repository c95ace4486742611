"""What the case page's timeline calls each history row: the workflow names its moves."""

from django import template

from cases.workflow import EVENT_LABELS
from grids.models import ContactKind

register = template.Library()


@register.filter
def event_label(event) -> str:
    return EVENT_LABELS.get(event.move, event.move)


@register.filter
def owner_label(details) -> str:
    """The owner a history row names: "丁文 (物业)" in Chinese, "丁文 (property management)" in
    English, the kind read in the reader's language. Rows written before the kind was kept
    apart say it as they were written."""
    owner, kind = details.get("owner", ""), details.get("owner_kind")
    if kind in ContactKind.values:
        return f"{owner} ({ContactKind(kind).label})"
    return owner
