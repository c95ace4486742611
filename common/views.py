"""Site-wide pages: the bad-request page, the web app manifest and the favicon."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .params import BadParameter


def bad_request(request, exception):
    # Only our own messages are shown; Django's other 400s (a bad host, a broken upload) may
    # carry details the user should not see.
    message = exception.message if isinstance(exception, BadParameter) else None
    return render(request, "400.html", {"message": message}, status=400)


# The web app manifest and the favicon: what a phone needs to add the app to its home screen.
THEME_COLOUR = "#0d6efd"  # the navigation bar's blue (templates/base.html has it too)


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def manifest(request):
    icons = [
        {
            "src": static(f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "name": "有解",
        "short_name": "有解",
        "description": gettext("Youjie · every request has an answer"),
        "lang": get_language() or "zh-hans",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    return JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@login_not_required
@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page says; send them to the static file.
    return HttpResponsePermanentRedirect(static("icons/favicon.ico"))
