"""The case list's text search: what `LIKE '%漏水%'` matches, read from an index.

Chinese has no spaces and its words are mostly two characters, which pg_trgm's trigrams
cannot find. So PostgreSQL indexes each description's characters and pairs of characters,
each led by the case's street (`youjie_street_grams`, a GIN index over the upper-cased text,
migration 0019). A search asks the index, in each street the user's places lie in, for the
cases that hold every pair of the query (or its one character), then keeps the case only
where the description really contains the query (`icontains`, as before): the index
narrows, LIKE decides, so the answer is exactly LIKE's. On SQLite (`make run` without
DATABASE_URL) LIKE alone answers.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Func, Q, Value
from django.db.models.functions import Upper

# The index and its two functions are created by migration 0019 (it holds their SQL): each
# description's characters and pairs of characters, each key led by the case's street
# ("1:漏水"), so that a street's search reads that street's keys only, not every case of the
# city that holds the pair (at a million cases, 漏水 is in 83,000 descriptions and 828 of one
# street's). `youjie_street_grams(street_id, upper(description))` is what the index holds;
# `youjie_query_street_grams(street, upper(term))` a query's keys in one street.

MANY_STREETS = 16  # 16 streets' conditions: 27 ms at a million cases; 48: 106 ms


class _Grams(Func):
    output_field = ArrayField(models.TextField())


def description_contains(term: str, also: Q | None = None, streets=None) -> Q:
    """Cases whose description contains `term`, any case of letters (as `icontains`), or
    that meet `also` (another way the search box finds a case: its resident's name).
    `streets`: the streets whose cases may be found (Scope.streets(); None: every street).
    A city's administrators, who hold every street or more than MANY_STREETS, search by
    LIKE alone: one index condition per street would cost more than reading every case
    (100 streets of a million cases: 127 ms, and 2 s when PostgreSQL compiles the plan,
    against 189 ms for LIKE alone).

    `also` is joined so that the index's condition and LIKE's stand apart, as
    (keys or also) and (LIKE or also), which is (keys and LIKE) or also: PostgreSQL then
    asks the indexes for the first and checks only LIKE on each row it found. Written as
    (keys and LIKE) or also, it would work out every found row's keys again (at a million
    cases, 828 rows of a street took 14 ms of the search's 25 for that alone).
    """
    like = Q(description__icontains=term)
    if connection.vendor != "postgresql" or streets is None or len(streets) > MANY_STREETS:
        return like | also if also is not None else like
    # The same expression as the index's, so that the planner can use it.
    indexed = _Grams("street_id", Upper("description"), function="youjie_street_grams")
    keys = Q(pk__in=[])  # no street: nothing is found by its description
    for street in sorted(streets):
        wanted = _Grams(Value(street), Upper(Value(term)), function="youjie_query_street_grams")
        keys |= Q(_ContainsAll(indexed, wanted))
    if also is None:
        return keys & like
    return (keys | also) & (like | also)


class _ContainsAll(Func):
    template = "%(expressions)s"
    arg_joiner = " @> "
    output_field = models.BooleanField()
