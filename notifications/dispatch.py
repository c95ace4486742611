"""Turning due reminders into notifications and their e-mail and SMS, each exactly once.

scan() runs on every beat tick: it inserts the due reminders (the unique natural key skips
those that exist) and fans each new one out to the recipient's channels, as messages in the
outbox (outbox/queue.py), in the same transaction. The outbox sends them after the commit,
with no transaction or lock held, each once in effect (outbox/dispatch.py).
"""

from django.db import transaction
from django.utils import timezone, translation

from common.phones import MOBILE_RE, normalise_phone
from outbox.models import Channel, Message, State
from outbox.queue import enqueue_many

from . import heartbeat, notices
from .models import ChannelChoice, Notification
from .rules import due_reminders


def scan(now=None) -> dict:
    now = now or timezone.now()
    rows = []
    for reminder in due_reminders(now):
        common = {
            "rule": reminder.rule,
            "object_key": reminder.object_key,
            "due_at": reminder.due_at,
            "url": reminder.url,
        }
        told = [
            Notification(recipient_key=f"user:{u.pk}", user=u, **common) for u in reminder.users
        ]
        told += [
            Notification(recipient_key=f"contact:{c.pk}", contact=c, **common)
            for c in reminder.contacts
        ]
        for row in told:
            row.set_words(reminder.title, reminder.body)
        rows += told
    with transaction.atomic():
        before = Notification.objects.count()
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        created = Notification.objects.count() - before
        fanned = fan_out()
    # Every node sees when the scan last ran: /healthz and the staff banner (heartbeat.py).
    heartbeat.record_scan()
    return {"due": len(rows), "created": created, "messages": fanned}


def fan_out(not_before=None, **only) -> int:
    """The e-mail and SMS of notifications that have none yet, by each recipient's choice,
    written to the outbox and sent when the transaction commits.

    `only` narrows to some notifications (an event's: notifications/events.py); `not_before`
    holds their messages in the outbox until then (a notice that gathers what follows it)."""
    fresh = list(
        Notification.objects.filter(fanned_out=False, **only)
        .select_related("user", "contact")
        .select_for_update(skip_locked=True, of=("self",))[:5000]
    )
    if not fresh:
        return 0
    choices = {
        c.user_id: c
        for c in ChannelChoice.objects.filter(user_id__in={n.user_id for n in fresh if n.user_id})
    }
    messages = [
        _message(notification, channel, address, not_before)
        for notification in fresh
        for channel, address in _addresses(notification, choices.get(notification.user_id))
    ]
    enqueue_many(messages)
    Notification.objects.filter(pk__in=[n.pk for n in fresh]).update(fanned_out=True)
    return len(messages)


def _message(notification, channel, address, not_before=None) -> Message:
    """The e-mail or SMS of a notification, in its recipient's language (notices.language_of)."""
    return Message(
        channel=channel,
        destination=address,
        # In order per person and per thing the notices are about: a case, a task, a meeting
        # (its invitation, its agenda, its move and its cancellation in the order written).
        subject=subject_of(notification.object_key),
        kind=notification.rule,
        source=source_of(notification),
        # One per notification and channel: a second fan-out writes nothing.
        idempotency_key=f"notification-{notification.pk}-{channel}",
        payload=_payload(notification),
        next_attempt_at=not_before or timezone.now(),
    )


def _payload(notification) -> dict:
    with translation.override(notices.language_of(notification)):
        title, body = notification.shown_title, notification.shown_body
    return {"title": title[:200], "body": body, "url": notification.url}


def subject_of(object_key: str) -> str:
    """The thing a notice is about, which orders its messages: "meeting:3" for a notice keyed
    "meeting:3" or "meeting:3:41" (one change of the meeting)."""
    return ":".join(object_key.split(":")[:2])


def _untouched(notification):
    """The notice's e-mail and SMS, locked so that no worker takes one up meanwhile, if none
    has been taken up yet; else None (one went out, or is going)."""
    messages = Message.objects.select_for_update().filter(source=source_of(notification))
    if any(m.state != State.PENDING or m.attempts for m in messages):
        return None
    return messages


def rewrite_unsent(notification) -> bool:
    """A notice given something else to say (notifications/events.py folds or trims a
    meeting's agenda notice) says it in its e-mail and SMS too, if none has been taken up yet.
    Returns False, changing nothing, when one has: the news is then a notice of its own."""
    messages = _untouched(notification)
    if messages is None:
        return False
    messages.update(payload=_payload(notification))
    return True


def withdraw_unsent(notification) -> bool:
    """A notice that has nothing left to say (its case left the agenda) takes back its e-mail
    and SMS, if none has been taken up yet. Returns False, changing nothing, when one has:
    what went out told what was true then."""
    messages = _untouched(notification)
    if messages is None:
        return False
    messages.delete()
    return True


def source_of(notification) -> str:
    return f"notification:{notification.pk}"


def _addresses(notification, choice):
    if notification.phone:  # a resident: SMS only
        phone = normalise_phone(notification.phone)
        return [(Channel.SMS, phone)] if MOBILE_RE.match(phone) else []
    if notification.contact_id:  # people without a login hear by SMS
        phone = normalise_phone(notification.contact.phone)
        return [(Channel.SMS, phone)] if MOBILE_RE.match(phone) else []
    user = notification.user
    wants_email = choice.email if choice else True
    wants_sms = choice.sms if choice else False
    found = []
    if wants_email and user.email:
        found.append((Channel.EMAIL, user.email))
    if wants_sms and choice and choice.phone:
        found.append((Channel.SMS, choice.phone))
    return found
