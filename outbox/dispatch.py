"""Sending the outbox: each message at least once, in order, with backoff, nothing held.

1. claim: in a short transaction, take the message if it is due and no earlier message of its
   order (same destination and subject) is still unsent, and lease it: its next attempt moves
   past the send's time limit, so no other worker takes it meanwhile, and a worker that dies
   leaves it to be taken again when the lease ends;
2. send it through its channel's sender (outbox/senders.py) with no transaction open and no
   row locked: a slow mail server or partner stalls nobody;
3. mark it sent, or due again after a backoff that doubles, or failed after the last attempt
   (a dead letter, which staff may send again), only if the claim is still ours. A message
   sent queues the next one of its order.
The idempotency key travels with each message, so a receiver takes a repeat once.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from . import senders
from .models import UNSENT, Channel, Message, State
from .queue import send_on_commit

logger = logging.getLogger("youjie.outbox")


def _earlier_unsent():
    """An earlier message of the same order that has not been sent: this one waits for it.

    A partner's dead letter holds its order until staff send it again: the hotline must never
    hear 办结 for an order it was not told was signed. A dead e-mail or SMS (an address that
    no longer exists) holds nothing: the person's later notices about the case still go."""
    return Exists(
        Message.objects.filter(destination=OuterRef("destination"), subject=OuterRef("subject"))
        .exclude(state=State.SENT)
        .exclude(state=State.FAILED, channel__in=[Channel.EMAIL, Channel.SMS])
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
    )


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim(message_id: int):
    """The message, leased to this worker, or None when it is not due, is claimed by
    another, or waits behind an earlier message of its order."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state__in=UNSENT, next_attempt_at__lte=now)
            .exclude(_earlier_unsent())
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + _lease()
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def _outside_any_transaction() -> bool:
    # A test's own enclosing transaction (Django's TestCase) is not the caller's, and holds
    # none of the rows a move would wait on.
    return not any(not block._from_testcase for block in connection.atomic_blocks)


def _send(message) -> str | None:
    """None once the receiver took the message; otherwise what staff are told."""
    if not _outside_any_transaction():
        # Inside one, a slow receiver would hold the change's locks for its whole timeout.
        raise RuntimeError("an outbox message is sent with no transaction open")
    try:
        senders.sender_for(message.channel)(message)
    except senders.Undelivered as refused:
        return str(refused)
    except Exception as error:  # whatever the mail server, gateway or network said
        logger.warning("outbox message %s not sent: %r", message.pk, error)
        return str(error) or type(error).__name__
    return None


def _mark(message, error) -> str | None:
    now = timezone.now()
    if error is None:
        changes = {"state": State.SENT, "sent_at": now, "last_error": ""}
    elif message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        changes = {"state": State.FAILED, "last_error": error[:500]}
    else:
        backoff = settings.OUTBOX_BACKOFF_SECONDS * 2 ** (message.attempts - 1)
        changes = {
            "state": State.RETRYING,
            "last_error": error[:500],
            "next_attempt_at": now + timedelta(seconds=backoff),
        }
    with transaction.atomic():
        # Ours only while the claim is: a worker that outlived its lease changes nothing.
        ours = Message.objects.filter(
            pk=message.pk, state__in=UNSENT, attempts=message.attempts
        ).update(**changes)
        if ours and error is None:
            following = next_of_order(message)
            if following is not None:
                send_on_commit([following])
    return changes["state"] if ours else None


def next_of_order(message) -> int | None:
    return (
        Message.objects.filter(
            destination=message.destination, subject=message.subject, state__in=UNSENT
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def deliver(message_id: int) -> str | None:
    """Send one message if it is its turn; the state it is left in, or None if it was not
    this worker's to send."""
    message = claim(message_id)
    if message is None:
        return None
    return _mark(message, _send(message))


def due(limit: int = 200) -> list[int]:
    """The first unsent message of each order, when it is due: new ones whose task was lost,
    and retries whose backoff has passed."""
    return list(
        Message.objects.filter(state__in=UNSENT, next_attempt_at__lte=timezone.now())
        .exclude(_earlier_unsent())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due() -> int:
    """Beat's scan: sends what is due, one after another, for at most one scan interval, so
    that scans never pile up on the workers behind a slow receiver; each message sent brings
    the next of its order. Returns how many were taken up."""
    began = time.monotonic()
    ids = due()
    for taken, message_id in enumerate(ids):
        if time.monotonic() - began > settings.OUTBOX_SCAN_SECONDS:
            return taken  # the rest are due at the next scan
        deliver(message_id)
    return len(ids)


def remove_old_sent() -> int:
    """Sent messages are kept `OUTBOX_KEEP_DAYS` for staff and the receivers' questions, then
    removed; unsent and failed ones stay until they are sent."""
    before = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    _total, by_model = Message.objects.filter(state=State.SENT, sent_at__lt=before).delete()
    return by_model.get(Message._meta.label, 0)
