"""The error page for a bad request: it says what was wrong when our code knows it."""

from django.shortcuts import render

from .params import BadParameter


def bad_request(request, exception):
    # Only our own messages are shown; Django's other 400s (a bad host, a broken upload) may
    # carry details the user should not see.
    message = exception.message if isinstance(exception, BadParameter) else None
    return render(request, "400.html", {"message": message}, status=400)
