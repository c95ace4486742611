import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_open_tasks_by_due_date'),
        ('interop', '0003_unidentified_calls'),
        ('outbox', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ExtensionRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.case')),
                ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='outbox.message')),
            ],
            options={
                'ordering': ['requested_at', 'id'],
                'indexes': [models.Index(condition=models.Q(('answered_at', None)), fields=['case'], name='extension_waiting')],
            },
        ),
    ]
