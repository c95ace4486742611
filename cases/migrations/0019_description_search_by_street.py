"""The search's index keys each character and pair of characters by the case's street, so a
street's search reads its own cases' keys rather than the whole city's (cases/search.py)."""

from django.db import migrations

# Each description's characters and pairs of characters, each key led by the case's street
# (cases/search.py). Self-contained (no call to another function of ours), so that an index
# built again under a restore's empty search_path finds everything it needs.
STREET_GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION youjie_street_grams(street bigint, t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT street::text || ':' || g), '{}') FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
    ) AS grams
$$;

-- A query's keys in one street: its pairs of characters, or its one character.
CREATE OR REPLACE FUNCTION youjie_query_street_grams(street bigint, t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) < 2 THEN ARRAY[street::text || ':' || t]
           ELSE ARRAY(SELECT DISTINCT street::text || ':' || substr(t, i, 2)
                      FROM generate_series(1, length(t) - 1) AS i)
           END
$$;
"""
STREET_INDEX = (
    "CREATE INDEX IF NOT EXISTS case_description_street_grams ON cases_case "
    "USING gin (youjie_street_grams(street_id, upper(description)))"
)

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
