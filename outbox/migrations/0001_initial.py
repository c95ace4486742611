import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'email'), ('sms', 'SMS'), ('partner', "partner's webhook")], max_length=10, verbose_name='channel')),
                ('destination', models.CharField(max_length=254)),
                ('subject', models.CharField(max_length=60)),
                ('kind', models.CharField(max_length=30, verbose_name='message')),
                ('source', models.CharField(blank=True, max_length=60)),
                ('idempotency_key', models.CharField(max_length=64, unique=True)),
                ('payload', models.JSONField(default=dict)),
                ('state', models.CharField(choices=[('pending', 'waiting to be sent'), ('retrying', 'retrying'), ('sent', 'sent'), ('failed', 'failed')], default='pending', max_length=10, verbose_name='state')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('last_error', models.CharField(blank=True, max_length=500, verbose_name='error')),
            ],
            options={
                'verbose_name': 'outgoing message',
                'verbose_name_plural': 'outgoing messages',
                'ordering': ['created_at', 'id'],
                'indexes': [
                    models.Index(condition=models.Q(('state__in', ('pending', 'retrying'))), fields=['next_attempt_at'], name='outbox_due'),
                    models.Index(fields=['destination', 'subject', 'created_at', 'id'], name='outbox_order'),
                    models.Index(fields=['source'], name='outbox_source'),
                    models.Index(condition=models.Q(('state', 'sent'), _negated=True), fields=['channel', 'created_at'], name='outbox_unsent_by_channel'),
                    models.Index(condition=models.Q(('state', 'sent')), fields=['sent_at'], name='outbox_sent'),
                ],
            },
        ),
    ]
