"""The search's index keys each character and pair of characters by the case's street, so a
street's search reads its own cases' keys rather than the whole city's (cases/search.py)."""

from django.db import migrations

from cases.search import STREET_GRAMS_FUNCTION, STREET_INDEX

OLD_INDEX = (
    "CREATE INDEX IF NOT EXISTS case_description_grams ON cases_case "
    "USING gin (youjie_grams(upper(description)))"
)


def by_street(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STREET_GRAMS_FUNCTION, params=None)
        schema_editor.execute(STREET_INDEX, params=None)
        schema_editor.execute("DROP INDEX IF EXISTS case_description_grams", params=None)


def city_wide(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_INDEX, params=None)
        schema_editor.execute("DROP INDEX IF EXISTS case_description_street_grams", params=None)
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS youjie_street_grams(bigint, text); "
            "DROP FUNCTION IF EXISTS youjie_query_street_grams(bigint, text);",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_case_city_newest")]

    operations = [migrations.RunPython(by_street, city_wide, elidable=False)]
