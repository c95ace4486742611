"""Capabilities are held at places (DESIGN.md §14, accounts/capabilities.py).

People with two roles get each role's powers at that role's place only. 富南第1网格 (fn1) holds
the marked world of tests/test_url_matrix.py: a case, its task, a meeting, partners of
万青路街道 and an import batch. The mixed personas (tests/conftest.py `mixed`) are at most
its grid worker, so every street-staff or officer power over it is refused, while the same
power at their own place works.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.demo import street_staff_group
from audit.log import record
from audit.models import AccessEvent, Kind
from cases.models import Case, State
from meetings.models import Meeting
from tests.factories import CaseFactory, UserFactory, make_role
from tests.test_url_matrix import world  # noqa: F401 - `world` is a fixture

pytestmark = pytest.mark.django_db


def exported_codes(client) -> set:
    response = client.get(reverse("cases:export", args=["csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row[0] for row in rows[1:]}


@pytest.fixture
def three_streets_cases(places, world):  # noqa: F811
    """The world's cases (富南's among them) and one more in each street, by street."""
    CaseFactory(grid=places.cg1)
    CaseFactory(grid=places.yy1)
    codes = {}
    for street in (places.street, places.other_street):
        codes[street.name] = set(
            Case.objects.filter(street=street).values_list("tracking_code", flat=True)
        )
    return codes


def test_an_export_holds_exactly_the_rows_of_the_places_where_the_user_may_export(
    places, personas, mixed, login, three_streets_cases
):
    wanqing, youyi = (three_streets_cases[s.name] for s in (places.street, places.other_street))
    assert wanqing and youyi
    # Staff of 友谊街道 and grid worker of 富南第1网格: the export holds 友谊街道's cases only.
    assert exported_codes(login(mixed.staff_there_worker_fn1)) == youyi
    assert exported_codes(login(mixed.staff_of_two_streets)) == wanqing | youyi
    assert exported_codes(login(personas.street_staff)) == wanqing
    for grid_worker_here in (mixed.officer_cg_worker_fn1, personas.worker_cg1):
        response = login(grid_worker_here).get(reverse("cases:export", args=["xlsx"]))
        assert response.status_code == 403


def test_anonymising_is_refused_at_the_grid_where_the_clerk_is_only_its_worker(
    places,
    mixed,
    login,
    world,  # noqa: F811
):
    client = login(mixed.staff_there_worker_fn1)
    funan = Case.objects.get(pk=world["cases:detail"][0])
    page = client.get(reverse("cases:detail", args=[funan.pk])).content.decode()
    assert "富南居民甲" in page  # the grid worker reads the case of his grid …
    assert 'data-testid="anonymise"' not in page  # … and is offered no anonymising
    data = {"anonymise-reason": "居民书面申请", "anonymise-confirm": "on"}
    assert client.post(reverse("cases:anonymise", args=[funan.pk]), data).status_code == 404
    funan.refresh_from_db()
    assert funan.anonymised_at is None and funan.resident_name == "富南居民甲"
    assert not AccessEvent.objects.filter(kind=Kind.ANONYMISED).exists()

    youyi = CaseFactory(grid=places.yy1)  # in the clerk's own street: done and logged
    page = client.get(reverse("cases:detail", args=[youyi.pk])).content.decode()
    assert 'data-testid="anonymise"' in page
    assert client.post(reverse("cases:anonymise", args=[youyi.pk]), data).status_code == 302
    assert Case.objects.get(pk=youyi.pk).anonymised_at is not None


def test_the_access_log_shows_only_the_streets_where_the_user_reads_it(
    places,
    personas,
    mixed,
    login,
    world,  # noqa: F811
):
    funan = Case.objects.get(pk=world["cases:detail"][0])
    youyi = CaseFactory(grid=places.yy1)
    record(Kind.PHONE_VIEWED, personas.officer_funan, [places.street.pk], case=funan)
    record(Kind.PHONE_VIEWED, personas.other_street_staff, [places.other_street.pk], case=youyi)
    client = login(mixed.staff_there_worker_fn1)
    page = client.get(reverse("audit:log")).content.decode()
    assert youyi.tracking_code in page and funan.tracking_code not in page
    sheet = client.get(reverse("audit:export", args=["csv"])).content.decode("utf-8-sig")
    assert youyi.tracking_code in sheet and funan.tracking_code not in sheet
    assert login(mixed.officer_cg_worker_fn1).get(reverse("audit:log")).status_code == 404


def test_partners_keys_and_the_inbox_are_managed_only_in_the_clerks_street(
    mixed,
    login,
    world,  # noqa: F811
):
    client = login(mixed.staff_there_worker_fn1)
    page = client.get(reverse("interop:integration")).content.decode()
    assert "FUNAN-MARKER 应用" not in page and "GD2" not in page
    for name in ("interop:key_create", "interop:key_revoke", "interop:outbox_retry"):
        assert client.post(reverse(name, args=world[name])).status_code == 404, name
    inbox = reverse("interop:inbox_place", args=world["interop:inbox_place"])
    assert client.get(inbox).status_code == 404 and client.post(inbox).status_code == 404
    assert login(mixed.officer_cg_worker_fn1).get(reverse("interop:integration")).status_code == 404


def test_imports_are_refused_for_the_street_of_the_clerks_grid(
    places,
    mixed,
    login,
    world,  # noqa: F811
):
    client = login(mixed.staff_there_worker_fn1)
    assert client.get(reverse("grids:import"), {"street": places.street.pk}).status_code == 404
    batch = world["grids:import_batch"]
    assert client.get(reverse("grids:import_batch", args=batch)).status_code == 404
    assert client.post(reverse("grids:import_apply", args=batch)).status_code == 404
    own = client.get(reverse("grids:import"), {"street": places.other_street.pk})
    assert own.status_code == 200


def test_bulk_moves_reach_only_the_community_where_the_user_is_an_officer(
    places, personas, mixed, login
):
    own, grid_of_his = CaseFactory(grid=places.cg1), CaseFactory(grid=places.fn1)
    client = login(mixed.officer_cg_worker_fn1)
    deadline = timezone.localtime() + timedelta(days=2)
    response = client.post(
        reverse("cases:bulk"),
        {
            "ids": [own.pk, grid_of_his.pk],
            "action": "accept",
            "owner": mixed.officer_cg_worker_fn1.pk,
            "response_deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    page = response.content.decode()
    assert Case.objects.get(pk=own.pk).state == State.ACCEPTED
    assert Case.objects.get(pk=grid_of_his.pk).state == State.SUBMITTED
    assert "所选诉求中有 1 件不在您负责的范围内，未作处理。" in page


def test_a_meeting_of_the_grid_workers_community_is_read_but_never_run(
    mixed,
    login,
    world,  # noqa: F811
):
    client = login(mixed.officer_cg_worker_fn1)
    meeting_id = world["meetings:detail"][0]
    page = client.get(reverse("meetings:detail", args=[meeting_id])).content.decode()
    assert "富南会议室MARKER" in page  # his grid's case is on its agenda: he may read it
    assert 'name="cancel-reason"' not in page
    response = client.post(
        reverse("meetings:action", args=[meeting_id, "cancel"]), {"cancel-reason": "x"}
    )
    assert response.status_code in (403, 404, 409)  # refused, as for any reader
    client.post(reverse("meetings:emergency", args=world["meetings:emergency"]))
    assert Meeting.objects.get().state == "scheduled"  # cancelled by no one, no new session


def test_the_admin_manages_only_the_streets_where_the_clerk_is_staff(
    places,
    mixed,
    login,
    world,  # noqa: F811
):
    clerk = mixed.staff_there_worker_fn1
    clerk.is_staff = True
    clerk.save()
    clerk.groups.add(street_staff_group())
    client = login(clerk)
    assert client.get(reverse("admin:grids_grid_change", args=[places.yy1.pk])).status_code == 200
    response = client.get(reverse("admin:grids_grid_change", args=[places.fn1.pk]))
    assert response.status_code in (302, 404)
    listing = client.get(reverse("admin:grids_grid_changelist")).content.decode()
    assert "友谊第1网格" in listing and "富南第1网格" not in listing


def test_a_unit_leader_who_is_also_a_grid_worker_gains_nothing_from_the_unit(
    places,
    login,
    world,  # noqa: F811
):
    # 富南第1网格's unit leader (a contact, no login) is the same person as this grid worker.
    contact = places.leaders[places.fn1]
    leader = UserFactory(username="unit_leader_worker_cg1", first_name=contact.name)
    make_role(leader, "grid_worker", places.cg1)
    client = login(leader)
    funan = world["cases:detail"]
    assert client.get(reverse("cases:detail", args=funan)).status_code == 404
    assert client.get(reverse("cases:export", args=["csv"])).status_code == 403
    assert "FUNAN-MARKER" not in client.get(reverse("cases:list")).content.decode()


def test_a_place_read_off_the_row_answers_as_the_database_does(places, personas, mixed):
    """`may` reads a case's places off its own columns rather than asking again: for every
    person, every capability and a case in each grid, the answer is the database's."""
    from accounts.capabilities import Capability
    from accounts.scope import Scope

    cases = [CaseFactory(grid=grid) for grid in (places.cg1, places.cg2, places.fn1, places.yy1)]
    people = [*vars(personas).values(), *vars(mixed).values()]
    for person in people:
        scope = Scope.for_user(person)
        for capability in Capability:
            granted = scope.granting(capability)
            for case in cases:
                asked = granted.narrow(Case.objects.filter(pk=case.pk)).exists()
                assert granted.holds(case) == asked, (person, capability, case.grid)
