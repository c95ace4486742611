import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction

from accounts.models import Role
from grids.models import Building, Community, Contact, ContactKind, Grid, Street, Unit

# Building the seed's street (1,838 unit leaders) takes its first test 7 s on an idle machine;
# on a busy one that is several times more, still a working suite, not a hang.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed's street, built once for this file: each test runs inside the transaction
    that built it (its own changes rolled back at its end) and the street goes at the end.
    Yields the instant it was built: the file's tests run at a clock of their own."""
    from django.utils import timezone

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield timezone.now()
        transaction.set_rollback(True)


MODELS = (Street, Community, Grid, Building, Unit, Contact, User, Role)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_builds_the_street_at_the_seeds_scale_and_twice_changes_nothing(seeded, capsys):
    street = Street.objects.get(name="万青路街道")
    assert street.communities.count() == 8
    assert {"春光社区", "富南社区", "草原社区"} <= set(
        street.communities.values_list("name", flat=True)
    )
    assert Grid.objects.filter(community__street=street).count() == 110
    assert Contact.objects.filter(street=street, kind=ContactKind.UNIT_LEADER).count() == 1838
    assert Contact.objects.filter(kind=ContactKind.PARTY_MEMBER).count() == 110 * 3
    assert Building.objects.filter(estate="金苑小区").exists()
    for username in ("street", "officer.chunguang", "officer.funan", "grid.chunguang.01"):
        assert User.objects.get(username=username).check_password("youjie-demo-2026")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_the_seeds_unit_leaders_own_tasks_and_residents_find_their_building(seeded, client):
    """On the seed's own street: a 单元长 is offered as a task owner of a case in their grid and
    shows on the case page; a resident without a QR code sees estates, then buildings in
    counting order, then the units of one building only."""
    import re
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from cases.forms import TaskForm
    from cases.models import Case, State
    from tests.factories import CaseFactory

    leader = (
        Contact.objects.filter(kind=ContactKind.UNIT_LEADER, community__name="春光社区")
        .select_related("unit__building__grid")
        .first()
    )
    building = leader.unit.building
    case = CaseFactory(grid=building.grid, building=building, unit=leader.unit, state=State.DECIDED)
    owners = TaskForm(case=case).fields["owner_contact"]
    assert leader in owners.queryset
    officer = User.objects.get(username="officer.chunguang")
    client.force_login(officer)
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = client.post(
        reverse("cases:task_add", args=[case.pk]),
        {"task-title": "收取维修费用", "task-owner_contact": leader.pk, "task-due_date": due},
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f"单元长 · {leader.name}" in page
    assert Case.objects.get(pk=case.pk).tasks.get().owner_contact == leader

    client.logout()
    chunguang = Community.objects.get(name="春光社区")
    url = reverse("residents:community", args=[chunguang.pk])
    estates = client.get(url).content.decode()
    assert "春光小区" in estates and "春光二区" in estates and "号楼" not in estates
    buildings = client.get(url, {"estate": "春光二区"}).content.decode()
    numbers = [int(n) for n in re.findall(r">(\d+)号楼<", buildings)]
    assert numbers and numbers == sorted(numbers)
    units_page = client.get(reverse("residents:building", args=[building.public_code]))
    units = re.findall(r">(\d+)单元<", units_page.content.decode())
    assert sorted(map(int, units)) == [int(u) for u in units]
    assert (
        len(units)
        == building.units.count()
        < Unit.objects.filter(building__grid__community=chunguang).count()
    )


def test_the_seeds_decisions_count_no_more_votes_than_people_present(seeded):
    """Every decided item of the demo's held sessions, as its public notice prints it: for,
    against and abstaining add up to at most those present, and more voted for than against."""
    from django.db.models import Count, F, Q

    from meetings.models import AgendaItem, ItemStatus

    decided = AgendaItem.objects.filter(status=ItemStatus.DECIDED).annotate(
        present=Count("meeting__participants", filter=Q(meeting__participants__attended=True))
    )
    assert decided.count() > 50
    over = decided.filter(
        present__lt=F("votes_for") + F("votes_against") + F("votes_abstain")
    ).values_list("meeting_id", "votes_for", "votes_against", "votes_abstain", "present")
    assert list(over) == []
    assert not decided.filter(votes_for__lte=F("votes_against")).exists()


def test_nothing_the_seed_records_happened_later_than_now(seeded):
    """Next month's session is scheduled, not yet told or held: no history line, notice or
    decision of the demo street is dated in the future."""
    from django.db.models import Max

    from cases.models import Case, CaseEvent, Task
    from meetings.models import AgendaItem, Meeting, MeetingChange, Participant

    latest = {
        "meetings scheduled": Meeting.objects.aggregate(at=Max("created_at"))["at"],
        "meetings held": Meeting.objects.aggregate(at=Max("held_at"))["at"],
        "meeting history": MeetingChange.objects.aggregate(at=Max("at"))["at"],
        "people told": Participant.objects.aggregate(at=Max("notified_at"))["at"],
        "decisions": AgendaItem.objects.aggregate(at=Max("decided_at"))["at"],
        "cases logged": Case.objects.aggregate(at=Max("created_at"))["at"],
        "case history": CaseEvent.objects.aggregate(at=Max("at"))["at"],
        "tasks closed": Task.objects.aggregate(at=Max("closed_at"))["at"],
    }
    now = seeded  # the seed's own now (a calendar run's clock is elsewhere)
    assert Meeting.objects.filter(starts_at__gt=now).exists()  # sessions still to come
    assert {what: at for what, at in latest.items() if at and at > now} == {}


def test_every_decision_of_the_seeds_meetings_reaches_its_residents_lookup(seeded, client):
    """A resident of the demo street looking up a request decided in a meeting reads the
    decision in the notice's words, whether its history row names the agenda item or only
    the meeting."""
    from django.urls import reverse

    from cases.models import Case
    from common.phones import phone_digits
    from residents import public

    decided = list(
        Case.objects.filter(events__move="decide", events__details__has_key="meeting").distinct()
    )
    assert len(decided) > 20
    assert [case.tracking_code for case in decided if public.decision(case) is None] == []
    case = decided[0]
    last4 = phone_digits(case.resident_phone)[-4:]
    page = client.post(
        reverse("residents:status"),
        {"tracking_code": case.tracking_code, "phone_last4": last4},
        follow=True,
    ).content.decode()
    assert 'data-testid="decision"' in page and "公示至" in page
