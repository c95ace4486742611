"""What every partner API endpoint shares: the key, the limits and the log of each call.

API calls are not a logged-in user: `ApiKeyAuthentication` finds the key (header
`X-Api-Key`, or the `api_key` parameter Open311 clients send) and gives the request the
partner's service account and `request.scope = Scope.for_partner(...)`.

Reads need no key (GeoReport v2 says so): an anonymous read is counted per client address
(`OPEN311_READS_PER_ADDRESS_PER_MINUTE`) and not logged, so nobody can grow the append-only
log without a key. Writes need a key. A key that is sent must be good, on reads too (403),
and a call made with one is counted against the key and logged with it.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from common.ratelimit import allow, client_address

from .authentication import ApiKeyAuthentication, HasApiKey
from .calls import log_partner_call, log_unidentified_call


class Utf8JSONRenderer(JSONRenderer):
    """JSON as GeoReport v2 writes its header: `application/json; charset=utf-8`."""

    charset = "utf-8"


class FormatNegotiation(BaseContentNegotiation):
    """The format comes from the URL (`.xml`, `.json`, `?format=`), as Open311 clients send
    it; the Accept header is not read, so no client gets a 406 for a header it never chose."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if parser.media_type.split(";")[0] == request.content_type.split(";")[0]:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get("format")
        if not wanted:
            return renderers[0], renderers[0].media_type
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        raise exceptions.ParseError(detail=_("format: json or xml."))


@method_decorator(login_not_required, name="dispatch")
class PartnerApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    content_negotiation_class = FormatNegotiation

    def get_permissions(self):
        return [] if self.request.method in SAFE_METHODS else [HasApiKey()]

    def permission_denied(self, request, message=None, code=None):
        raise exceptions.PermissionDenied(detail=message, code=code)  # 403 with our message

    def check_throttles(self, request):
        if request.auth is None and not allow(
            f"open311:read:{client_address(request._request)}",
            settings.OPEN311_READS_PER_ADDRESS_PER_MINUTE,
            60,
        ):
            raise exceptions.Throttled(
                wait=60, detail=str(_("Too many reads from this address; retry in a minute."))
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(request._request, "api_key", None)
        if key is not None:
            log_partner_call(request._request, key.partner, key, response.status_code)
        elif response.status_code >= 400:
            # A refused call no key vouches for (a wrong key, a write without one): in the log
            # that forgets (interop/calls.py). Anonymous public reads leave no row at all.
            log_unidentified_call(request._request, response.status_code)
        return response
