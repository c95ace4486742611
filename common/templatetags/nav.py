"""The navigation bar's links by role (templates/includes/nav.html).

They depend on nothing but the viewer's powers and language, the address the app is served
at, its URLs and its translations: everyone with the same powers sees the same links. Each
process draws each combination once instead of reversing a dozen URLs and translating their
names on every page.
"""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def role_links(context):
    scope, user = context.get("scope"), context.get("user")
    if scope is None:  # a page drawn without the request's scope (an error page) shows none
        return _drawn(get_script_prefix(), get_language(), "", False, frozenset(), False)
    return _drawn(
        get_script_prefix(),  # the links are reversed under the prefix the app is served at
        get_language(),
        scope.home_level,
        scope.has_any_place,
        scope.capabilities,
        bool(getattr(user, "is_staff", False)),
    )


@lru_cache(maxsize=256)
def _drawn(prefix, language, home_level, has_any_place, can, is_staff) -> str:
    context = {
        "home_level": home_level,
        "has_any_place": has_any_place,
        "can": can,
        "is_staff": is_staff,
    }
    return mark_safe(render_to_string("includes/_role_links.html", context))
