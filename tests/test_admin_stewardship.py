"""A street's staff manage in the admin only what lies wholly in their street.

A user who also holds a role in another street, a superuser, an account with no role, a
contact that points into another street: none of them can be seen, changed, given a new
password or deleted by one street's staff; and a role can only be given at their own places.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.demo import street_staff_group
from accounts.models import Role, RoleKind
from grids.models import Contact, ContactKind
from tests.factories import CaseFactory, UserFactory, make_role

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Brand-new-passw0rd"


def staff_client(user):
    user.is_staff = True
    user.save()
    user.groups.add(street_staff_group())
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def street_admin(personas):
    return staff_client(personas.street_staff)


@pytest.fixture
def shared(places):
    """An officer of 春光社区 (this street) who is also a grid worker in 友谊街道."""
    user = UserFactory(username="shared_officer")
    make_role(user, RoleKind.COMMUNITY_OFFICER, places.chunguang)
    make_role(user, RoleKind.GRID_WORKER, places.yy1)
    return user


def can_log_in(user, password):
    return Client().login(username=user.username, password=password)


def test_the_user_list_leaves_out_a_user_who_also_works_in_another_street(
    street_admin, shared, personas
):
    page = street_admin.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "worker_cg1" in page
    assert "shared_officer" not in page
    searched = street_admin.get(reverse("admin:auth_user_changelist"), {"q": "shared"})
    assert "shared_officer" not in searched.content.decode()


def test_a_shared_user_cannot_be_opened_renamed_or_deactivated(street_admin, shared):
    url = reverse("admin:auth_user_change", args=[shared.pk])
    assert street_admin.get(url).status_code == 404
    response = street_admin.post(url, {"username": "renamed", "is_active": ""})
    assert response.status_code == 404
    shared.refresh_from_db()
    assert shared.username == "shared_officer" and shared.is_active
    assert street_admin.get(reverse("admin:auth_user_history", args=[shared.pk])).status_code == 404


def test_a_shared_users_password_cannot_be_set(street_admin, shared):
    url = reverse("admin:auth_user_password_change", args=[shared.pk])
    assert street_admin.get(url).status_code == 404
    response = street_admin.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 404
    assert not can_log_in(shared, NEW_PASSWORD)
    assert can_log_in(shared, "youjie-demo-2026")


def test_a_shared_user_cannot_be_deleted_one_by_one_or_in_bulk(street_admin, shared, personas):
    url = reverse("admin:auth_user_delete", args=[shared.pk])
    assert street_admin.get(url).status_code == 404
    assert street_admin.post(url, {"post": "yes"}).status_code == 404
    street_admin.post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [shared.pk, personas.worker_cg2.pk],
            "post": "yes",
        },
    )
    assert User.objects.filter(pk=shared.pk).exists()
    assert Role.objects.filter(user=shared).count() == 2
    # The sole-street user selected alongside is deleted: the rule is per user.
    assert not User.objects.filter(pk=personas.worker_cg2.pk).exists()


def test_neither_street_manages_a_shared_user_but_a_superuser_does(places, personas, shared):
    other = staff_client(personas.other_street_staff)
    assert other.get(reverse("admin:auth_user_change", args=[shared.pk])).status_code == 404
    root = User.objects.create_superuser("root", password="x-root-password-1")
    superuser = Client()
    superuser.force_login(root)
    response = superuser.post(
        reverse("admin:auth_user_password_change", args=[shared.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert can_log_in(shared, NEW_PASSWORD)


def test_a_user_of_this_street_only_is_still_managed(street_admin, personas):
    worker = personas.worker_cg1
    response = street_admin.post(
        reverse("admin:auth_user_password_change", args=[worker.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert can_log_in(worker, NEW_PASSWORD)
    assert street_admin.get(reverse("admin:auth_user_delete", args=[worker.pk])).status_code == 200


def test_superusers_and_users_without_roles_are_never_managed_by_street_staff(
    street_admin, places, personas
):
    root = User.objects.create_superuser("root", password="x-root-password-1")
    make_role(root, RoleKind.STREET_STAFF, places.street)
    page = street_admin.get(reverse("admin:auth_user_changelist")).content.decode()
    assert ">root<" not in page and "no_role" not in page
    for user in (root, personas.no_role):
        for name in ("change", "password_change", "delete"):
            url = reverse(f"admin:auth_user_{name}", args=[user.pk])
            assert street_admin.get(url).status_code == 404


def role_form(user, new_role):
    """The user's change form as the admin posts it, with one role added."""
    roles = list(Role.objects.filter(user=user))
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "roles-TOTAL_FORMS": str(len(roles) + 1),
        "roles-INITIAL_FORMS": str(len(roles)),
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    for index, role in enumerate([*roles, None]):
        values = (
            new_role
            if role is None
            else {
                "id": role.pk,
                "kind": role.kind,
                "street": role.street_id,
                "community": role.community_id or "",
                "grid": role.grid_id or "",
            }
        )
        data.update({f"roles-{index}-{key}": value for key, value in values.items()})
        data[f"roles-{index}-user"] = user.pk
    return data


@pytest.mark.parametrize(
    "new_role",
    [
        lambda p: {"kind": "community_officer", "street": p.street.pk, "community": p.youyi.pk},
        lambda p: {"kind": "grid_worker", "street": p.street.pk, "grid": p.yy1.pk},
        lambda p: {"kind": "street_staff", "street": p.other_street.pk},
    ],
    ids=["community", "grid", "street"],
)
def test_street_staff_cannot_give_a_role_at_another_streets_place(
    street_admin, places, personas, new_role
):
    worker = personas.worker_cg1
    response = street_admin.post(
        reverse("admin:auth_user_change", args=[worker.pk]), role_form(worker, new_role(places))
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert not Role.objects.filter(user=worker).exclude(street=places.street).exists()


def test_street_staff_give_a_role_at_their_own_place(street_admin, places, personas):
    worker = personas.worker_cg1
    response = street_admin.post(
        reverse("admin:auth_user_change", args=[worker.pk]),
        role_form(
            worker, {"kind": "grid_worker", "street": places.street.pk, "grid": places.cg2.pk}
        ),
    )
    assert response.status_code == 302
    assert set(Role.objects.filter(user=worker).values_list("grid__name", flat=True)) == {
        "春光第1网格",
        "春光第2网格",
    }


def test_a_new_account_must_get_a_role_in_the_street(street_admin):
    data = {
        "username": "newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "usable_password": "true",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    response = street_admin.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 200
    assert "Keep at least one role" in response.content.decode() or "至少保留一个角色" in (
        response.content.decode()
    )
    assert not User.objects.filter(username="newcomer").exists()


def test_an_officer_marked_as_staff_manages_nothing_in_the_admin(personas, places):
    officer = staff_client(personas.officer_chunguang)
    page = officer.get(reverse("admin:auth_user_changelist"))
    assert "worker_cg1" not in page.content.decode()
    url = reverse("admin:auth_user_password_change", args=[personas.worker_cg1.pk])
    assert officer.get(url).status_code == 404
    grid_url = reverse("admin:grids_grid_change", args=[places.cg1.pk])
    assert officer.get(grid_url).status_code == 404


def test_a_contact_pointing_into_another_street_is_managed_by_neither_street(
    street_admin, places, personas
):
    # A record that reaches two streets (a wrong import, say).
    straddling = Contact.objects.create(
        kind=ContactKind.PARTY_MEMBER,
        name="跨街道联系人",
        phone="13800000001",
        street=places.street,
        community=places.chunguang,
        grid=places.yy1,
    )
    listing = street_admin.get(reverse("admin:grids_contact_changelist")).content.decode()
    assert "跨街道联系人" not in listing
    for name in ("change", "delete"):
        url = reverse(f"admin:grids_contact_{name}", args=[straddling.pk])
        assert street_admin.get(url).status_code == 404
        assert street_admin.post(url, {"post": "yes", "name": "x"}).status_code == 404
    other = staff_client(personas.other_street_staff)
    url = reverse("admin:grids_contact_change", args=[straddling.pk])
    assert other.get(url).status_code == 404
    assert Contact.objects.get(pk=straddling.pk).name == "跨街道联系人"


def test_a_contact_cannot_be_moved_into_another_street(street_admin, places):
    leader = places.leaders[places.cg1]
    response = street_admin.post(
        reverse("admin:grids_contact_change", args=[leader.pk]),
        {
            "kind": leader.kind,
            "name": leader.name,
            "phone": leader.phone,
            "street": places.street.pk,
            "community": places.chunguang.pk,
            "grid": places.yy1.pk,
            "unit": leader.unit_id,
        },
    )
    assert response.status_code == 200
    leader.refresh_from_db()
    assert leader.grid_id == places.cg1.pk


def test_street_staff_neither_add_nor_delete_streets(street_admin, places):
    assert street_admin.get(reverse("admin:grids_street_add")).status_code == 403
    url = reverse("admin:grids_street_delete", args=[places.street.pk])
    assert street_admin.post(url, {"post": "yes"}).status_code == 403


def test_the_delete_page_names_no_case_of_another_street(street_admin, places, personas):
    moved = personas.worker_cg2  # once worked in 友谊街道 and logged a case there
    case = CaseFactory(grid=places.yy1, created_by=moved)
    page = street_admin.get(reverse("admin:auth_user_delete", args=[moved.pk])).content.decode()
    assert case.tracking_code not in page
    assert "worker_cg2" in page and "诉求：1" in page  # what blocks the deletion, counted


def test_filters_in_the_admin_lists_name_only_this_streets_places(street_admin, places):
    page = street_admin.get(reverse("admin:grids_grid_changelist")).content.decode()
    assert "春光社区" in page and "友谊社区" not in page
