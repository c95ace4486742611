"""Browse pages: counts and the people responsible at each level, in constant queries."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import RoleKind
from grids.models import ContactKind
from tests.factories import BuildingFactory, GridFactory, UnitLeaderFactory, UserFactory, make_role

pytestmark = pytest.mark.django_db


def test_street_page_shows_each_community_with_counts_and_officers(personas, places, login):
    page = login(personas.street_staff).get(reverse("grids:street", args=[places.street.pk]))
    html = page.content.decode()
    assert "春光社区" in html and "富南社区" in html
    assert "友谊社区" not in html
    chunguang = page.context["communities"].get(pk=places.chunguang.pk)
    assert (chunguang.grid_count, chunguang.unit_count, chunguang.unit_leader_count) == (2, 2, 2)
    assert [r.user.username for r in chunguang.officers] == ["officer_chunguang"]
    assert personas.officer_chunguang.first_name in html


def test_grid_page_shows_workers_party_group_and_buildings(personas, places, login):
    from grids.models import Contact

    Contact.objects.create(
        kind=ContactKind.PARTY_MEMBER,
        name="李建国",
        phone="13947205678",
        street=places.street,
        community=places.chunguang,
        grid=places.cg1,
        is_leader=True,
    )
    page = login(personas.officer_chunguang).get(reverse("grids:grid", args=[places.cg1.pk]))
    html = page.content.decode()
    assert personas.worker_cg1.first_name in html
    assert "李建国" in html and "139****5678" in html
    assert "13947205678" not in html  # lists show phones masked
    assert "春光第1网格小区1号楼" in html


def test_building_page_lists_units_with_masked_unit_leader_phones(personas, places, login):
    leader = places.leaders[places.cg1]
    page = login(personas.worker_cg1).get(
        reverse("grids:building", args=[places.buildings[places.cg1].pk])
    )
    html = page.content.decode()
    assert leader.name in html
    assert leader.phone not in html
    assert f"{leader.phone[:3]}****{leader.phone[-4:]}" in html


def _grow(places, n):
    """Add n grids with a worker, a building and a unit leader each to 春光社区."""
    for i in range(n):
        grid = GridFactory(community=places.chunguang)
        make_role(UserFactory(), RoleKind.GRID_WORKER, grid)
        UnitLeaderFactory(unit__building=BuildingFactory(grid=grid), name=f"新单元长{i}")


@pytest.mark.parametrize(
    ("url_name", "persona", "place"),
    [
        ("grids:street", "street_staff", "street"),
        ("grids:community", "officer_chunguang", "chunguang"),
    ],
)
def test_browse_pages_run_a_constant_number_of_queries(
    personas, places, login, django_assert_max_num_queries, url_name, persona, place
):
    client = login(getattr(personas, persona))
    url = reverse(url_name, args=[getattr(places, place).pk] if place else [])
    client.get(url)  # warm up
    # session, user, roles (scope), the place with its counts, its rows with counts,
    # the people prefetch, street staff or contacts
    with django_assert_max_num_queries(9) as small:
        assert client.get(url).status_code == 200
    _grow(places, 25)
    with django_assert_max_num_queries(9) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_counts_of_places_and_people_take_the_singular_for_one_in_english(personas, places, login):
    """「1 units · 1 unit leaders」 read wrong: each count is worded for its number."""
    client = login(personas.street_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    grid = client.get(reverse("grids:grid", args=[places.cg1.pk])).content.decode()
    assert "1 building · 1 unit · 1 unit leader<" in grid  # the grid's one building
    assert "1 unit · 1 unit leader</span>" in grid  # its row in the list of buildings
    community = client.get(reverse("grids:community", args=[places.funan.pk])).content.decode()
    assert "1 grid · 1 building · 1 unit · 1 unit leader<" in community
    two = client.get(reverse("grids:community", args=[places.chunguang.pk])).content.decode()
    assert "2 grids · 2 buildings · 2 units · 2 unit leaders<" in two
    home = client.get(reverse("home")).content.decode()
    assert "2 communities · 3 grids · 3 units · 3 unit leaders<" in home  # the street
    street = client.get(reverse("grids:street", args=[places.street.pk])).content.decode()
    assert ">unit leaders<" in street and ">unit leader<" not in street  # 3 of them
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert (
        "1 栋楼 · 1 个单元 · 1 名单元长"
        in client.get(reverse("grids:grid", args=[places.cg1.pk])).content.decode()
    )
