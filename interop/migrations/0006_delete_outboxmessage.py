from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0005_status_messages_to_outbox'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outboxmessage',
            name='interop_out_state_65ee15_idx',
        ),
        migrations.DeleteModel(
            name='OutboxMessage',
        ),
    ]
