"""Street staff keep the hierarchy and accounts in the admin, through the same scope."""

import pytest
from django.urls import reverse

from accounts.demo import street_staff_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(personas, login):
    personas.street_staff.is_staff = True
    personas.street_staff.save()
    personas.street_staff.groups.add(street_staff_group())
    return login(personas.street_staff)


def test_street_staff_see_only_their_streets_communities_in_the_admin(admin_client, places):
    html = admin_client.get(reverse("admin:grids_community_changelist")).content.decode()
    assert "春光社区" in html and "富南社区" in html
    assert "友谊社区" not in html


def test_another_streets_objects_are_not_reachable_in_the_admin(admin_client, places):
    for name, obj in [
        ("grids_community", places.youyi),
        ("grids_grid", places.yy1),
        ("grids_contact", places.leaders[places.yy1]),
    ]:
        response = admin_client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
        assert response.status_code == 404  # as on every other page
        assert obj.name not in response.content.decode()


def test_street_staff_manage_only_users_of_their_street_and_grant_no_admin_powers(
    admin_client, personas
):
    users = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "worker_cg1" in users and "other_street_staff" not in users
    form = admin_client.get(reverse("admin:auth_user_change", args=[personas.worker_cg1.pk]))
    assert 'name="is_superuser"' not in form.content.decode()


def test_the_admin_role_choices_offer_only_places_in_scope(admin_client, places):
    form = admin_client.get(reverse("admin:auth_user_add"))
    assert form.status_code == 200
    change = admin_client.get(
        reverse("admin:auth_user_change", args=[places.cg1.role_set.first().user_id])
    ).content.decode()
    assert "春光社区" in change
    assert "友谊社区" not in change


def test_a_superuser_retires_a_category_and_it_is_no_longer_offered(places, login):
    from accounts.models import RoleKind
    from cases.models import Category
    from tests.factories import UserFactory, make_role

    superuser = UserFactory(username="root_for_categories", is_staff=True, is_superuser=True)
    legal = Category.objects.get(name="法律咨询")
    response = login(superuser).post(
        reverse("admin:cases_category_change", args=[legal.pk]),
        {"name": "法律咨询", "position": legal.position},  # "in use" unticked
    )
    assert response.status_code == 302
    worker = UserFactory(username="worker_for_categories")
    make_role(worker, RoleKind.GRID_WORKER, places.cg1)
    page = login(worker).get(reverse("cases:new")).content.decode()
    assert ">水电气暖</option>" in page and ">法律咨询</option>" not in page


def test_street_staff_read_the_shared_categories_but_change_none(admin_client):
    from cases.models import Category

    legal = Category.objects.get(name="法律咨询")
    listing = admin_client.get(reverse("admin:cases_category_changelist"))
    assert listing.status_code == 200 and "法律咨询" in listing.content.decode()
    assert 'name="form-0-is_active"' not in listing.content.decode()  # no inline editing
    attempts = [
        admin_client.post(
            reverse("admin:cases_category_change", args=[legal.pk]),
            {"name": "改名了", "position": 0},
        ),
        admin_client.post(reverse("admin:cases_category_add"), {"name": "新类别", "position": 0}),
        admin_client.post(reverse("admin:cases_category_delete", args=[legal.pk]), {"post": "yes"}),
        admin_client.post(
            reverse("admin:cases_category_changelist"),
            {"action": "delete_selected", "_selected_action": [legal.pk], "post": "yes"},
        ),
    ]
    assert [r.status_code for r in attempts[:3]] == [403, 403, 403]
    legal.refresh_from_db()
    assert legal.name == "法律咨询" and legal.is_active
    assert not Category.objects.filter(name="新类别").exists()
