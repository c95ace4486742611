"""PIPL retention: residents' names and phones are anonymised N months (a street setting,
default 36) after their case closed, by the beat task; street staff also anonymise on a
resident's request. The case stays in every report, counted exactly as before."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, Kind
from cases.models import Case, CaseEvent, State, Task
from cases.retention import ANONYMOUS_NAME, months_before
from cases.tasks import anonymise_expired_cases
from config.celery import app
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def closed_case(grid, months_ago, *, phone="13955556666", state=State.VERIFIED, **fields):
    """A case logged, resolved and followed up; its last history entry `months_ago` ago."""
    closed = months_before(timezone.now(), months_ago)
    logged = closed - timedelta(days=10)
    case = CaseFactory(
        grid=grid,
        state=state,
        resident_name="刘阿姨",
        resident_phone=phone,
        description=f"刘阿姨说楼道漏水，回电 {phone}",
        created_at=logged,
        **fields,
    )
    moves = [("start", "", State.SUBMITTED, logged, "")]
    moves.append(("resolve", State.IN_PROGRESS, State.RESOLVED, closed - timedelta(days=1), ""))
    if state != State.RESOLVED:
        moves.append((state, State.RESOLVED, state, closed, f"回访刘阿姨 {phone}，满意"))
    for move, source, target, at, note in moves:
        CaseEvent.objects.create(
            case=case,
            move=move,
            from_state=source,
            to_state=target,
            at=at,
            note=note,
            details={"explanation": f"电话 {phone} 告知"} if move == "resolve" else {},
        )
    return case


def test_the_task_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "cases.tasks.anonymise_expired_cases" in tasks


@pytest.mark.calendar
def test_37_months_after_closing_the_resident_is_anonymised_35_not_open_never(places, personas):
    old = closed_case(places.cg1, 37)
    task = Task.objects.create(
        case=old,
        title="给刘阿姨回电 13955556666",
        owner_user=personas.officer_chunguang,
        due_date=old.created_at.date(),
        created_by=personas.officer_chunguang,
    )
    recent = closed_case(places.cg1, 35, phone="13977778888")
    still_open = closed_case(places.fn1, 40, phone="13900001111", state=State.IN_PROGRESS)
    assert anonymise_expired_cases() == 1
    old.refresh_from_db()
    assert (old.resident_name, old.resident_phone) == (ANONYMOUS_NAME, "")
    assert old.anonymised_at is not None
    assert "13955556666" not in old.description and "刘阿姨" not in old.description
    assert "139****6666" in old.description
    for event in old.events.all():
        text = f"{event.note} {event.details}"
        assert "13955556666" not in text and "刘阿姨" not in text
    # The history stays, and says when the data went (the retention task: no one, no note).
    assert [(e.move, e.actor, e.note) for e in old.events.all()][1:] == [
        ("resolve", None, ""),
        ("verified", None, "回访已匿名 139****6666，满意"),
        ("anonymised", None, ""),
    ]
    task.refresh_from_db()
    assert task.title == "给已匿名回电 139****6666"
    for case in (recent, still_open):
        case.refresh_from_db()
        assert case.resident_name == "刘阿姨" and case.anonymised_at is None
    logged = AccessEvent.objects.get(kind=Kind.ANONYMISED)
    assert (logged.case_id, logged.user, logged.street_id) == (old.pk, None, places.street.pk)
    # Idempotent: a second run finds nothing, writes nothing.
    assert anonymise_expired_cases() == 0
    assert AccessEvent.objects.filter(kind=Kind.ANONYMISED).count() == 1
    # And the history is append-only again once the task is done.
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.filter(case=old).update(note="")


def test_each_street_sets_its_own_period(places):
    places.other_street.retention_months = 12
    places.other_street.save()
    theirs = closed_case(places.yy1, 13)
    ours = closed_case(places.cg1, 13)
    assert anonymise_expired_cases() == 1
    assert Case.objects.get(pk=theirs.pk).anonymised_at is not None
    assert Case.objects.get(pk=ours.pk).anonymised_at is None


def test_declined_and_resolved_cases_count_as_closed(places):
    declined = closed_case(places.cg1, 40, state=State.DECLINED)
    resolved = closed_case(places.cg2, 40, phone="13900002222", state=State.RESOLVED)
    assert anonymise_expired_cases() == 2
    assert set(Case.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)) == {
        declined.pk,
        resolved.pk,
    }


def test_reports_count_the_cases_exactly_as_before(places, personas, login):
    cases = [closed_case(places.cg1, 37, phone=f"1390000{n:04d}") for n in range(3)]
    month = timezone.localtime(cases[0].created_at).strftime("%Y-%m")
    client = login(personas.street_staff)

    def figures():
        report = client.get(reverse("reports:report"), {"month": month}).context
        return report["total"], [row["live"] for row in report["rows"]]

    before = figures()
    assert before[0]["received"] == 3
    assert anonymise_expired_cases() == 3
    assert figures() == before


# On a resident's request ----------------------------------------------------------------
@pytest.fixture
def resident(places):
    """One resident (one phone) with two cases in our street and one in another street."""
    return {
        "first": CaseFactory(grid=places.cg1, resident_name="赵大爷", resident_phone="13912340000"),
        "second": CaseFactory(
            grid=places.fn1, resident_name="赵大爷", resident_phone="139-1234-0000"
        ),
        "elsewhere": CaseFactory(grid=places.yy1, resident_phone="13912340000"),
        "neighbour": CaseFactory(grid=places.cg1, resident_phone="13912349999"),
    }


def request_anonymisation(client, case, **data):
    data = {"anonymise-reason": "居民 2026-11-20 书面申请", "anonymise-confirm": "on", **data}
    return client.post(reverse("cases:anonymise", args=[case.pk]), data)


def test_street_staff_anonymise_a_residents_cases_in_their_street_and_it_is_logged(
    personas, login, resident
):
    client = login(personas.street_staff)
    page = client.get(reverse("cases:detail", args=[resident["first"].pk])).content.decode()
    assert 'data-testid="anonymise"' in page
    response = request_anonymisation(client, resident["first"])
    assert response.status_code == 302
    done = {c.pk for c in Case.objects.filter(resident_name=ANONYMOUS_NAME, resident_phone="")}
    assert done == {resident["first"].pk, resident["second"].pk}
    events = AccessEvent.objects.filter(kind=Kind.ANONYMISED)
    assert {(e.case_id, e.user, e.detail) for e in events} == {
        (resident[key].pk, personas.street_staff, "居民 2026-11-20 书面申请")
        for key in ("first", "second")
    }
    after = client.get(reverse("cases:detail", args=[resident["first"].pk])).content.decode()
    assert 'data-testid="anonymised"' in after and 'data-testid="anonymise"' not in after
    log = client.get(reverse("audit:log"), {"kind": Kind.ANONYMISED}).content.decode()
    assert resident["first"].tracking_code in log and "书面申请" in log
    # Pressing again changes nothing and logs nothing.
    assert request_anonymisation(client, resident["first"]).status_code == 302
    assert events.count() == 2


def test_without_reason_or_confirmation_nothing_changes(personas, login, resident):
    client = login(personas.street_staff)
    for data in ({"anonymise-reason": ""}, {"anonymise-confirm": ""}):
        response = request_anonymisation(client, resident["first"], **data)
        assert response.status_code == 400
        assert "请填写原因并勾选确认" in response.content.decode()
    assert not Case.objects.filter(anonymised_at__isnull=False).exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("persona", ["other_street_staff", "officer_chunguang", "worker_cg1"])
def test_anonymisation_is_refused_to_other_streets_and_to_officers(
    personas, login, resident, persona
):
    client = login(getattr(personas, persona))
    assert request_anonymisation(client, resident["first"]).status_code == 404
    if persona != "other_street_staff":
        page = client.get(reverse("cases:detail", args=[resident["first"].pk])).content.decode()
        assert 'data-testid="anonymise"' not in page
    assert not Case.objects.filter(anonymised_at__isnull=False).exists()
    assert not AccessEvent.objects.filter(kind=Kind.ANONYMISED).exists()


def test_the_streets_staff_set_its_period_in_the_admin(personas, places, login):
    from accounts.demo import street_staff_group

    personas.street_staff.is_staff = True
    personas.street_staff.save()
    personas.street_staff.groups.add(street_staff_group())
    client = login(personas.street_staff)
    url = reverse("admin:grids_street_change", args=[places.street.pk])
    assert 'name="retention_months"' in client.get(url).content.decode()
    form = {
        "name": places.street.name,
        "district": "",
        "response_working_days": 1,
        "follow_up_working_days": 7,
        "retention_months": 24,
        "urgent_response_hours": 4,
        "recurring_window_days": 90,
    }
    assert client.post(url, form).status_code == 302
    places.street.refresh_from_db()
    assert places.street.retention_months == 24
    other = reverse("admin:grids_street_change", args=[places.other_street.pk])
    assert client.post(other, {**form, "name": "友谊街道"}).status_code in (302, 403, 404)
    places.other_street.refresh_from_db()
    assert places.other_street.retention_months == 36


def test_the_anonymisation_is_written_in_the_cases_history_with_the_reason_masked(
    personas, login, resident
):
    client = login(personas.street_staff)
    case = resident["first"]
    response = request_anonymisation(client, case, **{"anonymise-reason": "赵大爷本人书面申请"})
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=case, move="anonymised")
    assert (event.actor, event.note) == (personas.street_staff, "已匿名本人书面申请")
    assert (event.from_state, event.to_state) == (case.state, case.state)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "居民个人信息已匿名化" in page and "赵大爷" not in page
