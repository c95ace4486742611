"""The 12345 hotline's webhook: who sent it first, then what it says.

Nothing an unsigned caller sends may cost the hotline anything. The signature is checked
before the partner's allowance is counted, so a flood of unsigned or badly signed posts
never makes a signed order wait (it was: 125 unsigned posts made the next signed one 429).
Refused unsigned posts are counted per client address instead
(`HOTLINE_UNVERIFIED_PER_ADDRESS_PER_MINUTE`, then 429 and no more log rows) and logged as
unidentified calls, which are forgotten (interop/calls.py); signed ones are the partner's
log, kept for ever.
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.ratelimit import allow, client_address

from . import hotline, signing
from .calls import log_partner_call, log_unidentified_call
from .models import Partner, PartnerKind


class Unverified(Exception):
    """Refused before the sender was known to be the hotline."""

    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status, self.error = status, error


@csrf_exempt
@login_not_required
@require_POST
def hotline_webhook(request, partner_id):
    partner = Partner.objects.filter(pk=partner_id, kind=PartnerKind.HOTLINE).first()
    try:
        body = _verified_body(request, partner)
    except Unverified as refused:
        return _refuse_unverified(request, refused)
    status, answer = _handle(partner, body)
    log_partner_call(request, partner, None, status)
    return _answer(status, answer)


def _verified_body(request, partner) -> bytes:
    """The body, once the partner's signature holds; Unverified otherwise."""
    if partner is None or not partner.webhook_secret:
        raise Unverified(404, "unknown hotline")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > settings.HOTLINE_MAX_BODY_BYTES:
        raise Unverified(413, f"at most {settings.HOTLINE_MAX_BODY_BYTES} bytes")
    timestamp = request.headers.get("X-Hotline-Timestamp", "")
    signature = request.headers.get("X-Hotline-Signature", "")
    if not timestamp or not signature:
        raise Unverified(401, "missing X-Hotline-Timestamp or X-Hotline-Signature")
    # Before the body is read: a form's body was already parsed (common/input_guard.py).
    if request.content_type != "application/json":
        raise Unverified(415, "send application/json")
    problem = signing.verify(
        partner.webhook_secret,
        timestamp,
        signature,
        request.body,
        settings.HOTLINE_REPLAY_WINDOW_SECONDS,
    )
    if problem:
        raise Unverified(401, problem)
    return request.body


def _refuse_unverified(request, refused: Unverified):
    limit = settings.HOTLINE_UNVERIFIED_PER_ADDRESS_PER_MINUTE
    if not allow(f"hotline:unverified:{client_address(request)}", limit, 60):
        # Past the limit nothing is written: a flood costs one counter in the cache.
        return _answer(429, {"error": "too many unsigned or badly signed calls; retry later"})
    log_unidentified_call(request, refused.status)
    return _answer(refused.status, {"error": refused.error})


def _handle(partner, body: bytes) -> tuple[int, dict]:
    if not allow(f"hotline:{partner.pk}", settings.API_CALLS_PER_KEY_PER_MINUTE, 60):
        return 429, {"error": "too many messages; retry in a minute"}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return 400, {"error": "the body is not JSON in UTF-8"}
    try:
        return hotline.receive(partner, data)
    except hotline.Refused as refused:
        return refused.status, {"error": str(refused)}


def _answer(status: int, answer: dict) -> JsonResponse:
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})
