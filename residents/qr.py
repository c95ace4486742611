"""QR codes for buildings and units, drawn as SVG by segno (no outside service)."""

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe


def request_url(place) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("residents:place", args=[place.public_code])


def svg(url: str) -> str:
    # segno writes only path data and the given text-free attributes; nothing from users.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=3, border=2))  # noqa: S308
