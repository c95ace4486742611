"""The partner's key on each API call (settings.REST_FRAMEWORK names these)."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from common.ratelimit import allow

from .keys import find_key, scope_of
from .models import ApiKey


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = request.META.get("HTTP_X_API_KEY") or request.query_params.get("api_key")
        if raw is None and request.method == "POST":
            raw = request._request.POST.get("api_key") if _is_form(request) else None
        if not raw:
            return None
        key = find_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown or revoked."))
        request._request.api_key = key
        request._request.scope = scope_of(key)
        if not allow(f"api:key:{key.pk}", settings.API_CALLS_PER_KEY_PER_MINUTE, 60):
            raise exceptions.Throttled(wait=60, detail=str(_("Too many calls with this key.")))
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key.partner.service_user, key

    # No WWW-Authenticate challenge: GeoReport v2 answers a missing or bad key with 403.
    def authenticate_header(self, request):
        return None


def _is_form(request) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "")
    return content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


class HasApiKey(BasePermission):
    message = _("An API key is needed to file a request (X-Api-Key or api_key).")

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)
