"""Phrases joined the way each language writes them.

A label and its value, or a person and what they said, joined in a template with an ASCII
": " read "计划: 修水管" in Chinese, which writes "计划：修水管". The joint belongs to the
translation: these tags translate the whole phrase "%(label)s: %(value)s" (zh_Hans:
"%(label)s：%(value)s"), so no template joins translated words with ASCII punctuation.
"""

from django import template
from django.utils.translation import gettext

from common.lists import joined, separator
from common.said import say

register = template.Library()


@register.simple_tag
def labelled(label, value):
    """{% labelled _("Plan") event.details.plan %} -> "Plan: …" / "计划：…" (escaped)."""
    return gettext("%(label)s: %(value)s") % {"label": label, "value": value}


@register.simple_tag
def colon(label):
    """A label before what follows it: "Officers:" / "负责人：" (escaped)."""
    return gettext("%(label)s:") % {"label": label}


@register.filter
def listing(items):
    """{{ names|listing }} -> "a, b" / "a、b" (escaped)."""
    return joined(items)


@register.simple_tag
def list_separator():
    """Between the items of a list written out in a loop: ", " / "、"."""
    return separator()


@register.filter
def said(value):
    """A text stored to be read in the reader's language (common/said.py)."""
    return say(value)
