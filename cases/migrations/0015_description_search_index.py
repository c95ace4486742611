"""The case list's text search reads an index of the descriptions' characters and pairs of
characters (cases/search.py). PostgreSQL only: SQLite searches with LIKE alone."""

from django.db import migrations, models

from cases.search import GRAMS_FUNCTION, INDEX


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRAMS_FUNCTION, params=None)
        schema_editor.execute(INDEX, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_description_grams", params=None)
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS youjie_grams(text); "
            "DROP FUNCTION IF EXISTS youjie_query_grams(text);",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_one_audit_record_per_act")]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["resident_name"], name="case_resident_name"),
        ),
    ]
