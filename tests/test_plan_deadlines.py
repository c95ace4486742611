"""Deadlines that follow the plan: a decided case is due when its tasks are, an urgent case
within the street's hours, and a meeting opens shortly before it starts, not hours before."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.demo import street_staff_group
from accounts.scope import Scope
from cases import intake, workflow
from cases.inputs import Decision, NewTask
from cases.models import Case, State
from meetings.models import AgendaItem, Meeting, MeetingChange, MeetingState
from reports.figures import overdue_cases
from reports.periods import Period
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def local(day, hour=0, minute=0, second=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


def overdue_list(client):
    return client.get(reverse("cases:list"), {"queue": "overdue"}).content.decode()


# 决: the case is due when its plan is --------------------------------------------------------
@pytest.fixture
def deliberating(places, personas):
    """Accepted with a deadline tomorrow, now under deliberation in a meeting."""
    return CaseFactory(
        grid=places.cg1,
        state=State.DELIBERATING,
        owner=personas.officer_chunguang,
        response_deadline=timezone.now() + timedelta(days=1),
    )


def decide_with_tasks(officer, case, *due_days):
    scope, link = Scope.for_user(officer), {"meeting": 0}
    workflow.perform(scope, officer, case.pk, "decide", Decision(plan="换管道"), meeting=link)
    for days in due_days:
        due = timezone.localdate() + timedelta(days=days)
        workflow.add_task(scope, officer, case.pk, NewTask("换管道", due, officer), meeting=link)
    case.refresh_from_db()
    return case


@pytest.mark.calendar
def test_a_decided_case_with_tasks_due_in_ten_days_is_not_overdue_tomorrow(
    places, personas, login, deliberating
):
    officer = personas.officer_chunguang
    case = decide_with_tasks(officer, deliberating, 3, 10)
    today = timezone.localdate()
    assert case.response_deadline == local(today + timedelta(days=10), 23, 59, 59)
    street = Q(street_id=places.street.pk)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        client = login(officer)
        assert case.tracking_code not in overdue_list(client)
        overdue_page = client.get(reverse("notifications:overdue")).content.decode()
        assert case.tracking_code not in overdue_page
        assert not workflow.is_overdue(case)
        period = Period(local(today), local(today + timedelta(days=3)), None, "")
        assert not overdue_cases(street, period).exists()
    # Past the plan's last day it is overdue, on every list.
    with time_machine.travel(local(today + timedelta(days=11), 9), tick=False):
        client = login(officer)
        assert case.tracking_code in overdue_list(client)
        assert case.tracking_code in client.get(reverse("notifications:overdue")).content.decode()
    page = login(officer).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f"{today + timedelta(days=10):%Y-%m-%d} 23:59" in page and "按计划" in page


@pytest.mark.calendar
def test_a_later_task_moves_the_plans_deadline(personas, login, deliberating):
    officer = personas.officer_chunguang
    case = decide_with_tasks(officer, deliberating, 5)
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = login(officer).post(
        reverse("cases:task_add", args=[case.pk]),
        {"task-title": "复查", "task-owner_user": officer.pk, "task-due_date": due},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert timezone.localtime(case.response_deadline).date().isoformat() == due
    history = case.events.filter(move="task_added").last()
    assert datetime.fromisoformat(history.details["response_deadline"]) == case.response_deadline


# Urgent cases: the street's hours ------------------------------------------------------------
LOGGED = datetime(2026, 11, 25, 9, 0)  # a Wednesday


def log_urgent(places, personas):
    with time_machine.travel(timezone.make_aware(LOGGED), tick=False):
        case = CaseFactory.build(grid=places.cg1, urgency="urgent", created_by=personas.worker_cg1)
        return intake.save_new_case(case, [], personas.worker_cg1)


@pytest.mark.pinned("2026-11-25T12:50+08:00")  # the officer looks in just before 13:00
def test_an_urgent_case_logged_at_nine_is_due_at_one_and_overdue_at_one_past(
    places, personas, login
):
    case = log_urgent(places, personas)
    assert timezone.localtime(case.response_deadline).strftime("%Y-%m-%d %H:%M") == (
        "2026-11-25 13:00"
    )
    client = login(personas.officer_chunguang)
    with time_machine.travel(timezone.make_aware(LOGGED.replace(hour=12, minute=59)), tick=False):
        assert case.tracking_code not in overdue_list(client)
    with time_machine.travel(timezone.make_aware(LOGGED.replace(hour=13, minute=1)), tick=False):
        assert case.tracking_code in overdue_list(client)
    routine = CaseFactory.build(grid=places.cg1, urgency="routine")
    assert intake.first_response_deadline(
        timezone.make_aware(LOGGED), places.street, routine.urgency
    ) == timezone.make_aware(datetime(2026, 11, 26, 9, 0))  # one working day


def test_street_staff_set_their_streets_urgent_hours_in_the_admin(places, personas, login):
    staff = personas.street_staff
    staff.is_staff = True
    staff.save()
    staff.groups.add(street_staff_group())
    client = login(staff)
    url = reverse("admin:grids_street_change", args=[places.street.pk])
    assert "urgent_response_hours" in client.get(url).content.decode()
    data = {
        "name": places.street.name,
        "district": places.street.district,
        "response_working_days": 1,
        "follow_up_working_days": 7,
        "retention_months": 36,
        "urgent_response_hours": 2,
        "recurring_window_days": 90,
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, {**data, "urgent_response_hours": 0}).status_code == 200  # refused
    places.street.refresh_from_db()
    assert places.street.urgent_response_hours == 2
    case = log_urgent(places, personas)
    assert timezone.localtime(case.response_deadline).strftime("%H:%M") == "11:00"
    other = reverse("admin:grids_street_change", args=[places.other_street.pk])
    assert client.get(other).status_code == 404


# Meetings open shortly before they start ------------------------------------------------------
@pytest.fixture
def meeting_in_two_hours(places, personas):
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        starts_at=timezone.now() + timedelta(hours=2),
        host=personas.officer_chunguang,
        address="会议室",
    )
    case = CaseFactory(grid=places.cg1, state=State.PROPOSED, owner=personas.officer_chunguang)
    AgendaItem.objects.create(meeting=meeting, case=case, position=1)
    return meeting


def test_opening_a_meeting_two_hours_early_is_refused_and_changes_nothing(
    personas, login, meeting_in_two_hours
):
    meeting = meeting_in_two_hours
    client = login(personas.officer_chunguang)
    url = reverse("meetings:action", args=[meeting.pk, "open"])
    response = client.post(url)
    page = response.content.decode()
    start = timezone.localtime(meeting.starts_at)
    opens = start - timedelta(minutes=30)
    assert response.status_code == 409
    assert f"本次会议 {start:%Y-%m-%d %H:%M} 开始，{opens:%H:%M} 起方可开会，不能提前。" in page
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.SCHEDULED and meeting.held_at is None
    assert Case.objects.get().state == State.PROPOSED
    assert not MeetingChange.objects.filter(what="opened").exists()
    detail = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="open-meeting"' not in detail and "起方可开会" in detail
    # Half an hour before, it opens and its cases go to 议.
    with time_machine.travel(opens + timedelta(seconds=1), tick=False):
        assert login(personas.officer_chunguang).post(url).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and Case.objects.get().state == State.DELIBERATING


@pytest.mark.calendar
def test_a_meeting_tomorrow_cannot_be_opened_today(personas, login, places):
    tomorrow = local(timezone.localdate() + timedelta(days=1), 9, 30)
    meeting = Meeting.objects.create(
        street=places.street, community=places.chunguang, starts_at=tomorrow
    )
    response = login(personas.officer_chunguang).post(
        reverse("meetings:action", args=[meeting.pk, "open"])
    )
    assert response.status_code == 409 and "不能提前" in response.content.decode()
    assert Meeting.objects.get().state == MeetingState.SCHEDULED
