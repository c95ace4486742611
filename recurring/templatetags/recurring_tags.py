"""A recurring problem's title in templates: 「金苑小区3号楼 水电气暖 · 90天内4次」."""

from django import template

from recurring.rules import title

register = template.Library()


@register.filter
def problem_title(problem) -> str:
    return title(problem)
