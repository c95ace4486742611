from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0006_delete_delivery'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='body_msgid',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='notification',
            name='params',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='notification',
            name='title_msgid',
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
