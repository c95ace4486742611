"""The meetings workflow takes typed inputs and checks them itself: another app (one that puts a
recurring problem on a session's agenda, say) calls it with no page and no form, and a rule
the page's form would have kept is kept all the same. Refused inputs change nothing."""

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import RoleKind
from accounts.scope import Scope
from cases.inputs import NewTask
from cases.models import CaseEvent, State, Task
from common.people import display_name
from grids.models import Contact, ContactKind
from meetings import workflow
from meetings.inputs import (
    Attendance,
    EmergencySession,
    Invitation,
    ItemDecision,
    NewMeeting,
    Rescheduling,
)
from meetings.models import AgendaItem, ItemStatus, Kind, Meeting, Participant
from tests.factories import CaseFactory, UserFactory, attendees, make_role
from tests.test_meetings import before_the_session, session_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(places):
    workflow.schedule_monthly_sessions(session_month(), [places.funan])
    return Meeting.objects.get(community=places.funan)


@pytest.fixture
def benches(places, personas):
    return CaseFactory(
        grid=places.fn1,
        description="金苑小区广场的连体桌椅破损",
        state=State.PROPOSED,
        owner=personas.officer_funan,
        created_at=before_the_session(),
    )


def held(officer, session, case):
    """The session open, with `case` on its agenda (under deliberation, 议)."""
    scope = Scope.for_user(officer)
    assert workflow.add_to_agenda(scope, officer, session.pk, [case.pk]) == 1
    Meeting.objects.filter(pk=session.pk).update(starts_at=timezone.now())
    workflow.open_meeting(scope, officer, session.pk)
    return scope, AgendaItem.objects.get(meeting=session, case=case)


def plan(**changes):
    values = {
        "discussion": "居民代表、物业共同讨论",
        "plan": "翻修连体桌椅",
        "votes_for": 9,
        "votes_against": 1,
        "responsible": "社区、物业",
    }
    return ItemDecision(**{**values, **changes})


def nothing_decided(case, item):
    case.refresh_from_db()
    item.refresh_from_db()
    assert case.state == State.DELIBERATING and item.status == ItemStatus.PENDING
    assert not Task.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, move="decide").exists()


def test_a_case_is_put_on_the_agenda_and_decided_with_its_tasks_without_a_page(
    personas, benches, session
):
    attendees(session)  # only those present vote
    officer = personas.officer_funan
    scope, item = held(officer, session, benches)
    due = timezone.localdate() + timedelta(days=7)
    task = NewTask(title="物业修桌椅", due_date=due, owner_user=officer)
    workflow.record_decision(scope, officer, session.pk, item.pk, plan(tasks=(task,)))
    benches.refresh_from_db()
    assert benches.state == State.DECIDED and benches.plan == "翻修连体桌椅"
    assert list(Task.objects.filter(case=benches).values_list("title", "due_date")) == [
        ("物业修桌椅", due)
    ]


def test_a_plan_the_vote_did_not_carry_is_refused_by_the_workflow_itself(
    personas, benches, session
):
    attendees(session)  # only those present vote
    officer = personas.officer_funan
    scope, item = held(officer, session, benches)
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.record_decision(
            scope, officer, session.pk, item.pk, plan(votes_for=3, votes_against=3)
        )
    assert "再协商" in refused.value.errors["__all__"]
    nothing_decided(benches, item)


def test_a_refused_task_names_its_row_and_takes_the_decision_back(
    places, personas, benches, session
):
    attendees(session)  # only those present vote
    officer = personas.officer_funan
    stranger = UserFactory(username="worker_yy1")
    make_role(stranger, RoleKind.GRID_WORKER, places.yy1)  # a grid of another street
    scope, item = held(officer, session, benches)
    due = timezone.localdate() + timedelta(days=7)
    tasks = (
        NewTask(title="物业修桌椅", due_date=due, owner_user=officer),
        NewTask(title="外街道网格员帮忙", due_date=due, owner_user=stranger),
    )
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.record_decision(scope, officer, session.pk, item.pk, plan(tasks=tasks))
    assert set(refused.value.errors) == {"task1-owner_user"}
    nothing_decided(benches, item)


def test_form_data_is_not_an_input(personas, session):
    officer = personas.officer_funan
    posted = QueryDict("invite-kinds=grid_worker")
    with pytest.raises(TypeError):
        workflow.invite(Scope.for_user(officer), officer, session.pk, posted)
    assert not Participant.objects.exists()


def test_an_outside_body_of_another_street_is_not_invited(places, personas, session):
    officer = personas.officer_funan
    theirs = Contact.objects.create(
        street=places.other_street, kind=ContactKind.OUTSIDE_BODY, name="外街道水务"
    )
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.invite(
            Scope.for_user(officer), officer, session.pk, Invitation(outside_bodies=(theirs,))
        )
    assert set(refused.value.errors) == {"outside_bodies"}
    assert not Participant.objects.exists()


def test_an_emergency_session_is_today_or_tomorrow(places, personas):
    officer = personas.officer_chunguang
    urgent = CaseFactory(grid=places.cg1, urgency="urgent", state=State.ACCEPTED)
    in_three_days = EmergencySession(
        starts_at=timezone.now() + timedelta(days=3), venue_kind="on_site"
    )
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.call_emergency_session(Scope.for_user(officer), officer, urgent.pk, in_three_days)
    assert set(refused.value.errors) == {"day"}
    urgent.refresh_from_db()
    assert urgent.state == State.ACCEPTED and not Meeting.objects.exists()


def test_attendance_counts_only_the_meetings_own_people(personas, session):
    officer = personas.officer_funan
    came = Participant.objects.create(meeting=session, kind="guest", name="张代表")
    elsewhere = Participant.objects.create(
        meeting=Meeting.objects.create(
            street=session.street, community=session.community, starts_at=timezone.now()
        ),
        kind="guest",
        name="李代表",
    )
    ticked = Attendance(attended=frozenset({came.pk, elsewhere.pk}), named=frozenset({came.pk}))
    workflow.record_attendance(Scope.for_user(officer), officer, session.pk, ticked)
    assert list(Participant.objects.filter(attended=True).values_list("name", flat=True)) == [
        "张代表"
    ]


# The pages turn what was typed into those inputs --------------------------------------------
def test_ticks_that_are_not_rows_of_the_page_are_refused_with_a_message(personas, login, session):
    Participant.objects.create(meeting=session, kind="guest", name="张代表")
    response = login(personas.officer_funan).post(
        reverse("meetings:action", args=[session.pk, "attendance"]), {"attended": ["abc"]}
    )
    assert response.status_code == 400 and "请只勾选本页列出的行" in response.content.decode()
    assert not Participant.objects.filter(attended=True).exists()


def test_an_officer_schedules_an_emergency_meeting_by_hand(places, personas, login):
    officer = personas.officer_funan
    starts = (timezone.localtime() + timedelta(days=2)).replace(hour=19, minute=0)
    data = {
        "kind": "emergency",
        "community": places.funan.pk,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "venue_kind": "pavilion",
        "address": "金苑小区议事亭",
        "host": officer.pk,
    }
    client = login(officer)
    assert client.post(reverse("meetings:new"), {**data, "kind": "weekly"}).status_code == 400
    assert not Meeting.objects.exists()
    response = client.post(reverse("meetings:new"), data)
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert (meeting.kind, meeting.month, meeting.host) == (Kind.EMERGENCY, None, officer)
    # Its history says once that it was scheduled, and by whom.
    page = client.get(response["Location"]).content.decode()
    history = page.split('data-testid="meeting-history"')[1].split("</section>")[0]
    assert history.count("已安排") == 1 and display_name(officer) in history


def test_a_host_from_another_community_is_refused_beside_the_field(places, personas, login):
    staff = personas.street_staff  # runs both communities' meetings, so both are offered
    starts = (timezone.localtime() + timedelta(days=2)).replace(hour=19, minute=0)
    data = {
        "community": places.funan.pk,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "venue_kind": "room",
        "host": personas.officer_chunguang.pk,
    }
    response = login(staff).post(reverse("meetings:new"), data)
    assert response.status_code == 400
    assert "主持人必须是本社区的工作人员" in response.content.decode()
    assert not Meeting.objects.exists()


def test_the_workflow_itself_refuses_a_meeting_in_the_past(places, personas):
    officer = personas.officer_funan
    long_ago = NewMeeting(
        community=places.funan,
        starts_at=timezone.now() - timedelta(days=3),
        venue_kind="room",
        host=officer,
    )
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.create_meeting(Scope.for_user(officer), officer, long_ago)
    assert set(refused.value.errors) == {"starts_at"}
    assert not Meeting.objects.exists()


def test_a_meeting_moved_to_earlier_today_is_kept_and_one_before_is_refused_saying_so(
    places, personas
):
    """Entered tonight, a meeting held this afternoon keeps its time; one moved to yesterday
    morning is refused with the rule itself, not a plain "not in the past"."""
    officer = personas.officer_funan
    scope = Scope.for_user(officer)
    session = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind=Kind.EMERGENCY,
        starts_at=timezone.now() + timedelta(days=1),
        venue_kind="room",
        host=officer,
    )

    def move(hours_ago):
        return Rescheduling(
            starts_at=timezone.now() - timedelta(hours=hours_ago),
            venue_kind="room",
            host=officer,
            version=Meeting.objects.get(pk=session.pk).version,
        )

    workflow.change_meeting(scope, officer, session.pk, move(8))
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.change_meeting(scope, officer, session.pk, move(30))
    with translation.override("zh-hans"):
        assert str(refused.value.errors["starts_at"]) == (
            "会议时间最早可为 12 小时前（当天已开的会，当晚补录）；更早的时间不能安排。"
        )


def test_a_notice_that_names_the_resident_who_raised_the_case_is_refused(
    personas, benches, session
):
    """The notice is posted for every resident: 王大妈, who reported the benches, is not named
    in it; the officer is told why, and nothing is decided."""
    benches.resident_name = "王大妈"
    benches.save(update_fields=["resident_name"])
    attendees(session)
    officer = personas.officer_funan
    scope, item = held(officer, session, benches)
    wording = "经协商决定翻修桌椅，联系人 王大妈 13912345678。"
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.record_decision(scope, officer, session.pk, item.pk, plan(public_wording=wording))
    with translation.override("zh-hans"):
        assert str(refused.value.errors["public_wording"]) == (
            "公示面向全体居民：请不要写反映问题的居民姓名（王大妈）。"
        )
    nothing_decided(benches, item)
    workflow.record_decision(
        scope, officer, session.pk, item.pk, plan(public_wording="经协商决定翻修桌椅。")
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.DECIDED


# The monthly session's day ------------------------------------------------------------------
def month_ahead(rest_day_17th: bool):
    """The first month from next month whose 17th is a working day, or a Saturday whose
    Friday before and Monday after are working days."""
    from meetings.monthly import is_rest_day

    month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    while True:
        day = month.replace(day=17)
        weekend = day.weekday() == 5 and not any(
            is_rest_day(day + timedelta(days=n)) for n in (-1, 2)
        )
        if weekend if rest_day_17th else not is_rest_day(day):
            return month
        month = (month + timedelta(days=32)).replace(day=1)


def new_session_data(places, officer, day, hour="09:30"):
    return {
        "kind": "monthly",
        "community": places.funan.pk,
        "starts_at": f"{day:%Y-%m-%d}T{hour}",
        "venue_kind": "room",
        "host": officer.pk,
    }


def test_a_monthly_session_is_scheduled_on_the_17th_and_no_other_day(places, personas, login):
    """「每月17日固定协商」 on the 8th is refused, saying which day it is held on; on the 17th,
    at whatever hour, it is scheduled."""
    officer = personas.officer_funan
    month = month_ahead(rest_day_17th=False)
    client = login(officer)
    response = client.post(
        reverse("meetings:new"), new_session_data(places, officer, month.replace(day=8))
    )
    assert response.status_code == 400
    assert (
        f"每月固定协商会在当月17日（{month:%Y-%m}-17）召开：时间可以调整，日期不能改。"
        in response.content.decode()
    )
    assert not Meeting.objects.exists()
    seventeenth = month.replace(day=17)
    response = client.post(
        reverse("meetings:new"), new_session_data(places, officer, seventeenth, "14:00")
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert timezone.localtime(meeting.starts_at).date() == seventeenth and meeting.month == month


def test_a_monthly_session_moves_within_its_day_or_beside_a_17th_that_is_a_rest_day(
    places, personas, login
):
    """Moving it keeps the rule the schedule follows: the same day at another hour; when the
    17th is a weekend, the Friday before or the Monday after; never another day."""
    officer = personas.officer_funan
    scope = Scope.for_user(officer)
    month = month_ahead(rest_day_17th=True)
    workflow.schedule_monthly_sessions(month, [places.funan])
    session = Meeting.objects.get()
    saturday = month.replace(day=17)
    friday, monday = saturday - timedelta(days=1), saturday + timedelta(days=2)

    def move(day, hour=15):
        moment = timezone.make_aware(datetime.combine(day, time(hour, 0)))
        version = Meeting.objects.get(pk=session.pk).version
        workflow.change_meeting(
            scope, officer, session.pk, Rescheduling(moment, "room", officer, version)
        )

    for day in (saturday, friday, monday):
        move(day)
        assert timezone.localtime(Meeting.objects.get().starts_at).date() == day
    for day in (saturday + timedelta(days=3), month.replace(day=8), saturday + timedelta(days=31)):
        with pytest.raises(workflow.MoveRefused) as refused:
            move(day)
        assert str(refused.value.errors["starts_at"]) == (
            f"每月固定协商会在当月17日（{saturday}）召开；这天是周末或节假日，也可以改在前后最近"
            f"的工作日（{friday} 或 {monday}）召开。"
        )
    assert timezone.localtime(Meeting.objects.get().starts_at).date() == monday
    # The page says so beside the field, and keeps what the officer typed.
    other_day = saturday + timedelta(days=3)
    data = {
        "starts_at": f"{other_day:%Y-%m-%d}T09:30",
        "venue_kind": "room",
        "host": officer.pk,
        "version": str(Meeting.objects.get().version),
    }
    response = login(officer).post(reverse("meetings:edit", args=[session.pk]), data)
    assert response.status_code == 400 and "也可以改在前后最近的工作日" in response.content.decode()
    assert timezone.localtime(Meeting.objects.get().starts_at).date() == monday


def test_a_name_ticked_for_the_notice_beside_someone_not_present_is_refused_by_name(
    personas, login, session
):
    """公示署名 is ticked for 谭兰 but 出席 is not: saying nothing would drop her tick."""
    came = Participant.objects.create(meeting=session, kind="guest", name="王工程师")
    absent = Participant.objects.create(meeting=session, kind="resident_rep", name="谭兰")
    response = login(personas.officer_funan).post(
        reverse("meetings:action", args=[session.pk, "attendance"]),
        {"attended": [came.pk], "named": [came.pk, absent.pk]},
    )
    page = response.content.decode()
    assert response.status_code in (400, 409)
    assert "谭兰勾选了“公示署名”，但没有勾选“出席”" in page
    assert not Participant.objects.filter(attended=True).exists()  # nothing half-saved


def test_a_guest_who_came_and_agreed_is_named_on_the_notice(personas, session):
    """A guest ticked 出席 and 公示署名 (the water company's engineer) is named like anyone."""
    from meetings.notices import notice_context

    officer = personas.officer_funan
    guest = Participant.objects.create(
        meeting=session, kind="guest", name="王工程师", organisation="自来水公司"
    )
    ticked = Attendance(attended=frozenset({guest.pk}), named=frozenset({guest.pk}))
    workflow.record_attendance(Scope.for_user(officer), officer, session.pk, ticked)
    item = SimpleNamespace(
        meeting=session,
        case=CaseFactory(grid=session.community.grids.first()),
        public_wording="",
        plan="",
        responsible="",
        decided_at=None,
    )
    assert notice_context(item)["named"] == ["王工程师"]
