"""Delivering the outbox to the hotline: each message once, retried with backoff.

A message is taken under a row lock (SKIP LOCKED: two workers never send the same one at
once) and marked sent only after the hotline answered 2xx. If the answer is lost the message
is sent again with the same Idempotency-Key, and the hotline drops the repeat.
"""

import json
import urllib.error
import urllib.request
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import signing
from .forms import outbound_url_problem
from .models import OutboxMessage, OutboxState

DUE = (OutboxState.PENDING, OutboxState.RETRYING)


@shared_task(ignore_result=True)
def deliver(message_id: int) -> str | None:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .select_related("partner")
            .filter(pk=message_id, state__in=DUE, next_attempt_at__lte=timezone.now())
            .first()
        )
        if message is None:
            return None
        error = _post(message)
        message.attempts += 1
        if error is None:
            message.state = OutboxState.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        else:
            message.last_error = error[:500]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.state = OutboxState.FAILED
            else:
                message.state = OutboxState.RETRYING
                backoff = settings.OUTBOX_BACKOFF_SECONDS * 2 ** (message.attempts - 1)
                message.next_attempt_at = timezone.now() + timedelta(seconds=backoff)
        message.save()
        return message.state


@shared_task(ignore_result=True)
def deliver_due() -> int:
    """Beat's scan: every message due now (new ones whose task was lost, and retries)."""
    ids = list(
        OutboxMessage.objects.filter(state__in=DUE, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    for message_id in ids:
        deliver(message_id)
    return len(ids)


def _post(message) -> str | None:
    partner = message.partner
    if not partner.outbound_url:
        return "no status URL set for this partner"
    refused = outbound_url_problem(partner.outbound_url)  # a URL stored before the rule
    if refused:
        return str(refused)
    body = json.dumps(message.payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        partner.outbound_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            **signing.headers(partner.webhook_secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOX_TIMEOUT_SECONDS) as answer:
            if 200 <= answer.status < 300:
                return None
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"
