"""A notification's e-mail and SMS move to the outbox: each Delivery row becomes a message.

Its idempotency key is "reminder-<delivery id>", so its Message-ID stays what it was and a mail
sent again after the move is dropped as a repeat. A claim of a worker from before the move is
released (due again now); a message left with no address (its resident was anonymised) and not
sent is dropped, as the outbox drops it today (outbox/queue.py, forget).
"""

from django.db import migrations
from django.utils import timezone

STATES = {"pending": "pending", "sending": "pending", "sent": "sent", "failed": "failed"}


def deliveries_to_outbox(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    Message = apps.get_model("outbox", "Message")
    now = timezone.now()
    batch = []
    rows = Delivery.objects.select_related("notification").order_by("pk")
    for delivery in rows.iterator(chunk_size=2000):
        if not delivery.address and delivery.status != "sent":
            continue
        notification = delivery.notification
        batch.append(
            Message(
                channel=delivery.channel,
                destination=delivery.address,
                subject=notification.object_key,
                kind=notification.rule[:30],
                source=f"notification:{notification.pk}",
                idempotency_key=f"reminder-{delivery.pk}",
                payload={
                    "title": notification.title,
                    "body": notification.body,
                    "url": notification.url,
                },
                state=STATES[delivery.status],
                attempts=delivery.attempts,
                next_attempt_at=now,
                created_at=notification.created_at,
                sent_at=delivery.sent_at,
                last_error=delivery.error,
            )
        )
        if len(batch) >= 2000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0004_resident_phone'),
        ('outbox', '0001_initial'),
    ]

    operations = [
        # Backwards the messages stay in the outbox, and the Delivery table comes back empty.
        migrations.RunPython(deliveries_to_outbox, migrations.RunPython.noop),
    ]
