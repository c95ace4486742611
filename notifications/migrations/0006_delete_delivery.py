from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0005_deliveries_to_outbox'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='delivery',
            name='notificatio_status_0ea97e_idx',
        ),
        migrations.RemoveConstraint(
            model_name='delivery',
            name='one_delivery_per_channel',
        ),
        migrations.DeleteModel(
            name='Delivery',
        ),
    ]
