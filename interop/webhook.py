"""The 12345 hotline's webhook: signature and replay window first, then the message."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.ratelimit import allow, client_address

from . import hotline, signing
from .models import ApiCall, Partner, PartnerKind


@csrf_exempt
@login_not_required
@require_POST
def hotline_webhook(request, partner_id):
    partner = Partner.objects.filter(pk=partner_id, kind=PartnerKind.HOTLINE).first()
    status, answer = _handle(request, partner)
    ApiCall.objects.create(
        partner=partner,
        method="POST",
        path=request.path[:300],
        status=status,
        address=client_address(request)[:50],
    )
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})


def _handle(request, partner):
    if partner is None or not partner.webhook_secret:
        return 404, {"error": "unknown hotline"}
    if not allow(f"hotline:{partner.pk}", settings.API_CALLS_PER_KEY_PER_MINUTE, 60):
        return 429, {"error": "too many messages; retry in a minute"}
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > settings.HOTLINE_MAX_BODY_BYTES:
        return 413, {"error": f"at most {settings.HOTLINE_MAX_BODY_BYTES} bytes"}
    body = request.body
    problem = signing.verify(
        partner.webhook_secret,
        request.headers.get("X-Hotline-Timestamp", ""),
        request.headers.get("X-Hotline-Signature", ""),
        body,
        settings.HOTLINE_REPLAY_WINDOW_SECONDS,
    )
    if problem:
        return 401, {"error": problem}
    if request.content_type != "application/json":
        return 415, {"error": "send application/json"}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return 400, {"error": "the body is not JSON in UTF-8"}
    try:
        return hotline.receive(partner, data)
    except hotline.Refused as refused:
        return refused.status, {"error": str(refused)}
