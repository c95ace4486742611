"""Writing messages to the outbox, in the caller's transaction, and sending them soon after.

`enqueue` and `enqueue_many` are called inside the change's transaction: the rows stand or fall
with it. When it commits, each new message is handed to a Celery worker at once; a broker that
is down then costs nothing but time, as the beat's scan (outbox/dispatch.py) finds the rows.
`send_again` is staff's word on a dead letter; `forget` takes a person's address out.
"""

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import Message, State

logger = logging.getLogger("youjie.outbox")
# By name: the task module builds on this app's modules, not the other way round.
DELIVER_TASK = "outbox.tasks.deliver"


def enqueue(channel, destination, subject, kind, payload, idempotency_key, *, source="") -> Message:
    """One message, written in the caller's transaction and sent once it commits. The key is
    the receiver's way of telling a repeat: stable for this message, unique in the outbox."""
    message = Message.objects.create(
        channel=channel,
        destination=destination,
        subject=subject,
        kind=kind,
        source=source,
        idempotency_key=idempotency_key,
        payload=payload,
    )
    send_on_commit([message.pk])
    return message


def enqueue_many(messages: list[Message]) -> list[int]:
    """New messages, each written once: one whose idempotency key exists already is skipped
    (a second fan-out of the same notice). Returns the ids of the messages waiting to go."""
    if not messages:
        return []
    Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    ids = list(
        Message.objects.filter(
            idempotency_key__in=[m.idempotency_key for m in messages], state=State.PENDING
        ).values_list("pk", flat=True)
    )
    send_on_commit(ids)
    return ids


def send_again(message) -> bool:
    """A dead letter goes out again, once more, at the front of its order."""
    again = Message.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.RETRYING, next_attempt_at=timezone.now()
    )
    if again:
        send_on_commit([message.pk])
    return bool(again)


def send_on_commit(ids) -> None:
    if not ids:
        return

    def to_the_workers():
        # The first refusal of the broker stops the loop (and is logged by on_commit): the
        # rows wait, and the next scan sends them.
        for message_id in ids:
            current_app.send_task(DELIVER_TASK, args=[message_id])

    # Only after commit: a rolled-back change queues nothing.
    transaction.on_commit(to_the_workers, robust=True)


def forget(messages) -> None:
    """The person these messages were for is forgotten: what went out keeps no destination,
    and what had not gone out is dropped, as it could only go to them."""
    messages.exclude(state=State.SENT).delete()
    messages.update(destination="")
