"""`{% help_url %}`: the guide's chapter and section for this page and viewer (common/help.py)."""

from django import template

from common.help import help_url as _help_url

register = template.Library()


@register.simple_tag(takes_context=True)
def help_url(context) -> str:
    request = context.get("request")
    return _help_url(request, context) if request is not None else ""
