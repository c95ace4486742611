"""The hotline's status messages move to the outbox, keeping their idempotency keys (the
hotline drops a repeat of what it took before the move); each 延期申请 becomes an extension
request that keeps when its answer came."""

from django.db import migrations


def status_messages_to_outbox(apps, schema_editor):
    OutboxMessage = apps.get_model("interop", "OutboxMessage")
    ExtensionRequest = apps.get_model("interop", "ExtensionRequest")
    Message = apps.get_model("outbox", "Message")
    for old in OutboxMessage.objects.order_by("created_at", "pk").iterator(chunk_size=2000):
        message = Message.objects.create(
            channel="partner",
            destination=f"partner:{old.partner_id}",
            subject=f"case:{old.case_id}",
            kind=old.kind,
            source=f"case:{old.case_id}",
            idempotency_key=old.idempotency_key,
            payload=old.payload,
            state=old.state,
            attempts=old.attempts,
            next_attempt_at=old.next_attempt_at,
            created_at=old.created_at,
            sent_at=old.sent_at,
            last_error=old.last_error,
        )
        if old.kind == "extension":
            ExtensionRequest.objects.create(
                case_id=old.case_id,
                message=message,
                requested_at=old.created_at,
                answered_at=old.answered_at,
            )


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0004_extension_requests'),
    ]

    operations = [
        # Backwards the messages stay in the outbox, and the old table comes back empty.
        migrations.RunPython(status_messages_to_outbox, migrations.RunPython.noop),
    ]
