"""The service worker, served from /sw.js so that it controls the whole site.

static/js/sw.js is sent with a first line naming the files it keeps at install (with their
revisions) and the URLs of the vendored Workbox modules: a changed asset changes the worker's
bytes, so phones pick up the new version. The worker is never cached by HTTP caches (a stale
worker would keep stale pages)."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

# What a page needs to draw without a signal.
PRECACHE = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/htmx/htmx.min.js",
    "css/youjie.css",
    "js/youjie.js",
    "js/offline.js",
)
WORKBOX = ("workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching")


def _revision(path):
    found = finders.find(path)
    if not found:
        return None
    with open(found, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _script():
    config = {
        "precache": [{"url": static(path), "revision": _revision(path)} for path in PRECACHE],
        "workboxSw": static("vendor/workbox/workbox-sw.js"),
        "modules": {name: static(f"vendor/workbox/{name}.prod.js") for name in WORKBOX},
    }
    with open(finders.find("js/sw.js"), encoding="utf-8") as handle:
        body = handle.read()
    return f"self.YOUJIE = {json.dumps(config)};\n{body}"


@require_GET
@login_not_required
def service_worker(request):
    script = _script() if not settings.DEBUG else _script.__wrapped__()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
