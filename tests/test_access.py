"""Each role sees its own slice of the hierarchy; everything else is a 404."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _object_urls(places, grid):
    building = places.buildings[grid]
    return {
        "street": reverse("grids:street", args=[grid.community.street_id]),
        "community": reverse("grids:community", args=[grid.community_id]),
        "grid": reverse("grids:grid", args=[grid.pk]),
        "building": reverse("grids:building", args=[building.pk]),
    }


# (persona, grid whose pages they may open, which of those levels they see)
CASES = [
    ("street_staff", "cg1", {"street", "community", "grid", "building"}),
    ("officer_chunguang", "cg1", {"community", "grid", "building"}),
    ("worker_cg1", "cg1", {"grid", "building"}),
]


@pytest.mark.parametrize(("persona", "own_grid", "visible"), CASES)
def test_a_user_opens_their_own_places_and_gets_404_above_them(
    personas, places, login, persona, own_grid, visible
):
    client = login(getattr(personas, persona))
    for level, url in _object_urls(places, getattr(places, own_grid)).items():
        expected = 200 if level in visible else 404
        assert client.get(url).status_code == expected, (persona, level, url)


ALL = ["street", "community", "grid", "building"]
BELOW_STREET = ["community", "grid", "building"]
GRID_AND_BELOW = ["grid", "building"]


@pytest.mark.parametrize(
    ("persona", "outside"),
    [
        ("street_staff", {"yy1": ALL}),
        ("officer_chunguang", {"fn1": BELOW_STREET, "yy1": ALL}),
        ("officer_funan", {"cg1": BELOW_STREET, "cg2": BELOW_STREET, "yy1": ALL}),
        ("worker_cg1", {"cg2": GRID_AND_BELOW, "fn1": ALL, "yy1": ALL}),
        ("other_street_staff", {"cg1": ALL, "fn1": ALL}),
        ("no_role", {"cg1": ALL, "fn1": ALL, "yy1": ALL}),
    ],
)
def test_every_object_url_outside_a_users_places_is_404(personas, places, login, persona, outside):
    client = login(getattr(personas, persona))
    for grid_name, levels in outside.items():
        grid = getattr(places, grid_name)
        urls = _object_urls(places, grid)
        for level in levels:
            response = client.get(urls[level])
            assert response.status_code == 404, (persona, grid_name, level)
            assert places.leaders[grid].name not in response.content.decode()


def test_a_grid_worker_of_two_grids_sees_both(personas, places, login):
    from accounts.models import RoleKind
    from tests.factories import make_role

    make_role(personas.worker_cg1, RoleKind.GRID_WORKER, places.cg2)
    client = login(personas.worker_cg1)
    assert client.get(reverse("grids:grid", args=[places.cg2.pk])).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert "春光第1网格" in home and "春光第2网格" in home


def test_a_deactivated_user_is_logged_out_at_the_next_request(personas, places, login):
    client = login(personas.worker_cg1)
    url = reverse("grids:grid", args=[places.cg1.pk])
    assert client.get(url).status_code == 200
    personas.worker_cg1.is_active = False
    personas.worker_cg1.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_worker_moved_to_another_grid_loses_the_old_one_at_once(personas, places, login):
    client = login(personas.worker_cg1)
    old = reverse("grids:grid", args=[places.cg1.pk])
    assert client.get(old).status_code == 200
    personas.worker_cg1.roles.update(grid=places.cg2)
    assert client.get(old).status_code == 404
    assert client.get(reverse("grids:grid", args=[places.cg2.pk])).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client, places):
    for url in _object_urls(places, places.cg1).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_user_with_no_role_is_told_to_ask_for_one(personas, login):
    page = login(personas.no_role).get(reverse("home")).content.decode()
    assert "尚未在任何地方担任角色" in page


def test_the_menu_links_follow_the_address_the_app_is_served_at(personas, places, login):
    """Served under a prefix (SCRIPT_NAME behind a proxy) and then at the root, the menu's
    links each time lead where the app is, like every other link of the page."""
    import re

    from django.urls import set_script_prefix

    client = login(personas.officer_chunguang)
    menu = re.compile(r'data-testid="role-nav">.*?</ul>', re.S)
    try:
        set_script_prefix("/youjie/")  # as the WSGI handler does for SCRIPT_NAME=/youjie
        under = client.get("/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/youjie/cases/"' in menu.search(under).group(0)
    at_root = client.get("/").content.decode()
    links = menu.search(at_root).group(0)
    assert 'href="/cases/"' in links and "/youjie/" not in links


def test_the_roles_read_with_the_account_give_the_same_places_as_reading_them_apart(
    personas, places
):
    """Every page reads the session's account and its roles in one query (accounts/login.py);
    the places that gives are those the roles give read on their own, for one role, several,
    a superuser, and none."""
    from django.contrib.auth import get_user_model

    from accounts.login import ThrottledModelBackend
    from accounts.models import RoleKind
    from accounts.scope import Scope
    from tests.factories import UserFactory, make_role

    several = UserFactory(username="two_hats")
    make_role(several, RoleKind.GRID_WORKER, places.cg1)
    make_role(several, RoleKind.COMMUNITY_OFFICER, places.funan)
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "x")
    people = [*vars(personas).values(), several, boss]
    for person in people:
        loaded = ThrottledModelBackend().get_user(person.pk)
        assert Scope.for_user(loaded, loaded=True) == Scope.for_user(person), person.username
    assert Scope.for_user(ThrottledModelBackend().get_user(several.pk), loaded=True).kinds == {
        RoleKind.GRID_WORKER,
        RoleKind.COMMUNITY_OFFICER,
    }
