"""The search box finds exactly the cases LIKE finds, through the index of characters and pairs
of characters (cases/search.py): Chinese words of one or two characters, Latin letters in any
case, digits, mixed queries and LIKE's own wildcard characters typed as text."""

import os

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from cases.search import description_contains
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

# A small alphabet, so that random queries often occur in random descriptions.
ALPHABET = "漏水管道楼梯灯坏了长椅金苑小区aAbBzZ019 %_\\-。，"
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=40)
queries = st.text(alphabet=ALPHABET, min_size=1, max_size=5).filter(lambda q: q.strip())


def found(term, ids):
    scoped = Case.objects.filter(pk__in=ids)
    streets = set(scoped.values_list("street_id", flat=True))  # read through the index
    return set(
        scoped.filter(description_contains(term, streets=streets)).values_list("pk", flat=True)
    )


def like(term, ids):
    scoped = Case.objects.filter(pk__in=ids)
    return set(scoped.filter(description__icontains=term).values_list("pk", flat=True))


@pytest.mark.timeout(120)
@settings(
    max_examples=int(os.environ.get("SEARCH_EXAMPLES", "25")),  # `make fuzz` runs more
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(descriptions=st.lists(texts, min_size=1, max_size=8), data=st.data())
def test_the_index_finds_exactly_what_like_finds(places, descriptions, data):
    with transaction.atomic():
        ids = [CaseFactory(grid=places.cg1, description=text).pk for text in descriptions]
        # Queries cut from the descriptions (so that there is something to find) and made up.
        cut = [
            text[start : start + size]
            for text in descriptions
            for start, size in [(data.draw(st.integers(0, 40)), data.draw(st.integers(1, 5)))]
            if text[start : start + size].strip()
        ]
        for term in [*cut, *data.draw(st.lists(queries, max_size=4))]:
            assert found(term, ids) == like(term, ids), term
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("漏水", {"dripping"}),
        ("水", {"dripping", "pipe", "percent"}),
        ("长椅", {"benches"}),
        ("JINYUAN", {"benches"}),
        ("3号", {"dripping"}),
        ("水龙头漏", {"dripping"}),
        ("龙头水", set()),  # every pair is there, not in this order
        ("%", {"percent"}),
        ("_", set()),
    ],
)
def test_the_seeds_stories_are_found_by_their_words(places, term, expected):
    stories = {
        "dripping": "3号楼水龙头漏水，滴了一个月",
        "pipe": "楼道水管冻裂",
        "benches": "金苑小区(Jinyuan) 的长椅坏了",
        "percent": "水费涨了 5%？",
    }
    ids = {
        CaseFactory(grid=places.cg1, description=text).pk: name for name, text in stories.items()
    }
    assert {ids[pk] for pk in found(term, list(ids))} == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_the_search_can_read_the_index_instead_of_every_case(places):
    CaseFactory.create_batch(3, grid=places.cg1, description="楼梯灯坏了")
    # The condition alone (no order): with the table this small and sequential scans off, an
    # ordered query reads the newest-first index (case_city_newest) and filters it instead.
    found = description_contains("漏水", streets=[places.street.pk])
    query = Case.objects.filter(found).order_by().only("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_description_street_grams" in plan, plan


@pytest.mark.parametrize(
    "persona",
    ["worker_cg1", "officer_chunguang", "street_staff", "other_street_staff", "city_admin"],
)
def test_each_role_finds_by_a_word_exactly_the_cases_of_its_places(
    places, personas, login, persona
):
    """The index's keys are each street's: a search in the list finds what LIKE finds among
    the user's places, whichever level they hold, and nothing of another street's."""
    from django.urls import reverse

    from accounts.scope import Scope

    for grid in (places.cg1, places.cg2, places.fn1, places.yy1):
        CaseFactory(grid=grid, description=f"{grid.name}楼道漏水")
        CaseFactory(grid=grid, description="长椅坏了")
    if persona == "city_admin":  # every street: LIKE alone (cases/search.py, MANY_STREETS)
        from tests.factories import UserFactory

        user = UserFactory(is_superuser=True, is_staff=True)
    else:
        user = getattr(personas, persona)
    mine = Scope.for_user(user).narrow(Case.objects.filter(description__icontains="漏水"))
    page = login(user).get(reverse("cases:list"), {"q": "漏水"}).content.decode()
    shown = {code for code in Case.objects.values_list("tracking_code", flat=True) if code in page}
    assert shown == set(mine.values_list("tracking_code", flat=True)) != set()
