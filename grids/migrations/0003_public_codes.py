"""A random public code per building and unit, for the residents' QR links.

Added empty, filled row by row (each its own code), then made unique.
"""

import secrets

from django.db import migrations, models

import grids.models


def fill_codes(apps, schema_editor):
    for model_name in ("Building", "Unit"):
        model = apps.get_model("grids", model_name)
        rows = list(model.objects.filter(public_code__isnull=True).only("pk"))
        for row in rows:
            row.public_code = secrets.token_urlsafe(6)
        model.objects.bulk_update(rows, ["public_code"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("grids", "0002_street_follow_up_working_days_and_more")]

    operations = [
        migrations.AddField("building", "public_code", models.CharField(max_length=12, null=True, editable=False)),
        migrations.AddField("unit", "public_code", models.CharField(max_length=12, null=True, editable=False)),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            "building",
            "public_code",
            models.CharField(default=grids.models.new_public_code, editable=False, max_length=12, unique=True),
        ),
        migrations.AlterField(
            "unit",
            "public_code",
            models.CharField(default=grids.models.new_public_code, editable=False, max_length=12, unique=True),
        ),
    ]
