"""Delivering the outbox to the hotline: each message at least once, in order, with backoff.

Claim, send with nothing held, mark (as notifications/dispatch.py does for e-mail):
1. claim: in a short transaction, take the message if it is due and no earlier message of the
   same order (partner and case) is still unsent, and lease it (its next attempt moves past
   the send's time limit, so no other worker takes it meanwhile; a worker that dies leaves it
   to be taken again when the lease ends);
2. send it with no transaction open and no row locked: a slow platform stalls nobody;
3. mark it sent, or due again after a backoff, or failed (a dead letter staff can send
   again), only if the claim is still ours. A message sent queues the next one of its order.
The idempotency key travels with each message, so the hotline takes a repeat once; 签收 never
arrives after 办结, even when 签收 waited on retries.
"""

import json
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from . import calls, outbound, signing
from .models import OutboxMessage, OutboxState

logger = logging.getLogger("youjie.hotline")

DUE = (OutboxState.PENDING, OutboxState.RETRYING)


def _earlier_unsent():
    """An earlier message of the same order that has not been sent: this one waits for it."""
    return Exists(
        OutboxMessage.objects.filter(partner_id=OuterRef("partner_id"), case_id=OuterRef("case_id"))
        .exclude(state=OutboxState.SENT)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
    )


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_TIMEOUT_SECONDS * 3 + 30)


def claim(message_id: int):
    """The message, leased to this worker, or None when it is not due, is claimed by
    another, or waits behind an earlier message of its order."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner")
            .filter(pk=message_id, state__in=DUE, next_attempt_at__lte=now)
            .exclude(_earlier_unsent())
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + _lease()
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def _mark(message, error) -> str:
    now = timezone.now()
    if error is None:
        changes = {"state": OutboxState.SENT, "sent_at": now, "last_error": ""}
    elif message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        changes = {"state": OutboxState.FAILED, "last_error": error[:500]}
    else:
        backoff = settings.OUTBOX_BACKOFF_SECONDS * 2 ** (message.attempts - 1)
        changes = {
            "state": OutboxState.RETRYING,
            "last_error": error[:500],
            "next_attempt_at": now + timedelta(seconds=backoff),
        }
    with transaction.atomic():
        # Ours only while the claim is: a worker that outlived its lease changes nothing.
        ours = OutboxMessage.objects.filter(
            pk=message.pk, state__in=DUE, attempts=message.attempts
        ).update(**changes)
        if ours and error is None:
            following = next_of_order(message)
            if following is not None:
                transaction.on_commit(lambda: deliver.delay(following))
    return changes["state"] if ours else None


def next_of_order(message) -> int | None:
    return (
        OutboxMessage.objects.filter(
            partner_id=message.partner_id, case_id=message.case_id, state__in=DUE
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


@shared_task(ignore_result=True)
def deliver(message_id: int) -> str | None:
    message = claim(message_id)
    if message is None:
        return None
    return _mark(message, _post(message))  # _post runs with nothing held


@shared_task(ignore_result=True)
def deliver_due() -> int:
    """Beat's scan: the first unsent message of each order, when it is due (new ones whose
    task was lost, and retries); each sent one brings the next of its order."""
    ids = list(
        OutboxMessage.objects.filter(state__in=DUE, next_attempt_at__lte=timezone.now())
        .exclude(_earlier_unsent())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    for message_id in ids:
        deliver(message_id)
    return len(ids)


@shared_task(ignore_result=True)
def remove_old_sent() -> int:
    """Sent messages are kept `OUTBOX_KEEP_DAYS` for staff and the partner's questions, then
    removed; unsent and failed ones stay until they are sent."""
    before = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    removed, _by_model = OutboxMessage.objects.filter(
        state=OutboxState.SENT, sent_at__lt=before
    ).delete()
    return removed


@shared_task(ignore_result=True)
def remove_old_unidentified_calls() -> int:
    """Calls no key or signature vouched for are kept UNIDENTIFIED_CALLS_KEEP_DAYS."""
    return calls.remove_old_unidentified_calls()


# What staff see when a message did not go through, whatever the reason: a reason per port or
# per failure would let the status URL map the network (interop/outbound.py). The reason
# itself goes to the server's log. Stored in English, shown in the reader's language.
UNREACHABLE = gettext_noop("The hotline platform refused the message or could not be reached.")
NO_STATUS_URL = gettext_noop("No status URL is set for this partner.")


def _post(message) -> str | None:
    """None once the platform took the message (2xx); otherwise what staff are told."""
    partner = message.partner
    if not partner.outbound_url:
        return NO_STATUS_URL
    body = json.dumps(message.payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": message.idempotency_key,
        **signing.headers(partner.webhook_secret, body),
    }
    try:
        status = outbound.post(partner.outbound_url, body, headers, settings.OUTBOX_TIMEOUT_SECONDS)
    except outbound.Unreachable as reason:
        logger.warning("hotline message %s not delivered: %s", message.pk, reason)
        return UNREACHABLE
    if 200 <= status < 300:
        return None
    logger.warning("hotline message %s not delivered: HTTP %s", message.pk, status)
    return UNREACHABLE
