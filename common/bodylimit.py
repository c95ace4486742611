"""Request bodies larger than the page can use are refused before a byte of them is read.

Django reads a multipart body whole (its files into temporary files) before a form can say a
photo is too big: a 200 MB post would keep a worker busy, and fill the disk, only to be refused.
This middleware comes first and answers 413 from the Content-Length header alone, against the
largest body the URL's view takes:

- a view that takes files says so with `@accepts_upload(...)`: its files' limit plus
  FORM_FIELDS_MAX_BYTES for the rest of the form;
- every other URL: DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own limit for form data.

A body without Content-Length (Transfer-Encoding: chunked) is answered 411 and never read:
Django's WSGI handler would read nothing of it anyway, and browsers always send the length.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy

from common.middleware import chosen_language

# The text fields of an upload form, and the multipart framing of its parts.
FORM_FIELDS_MAX_BYTES = 1024 * 1024


def accepts_upload(max_file_bytes):
    """Mark a view that takes files; `max_file_bytes()` is read per request (settings change)."""

    def mark(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.max_file_bytes = max_file_bytes
        return wrapped

    return mark


def max_body_bytes(path: str) -> int:
    try:
        view = resolve(path).func
    except Resolver404:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    max_file_bytes = getattr(view, "max_file_bytes", None)
    if max_file_bytes is None:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return max_file_bytes() + FORM_FIELDS_MAX_BYTES


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH")
        if not declared:
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refusal(request, 411, NO_LENGTH)
            return self.get_response(request)
        try:
            length = int(declared)
        except ValueError:
            return _refusal(request, 400, BAD_LENGTH)
        limit = max_body_bytes(request.path_info)
        if length > limit:
            return _refusal(request, 413, TOO_LARGE, mb=f"{limit / (1024 * 1024):.0f}")
        return self.get_response(request)


# The frame of the short page: the app's name and the way back, as on every other page.
BRAND = gettext_lazy("Youjie")
BACK_HOME = gettext_lazy("Back to the start page")
TITLE = gettext_lazy("The request was not accepted")
NO_LENGTH = gettext_lazy("Send the length of the request (Content-Length).")
BAD_LENGTH = gettext_lazy("The request's length is not a number.")
TOO_LARGE = gettext_lazy(
    "This is too large to send (at most %(mb)s MB). Send fewer or smaller photos or files."
)


def _refusal(request, status: int, message, **params) -> HttpResponse:
    with translation.override(chosen_language(request)):
        text = str(message) % params if params else str(message)
    return refusal_page(request, status, text)


# An answer that leaves before the security middleware carries their headers itself.
REFUSAL_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _stylesheets() -> str:
    links = []
    for path in ("vendor/bootstrap/bootstrap.min.css", "css/youjie.css"):
        try:
            links.append(f'<link rel="stylesheet" href="{escape(static(path))}">')
        except ValueError:  # static files not collected (a check outside a deploy): plain
            return ""
    return "".join(links)


def refusal_page(request, status: int, text: str) -> HttpResponse:
    """A short page in the user's language, built without sessions, users or templates: the
    middleware that provide them have not run (nor should, for a refused request)."""

    with translation.override(chosen_language(request)):
        title, text = escape(str(TITLE)), escape(text)
        brand, home = escape(str(BRAND)), escape(str(BACK_HOME))
        styles = _stylesheets()
        # The app's frame in plain HTML: its name leads home, and so does the button.
        page = (
            f'<!doctype html><html lang="{translation.get_language()}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>{styles}</head><body>"
            '<nav class="navbar navbar-dark bg-primary"><div class="container-lg">'
            f'<a class="navbar-brand fw-bold" href="/">{brand}</a></div></nav>'
            '<main class="container-lg py-3">'
            f'<h1 class="h3 my-3">{title}</h1><p data-testid="bad-request-message">{text}</p>'
            f'<a class="btn btn-primary" href="/">{home}</a></main></body></html>'
        )
    return HttpResponse(page, status=status, headers=REFUSAL_HEADERS)
