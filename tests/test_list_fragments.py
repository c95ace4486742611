"""The case list's filter panel and its owner choices are rendered once per process and kept
(common/fragments.py). What the page offers must still be what the database holds, at once
after any change, and each user must get the panel of their own places, language and
chosen filters."""

import re

import pytest
from django.urls import reverse

from accounts.models import RoleKind
from cases.models import Category
from tests.factories import GridFactory, UserFactory, make_role

pytestmark = pytest.mark.django_db


def options(response, name) -> dict:
    """{value: label} of the select called `name` on the page."""
    html = response.content.decode()
    select = re.search(
        rf'<select class="form-select" name="{name}" id="[^"]+">(.*?)</select>', html
    )
    assert select, f"no {name} select"
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_a_new_grid_a_renamed_community_and_a_new_category_show_at_once(places, personas, login):
    client = login(personas.street_staff)
    first = client.get(reverse("cases:list"))
    assert "春光社区 · 春光第1网格" in options(first, "grid").values()

    grid = GridFactory(community=places.chunguang, name="春光第9网格")
    assert options(client.get(reverse("cases:list")), "grid")[str(grid.pk)] == (
        "春光社区 · 春光第9网格"
    )

    places.funan.name = "新富南社区"
    places.funan.save()
    page = client.get(reverse("cases:list"))
    assert "新富南社区" in options(page, "community").values()
    assert "新富南社区 · 富南第1网格" in options(page, "grid").values()

    category = Category.objects.create(name="新的类别", position=99)
    assert options(client.get(reverse("cases:list")), "category")[str(category.pk)] == "新的类别"

    grid.delete()
    assert str(grid.pk) not in options(client.get(reverse("cases:list")), "grid")


def test_each_user_gets_the_panel_of_their_own_places(places, personas, login, client):
    street = options(login(personas.street_staff).get(reverse("cases:list")), "grid").values()
    assert "富南社区 · 富南第1网格" in street

    officer = login(personas.officer_chunguang).get(reverse("cases:list"))
    grids = [label for value, label in options(officer, "grid").items() if value]
    assert grids and all(label.startswith("春光社区 · ") for label in grids)
    assert list(options(officer, "community").values()) == ["—", "春光社区"]

    worker = login(personas.worker_cg1).get(reverse("cases:list")).content.decode()
    assert 'name="community"' not in worker  # a grid worker's list is one community already


def test_the_panel_speaks_the_readers_language(personas, login):
    client = login(personas.street_staff)
    chinese = client.get(reverse("cases:list")).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(reverse("cases:list")).content.decode()
    assert 'for="f-channel">渠道<' in chinese
    assert 'for="f-channel">Channel<' in english


def test_the_chosen_filters_are_marked_only_on_the_list_that_chose_them(personas, login):
    client = login(personas.street_staff)
    chosen = client.get(reverse("cases:list"), {"state": "resolved", "logged_from": "2026-01-02"})
    html = chosen.content.decode()
    assert re.search(r'name="state" value="resolved" id="[^"]+" checked>', html)
    assert 'name="logged_from" id="f-logged_from" value="2026-01-02"' in html
    plain = client.get(reverse("cases:list")).content.decode()
    assert not re.search(r'name="state" value="resolved" id="[^"]+" checked>', plain)
    assert 'name="logged_from" id="f-logged_from" value=""' in plain


def test_the_owner_choices_follow_accounts_and_roles(places, personas, login):
    client = login(personas.officer_chunguang)
    before = options(client.get(reverse("cases:list")), "owner")
    assert str(personas.worker_cg1.pk) in before

    newcomer = UserFactory(username="newcomer", first_name="新来的网格员")
    make_role(newcomer, RoleKind.GRID_WORKER, places.cg1)
    assert options(client.get(reverse("cases:list")), "owner")[str(newcomer.pk)] == "新来的网格员"

    newcomer.first_name = "改了名的网格员"
    newcomer.save()
    assert options(client.get(reverse("cases:list")), "owner")[str(newcomer.pk)] == "改了名的网格员"

    newcomer.is_active = False
    newcomer.save()
    assert str(newcomer.pk) not in options(client.get(reverse("cases:list")), "owner")
