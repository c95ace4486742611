"""An address opened the wrong way gets a page, not the browser's blank "HTTP ERROR 405".

Moves and switches are sent by a form's button (POST); typed into the address bar, or opened
from a bookmark or the history, Django's `require_POST` answers 405 with no body at all. For a
person that is a blank screen: here it becomes a page in the app's frame that says what the
address is for and leads back. Programs (the hotline's /api/ and Open311) keep the bare status,
which they read; the Allow header stays either way.
"""

from django.shortcuts import render

PROGRAMS = ("/api/", "/open311/")


class NotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 405
            or response.content
            or request.method not in ("GET", "HEAD")
            or request.path_info.startswith(PROGRAMS)
        ):
            return response
        # Whether it leads back to the residents' start is the frame's own rule
        # (`for_residents`, common/help.py's context processor).
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page
