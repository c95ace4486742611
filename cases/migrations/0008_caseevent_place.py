"""History rows carry their case's place, so the reports count a place's history alone."""

import django.db.models.deletion
from django.db import migrations, models

COPY_PLACE = """
UPDATE cases_caseevent AS e
   SET street_id = c.street_id, community_id = c.community_id, grid_id = c.grid_id
  FROM cases_case AS c
 WHERE c.id = e.case_id
"""


def copy_place(apps, schema_editor):
    # One UPDATE … FROM on PostgreSQL; row by row on the embedded SQLite default.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COPY_PLACE)
        return
    CaseEvent = apps.get_model("cases", "CaseEvent")
    for event in CaseEvent.objects.select_related("case").iterator():
        CaseEvent.objects.filter(pk=event.pk).update(
            street_id=event.case.street_id,
            community_id=event.case.community_id,
            grid_id=event.case.grid_id,
        )


def field(model):
    return models.ForeignKey(
        null=True,
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=model,
    )


def required(model):
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=model,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_submission_id"),
        ("grids", "0001_initial"),
    ]

    operations = [
        migrations.AddField("caseevent", "street", field("grids.street")),
        migrations.AddField("caseevent", "community", field("grids.community")),
        migrations.AddField("caseevent", "grid", field("grids.grid")),
        migrations.RunPython(copy_place, migrations.RunPython.noop),
        migrations.AlterField("caseevent", "street", required("grids.street")),
        migrations.AlterField("caseevent", "community", required("grids.community")),
        migrations.AlterField("caseevent", "grid", required("grids.grid")),
    ]
