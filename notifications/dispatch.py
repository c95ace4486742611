"""Turning due reminders into notifications and deliveries, each exactly once.

scan() runs on every beat tick: it inserts the due reminders (the unique natural key skips
those that exist), fans each new one out to the recipient's channels, and queues deliveries
that are waiting, after commit. A delivery that was queued but not sent (Redis down, a
worker killed) is queued again after REQUEUE. send() claims the delivery in one short
transaction, talks to the mail or SMS server with no transaction open and no row locked, then
marks it sent: a delivery queued twice is claimed, and so sent, once.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from common.phones import MOBILE_RE, normalise_phone

from . import heartbeat, sms
from .models import Channel, ChannelChoice, Delivery, DeliveryStatus, Notification
from .rules import due_reminders

log = logging.getLogger(__name__)
DELIVER_TASK = "notifications.tasks.deliver"
MAX_ATTEMPTS = 5


def scan(now=None) -> dict:
    now = now or timezone.now()
    rows = []
    for reminder in due_reminders(now):
        common = {
            "rule": reminder.rule,
            "object_key": reminder.object_key,
            "due_at": reminder.due_at,
            "title": str(reminder.title)[:200],
            "body": reminder.body,
            "url": reminder.url,
        }
        rows += [
            Notification(recipient_key=f"user:{u.pk}", user=u, **common) for u in reminder.users
        ]
        rows += [
            Notification(recipient_key=f"contact:{c.pk}", contact=c, **common)
            for c in reminder.contacts
        ]
    with transaction.atomic():
        before = Notification.objects.count()
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        created = Notification.objects.count() - before
        fanned = fan_out()
    queued = queue_waiting(now)
    # Every node sees when the scan last ran: /healthz and the staff banner (heartbeat.py).
    heartbeat.record_scan()
    return {"due": len(rows), "created": created, "deliveries": fanned, "queued": queued}


def fan_out(**only) -> int:
    """Delivery rows for notifications that have none yet, by each recipient's choice.

    `only` narrows to some notifications (an event's, see deliver_on_commit)."""
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
    deliveries = []
    for notification in fresh:
        for channel, address in _addresses(notification, choices.get(notification.user_id)):
            deliveries.append(Delivery(notification=notification, channel=channel, address=address))
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    Notification.objects.filter(pk__in=[n.pk for n in fresh]).update(fanned_out=True)
    return len(deliveries)


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


def queue_waiting(now=None) -> int:
    """Queue deliveries that wait and are not in the queue already (or were lost from it)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REMINDER_REQUEUE_SECONDS)
    release_abandoned_claims(now)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING)
            .exclude(queued_at__gt=stale)
            .values_list("pk", flat=True)[:5000]
        )
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)

        def send_to_broker():
            for delivery_id in ids:
                # By name: the task module builds on this one, not the other way round.
                current_app.send_task(DELIVER_TASK, args=[delivery_id])

        # Only after commit: a rolled-back scan queues nothing. If the broker is down the
        # rows keep their queued_at and the next scan after REQUEUE queues them again.
        transaction.on_commit(send_to_broker)
    return len(ids)


def deliver_on_commit(**only) -> int:
    """Deliveries of notifications written in this transaction (an event's), queued when it
    commits: a rolled-back event queues nothing. A broker that is down at that moment fails
    quietly; the rows keep their queued_at and the scan queues them again after REQUEUE."""
    fan_out(**only)
    ids = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            queued_at__isnull=True,
            notification__in=Notification.objects.filter(**only),
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Delivery.objects.filter(pk__in=ids).update(queued_at=timezone.now())

    def send_to_broker():
        for delivery_id in ids:
            current_app.send_task(DELIVER_TASK, args=[delivery_id])

    transaction.on_commit(send_to_broker, robust=True)
    return len(ids)


def send(delivery_id) -> str:
    """Send one delivery once: claim it, send with no lock held, then record the result."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    try:
        _send(delivery)
    except Exception as error:  # a failed send is retried by the next scan
        log.warning("delivery %s failed: %s", delivery_id, error)
        failed = delivery.attempts >= MAX_ATTEMPTS
        _release(
            delivery,
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
            error=str(error)[:300],
        )
        return "failed"
    _release(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")
    return "sent"


def _claim(delivery_id):
    """The waiting delivery, now marked as being sent by this worker; None if another has it."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .select_related("notification")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.status = DeliveryStatus.SENDING
        delivery.claimed_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "claimed_at"])
    return delivery


def _release(delivery, **outcome):
    # Only this worker's claim is closed: one released meanwhile (it took longer than the
    # requeue time) and claimed again belongs to the other worker now.
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
    ).update(**outcome)


def release_abandoned_claims(now=None) -> int:
    """Claims of workers killed while sending go back to waiting, to be queued again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REMINDER_REQUEUE_SECONDS)
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=stale).update(
        status=DeliveryStatus.PENDING
    )


def message_id(delivery) -> str:
    # Stable per delivery: a mail server or client drops a repeat of the same Message-ID.
    return f"<reminder-{delivery.pk}@{settings.REMINDER_MESSAGE_DOMAIN}>"


def _send(delivery):
    notification = delivery.notification
    link = settings.SITE_URL.rstrip("/") + notification.url if notification.url else ""
    text = "\n\n".join(part for part in (notification.body, link) if part)
    if delivery.channel == Channel.EMAIL:
        EmailMessage(
            subject=notification.title,
            body=text,
            to=[delivery.address],
            headers={"Message-ID": message_id(delivery)},
        ).send()
    else:
        sms.backend().send(
            delivery.address, f"{notification.title} {link}".strip(), message_id(delivery)
        )
