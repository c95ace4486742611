"""The case list's text search reads an index of the descriptions' characters and pairs of
characters (cases/search.py). PostgreSQL only: SQLite searches with LIKE alone."""

from django.db import migrations, models

# As they were written for this migration (cases/search.py has what is current).
GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION youjie_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
    ) AS grams
$$;

-- A query's keys: its pairs of characters, or its one character.
CREATE OR REPLACE FUNCTION youjie_query_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) < 2 THEN ARRAY[t]
           ELSE ARRAY(SELECT DISTINCT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i)
           END
$$;
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS case_description_grams ON cases_case "
    "USING gin (youjie_grams(upper(description)))"
)


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
