"""What every API endpoint shares: the key, its rate limit and the log of each call.

API calls are not a logged-in user: `ApiKeyAuthentication` finds the key (header
`X-Api-Key`, or the `api_key` parameter Open311 clients send) and gives the request the
partner's service account and `request.scope = Scope.for_partner(...)`.
"""

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from rest_framework.views import APIView

from .authentication import ApiKeyAuthentication, HasApiKey
from .calls import log_partner_call, log_unidentified_call


@method_decorator(login_not_required, name="dispatch")
class LoggedApiView(APIView):
    """An endpoint for partners: the key is checked and every call is logged (interop/calls.py:
    with its key for ever, or without one in the log that forgets)."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(request._request, "api_key", None)
        if key is None:  # no key, or a wrong one: anyone's call, in the log that forgets
            log_unidentified_call(request._request, response.status_code)
        else:
            log_partner_call(request._request, key.partner, key, response.status_code)
        return response


class PublicApiView(LoggedApiView):
    """Open to anyone (discovery, service list); a key, when sent, is still checked and logged."""

    permission_classes = []
