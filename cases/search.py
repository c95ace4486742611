"""The case list's text search: what `LIKE '%漏水%'` matches, read from an index.

Chinese has no spaces and its words are mostly two characters, which pg_trgm's trigrams
cannot find. So PostgreSQL indexes each description's characters and pairs of characters
(`youjie_grams`, a GIN index over the upper-cased text, migration 0015). A search asks the
index for the cases that hold every pair of the query (or its one character), then keeps the
case only where the description really contains the query (`icontains`, as before): the
index narrows, LIKE decides, so the answer is exactly LIKE's. On SQLite (`make run` without
DATABASE_URL) LIKE alone answers.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Func, Q, Value
from django.db.models.functions import Upper

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


class _Grams(Func):
    output_field = ArrayField(models.TextField())


def description_contains(term: str) -> Q:
    """Cases whose description contains `term`, any case of letters (as `icontains`)."""
    like = Q(description__icontains=term)
    if connection.vendor != "postgresql":
        return like
    # The same expression as the index's, so that the planner can use it.
    indexed = _Grams(Upper("description"), function="youjie_grams")
    wanted = _Grams(Upper(Value(term)), function="youjie_query_grams")
    return Q(_ContainsAll(indexed, wanted)) & like


class _ContainsAll(Func):
    template = "%(expressions)s"
    arg_joiner = " @> "
    output_field = models.BooleanField()
