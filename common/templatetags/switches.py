"""Where a switch (the language, larger text) returns to: a page that can be asked for again.

The page a switch is pressed on may be the answer to a POST (a full phone number shown, a form
sent back with its errors): asked for again with GET, its address would answer 405 or do the
POST's work again. Such a page returns to the page the POST was sent from instead.
"""

from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def page_to_return_to(context):
    request = context["request"]
    if context.get("switch_next"):  # the page named its own (residents/views.py)
        return context["switch_next"]
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        sent_from = urlsplit(referer)
        if sent_from.path.startswith("/"):
            return sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")
    return reverse("home")
