"""议事协商会: monthly and emergency sessions, the agenda and 四步, minutes, notices, access."""

import re
import threading
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from cases.models import CaseEvent, State, Task
from grids.models import Contact, ContactKind
from meetings import workflow
from meetings.models import AgendaItem, Kind, Meeting, MeetingChange, MeetingState, Participant
from meetings.tasks import create_monthly_sessions
from tests.factories import CaseFactory, _category, attendees

pytestmark = pytest.mark.django_db


def session_month():
    """A month whose 17th has come, so its session may be opened today."""
    today = timezone.localdate()
    month = today.replace(day=1)
    return month if today.day >= 17 else (month - timedelta(days=1)).replace(day=1)


def before_the_session():
    """When the session's cases were logged: before it sat (a case logged after a meeting
    can't be on its agenda), on the 1st of its month."""
    return timezone.make_aware(datetime.combine(session_month(), time(8, 0)))


@pytest.fixture
def benches(places, personas):
    """The broken benches of 金苑小区, accepted and proposed (提) in 富南社区."""
    return CaseFactory(
        grid=places.fn1,
        building=places.buildings[places.fn1],
        category=_category("设施维修"),
        description="金苑小区广场的连体桌椅破损，联系人电话13812345678",
        state=State.PROPOSED,
        owner=personas.officer_funan,
        created_at=before_the_session(),
    )


@pytest.fixture
def session(places, personas):
    workflow.schedule_monthly_sessions(session_month(), [places.funan])
    return Meeting.objects.get(community=places.funan)


def url(name, *args):
    return reverse(f"meetings:{name}", args=args)


def decision(item, **extra):
    p = f"item{item.pk}"
    data = {
        f"{p}-discussion": "居民代表、物业、党员志愿者共同讨论",
        f"{p}-plan": "翻修连体桌椅+党员志愿者维修队+物业“每日双巡”",
        f"{p}-votes_for": "12",
        f"{p}-votes_against": "1",
        f"{p}-votes_abstain": "2",
        f"{p}-responsible": "社区党委、物业",
        f"{p}-public_wording": "决定翻修广场连体桌椅，物业每日两次巡查。",
    }
    data.update({f"{p}-{k}": v for k, v in extra.items()})
    return data


# Monthly sessions ------------------------------------------------------------------------
@pytest.mark.calendar
def test_the_monthly_task_creates_one_session_per_community_however_often_it_runs(places):
    first = create_monthly_sessions()
    again = create_monthly_sessions()
    communities = 3  # 春光, 富南 and 友谊
    assert first == communities * len(workflow.months_to_schedule(timezone.localdate()))
    assert again == 0
    for meeting in Meeting.objects.all():
        assert timezone.localtime(meeting.starts_at).day == 17 and meeting.kind == Kind.MONTHLY


@pytest.mark.django_db(transaction=True)
def test_two_machines_scheduling_at_once_create_one_session(places):
    month = date(2027, 3, 1)
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            workflow.schedule_monthly_sessions(month)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Meeting.objects.filter(month=month).count() == 3


@pytest.mark.calendar
def test_a_17th_on_a_weekend_keeps_its_date_and_is_marked(places, personas, login):
    workflow.schedule_monthly_sessions(date(2027, 4, 1), [places.funan])  # Saturday 2027-04-17
    meeting = Meeting.objects.get()
    assert timezone.localtime(meeting.starts_at).date() == date(2027, 4, 17)
    page = login(personas.officer_funan).get(url("detail", meeting.pk)).content.decode()
    assert "周末或节假日" in page


# The agenda and the 四步 -----------------------------------------------------------------
def test_the_benches_case_is_offered_decided_in_the_session_and_noticed(
    places, personas, login, benches, session
):
    client = login(personas.officer_funan)
    page = client.get(url("detail", session.pk)).content.decode()
    assert benches.tracking_code in page and "待协商的诉求" in page
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    attendees(session)  # only those present vote
    benches.refresh_from_db()
    assert benches.state == State.DELIBERATING
    item = AgendaItem.objects.get(meeting=session, case=benches)
    volunteers = Contact.objects.create(
        street=places.street,
        kind=ContactKind.OUTSIDE_BODY,
        name="李师傅",
        phone="0472-5123456",
        organisation="党员志愿者维修队",
    )
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    data = decision(
        item,
        **{
            "task0-title": "党员志愿者维修队翻修桌椅",
            "task0-owner_contact": volunteers.pk,
            "task0-due_date": due,
            "task1-title": "物业建立“每日双巡”",
            "task1-owner_user": personas.officer_funan.pk,
            "task1-due_date": due,
        },
    )
    response = client.post(url("item_action", session.pk, item.pk, "decide"), data)
    assert response.status_code == 302
    benches.refresh_from_db()
    assert benches.state == State.DECIDED and benches.plan.startswith("翻修连体桌椅")
    assert Task.objects.filter(case=benches).count() == 2
    decide = CaseEvent.objects.get(case=benches, move="decide")
    assert decide.details["meeting"] == session.pk
    case_page = client.get(reverse("cases:detail", args=[benches.pk])).content.decode()
    assert url("detail", session.pk) in case_page
    # The notice: worded for residents, no phone number, only opted-in names.
    came = Participant.objects.create(
        meeting=session, kind="resident_rep", name="张代表", attended=True, named_in_public=True
    )
    Participant.objects.create(
        meeting=session, kind="resident_rep", name="王不愿署名", attended=True
    )
    notice = client.get(url("notice", session.pk, item.pk)).content.decode()
    assert "议事协商结果公示" in notice and "物业每日两次巡查" in notice
    assert "13812345678" not in notice and "0472-5123456" not in notice
    assert came.name in notice and "王不愿署名" not in notice
    # Who took part, by what they are: nobody reads the attendance as one organisation's.
    assert "共 17 人参加：居民代表 17 人。" in notice
    # Until when residents may object: seven days from the decision's.
    first, last = timezone.localdate(), timezone.localdate() + timedelta(days=6)
    day = "{0.year}年{0.month}月{0.day}日".format
    period = f"公示期：{day(first)}至{day(last)}。"
    assert period in re.sub(r"<[^>]+>", "", notice)
    client.cookies["django_language"] = "en"
    english = client.get(url("notice", session.pk, item.pk)).content.decode()
    with translation.override("en"):
        said = f"This notice runs from {date_format(first)} to {date_format(last)}."
    assert said in re.sub(r"<[^>]+>", "", english)


def test_votes_cannot_outnumber_those_present(personas, login, benches, session):
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    item = AgendaItem.objects.get()
    decide = url("item_action", session.pk, item.pk, "decide")
    response = client.post(decide, decision(item))
    assert response.status_code == 400
    assert "请先登记到会人员再表决" in response.content.decode()
    attendees(session, 10)
    Participant.objects.create(
        meeting=session,
        kind="property_manager",
        name="李经理",
        organisation="春光小区物业",
        attended=True,
    )
    # 11 present: 15 for, 1 against, 1 abstaining cannot be.
    response = client.post(
        decide, decision(item, votes_for="15", votes_against="1", votes_abstain="1")
    )
    assert response.status_code == 400
    said = response.content.decode().count("到会 11 人：赞成、反对、弃权票数加起来不能超过 11 票。")
    assert said == 1  # once, not under each of the three counts
    benches.refresh_from_db()
    assert benches.state == State.DELIBERATING and AgendaItem.objects.get().status == "pending"
    response = client.post(
        decide, decision(item, votes_for="9", votes_against="1", votes_abstain="1")
    )
    assert response.status_code == 302
    notice = client.get(url("notice", session.pk, item.pk)).content.decode()
    assert "共 11 人参加：居民代表 10 人、物业 1 人（春光小区物业）。" in notice
    assert "赞成 9 票" in notice


def test_attendance_cannot_drop_below_the_votes_of_a_recorded_decision(
    personas, login, benches, session
):
    """Whichever is recorded second, the notice's numbers agree: 3 for, 1 against and 1
    abstaining with 5 present, then unticking 3 of them, is refused, naming the decision and
    its votes, and the notice still says 5 took part."""
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    present = attendees(session, 5)
    item = AgendaItem.objects.get()
    decided = client.post(
        url("item_action", session.pk, item.pk, "decide"),
        decision(item, votes_for="3", votes_against="1", votes_abstain="1"),
    )
    assert decided.status_code == 302
    ticked = {"attended": [p.pk for p in present[:2]], "named": [present[0].pk]}
    response = client.post(url("action", session.pk, "attendance"), ticked)
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        f"{benches.tracking_code} 的决定已记录 5 票（赞成 3、反对 1、弃权 1）："
        "到会人数不能少于 5 人，现在只勾选了 2 人。"
    ) in page
    assert "出席情况已记录" not in page
    assert Participant.objects.filter(meeting=session, attended=True).count() == 5
    assert not Participant.objects.filter(named_in_public=True).exists()  # nothing half-saved
    notice = client.get(url("notice", session.pk, item.pk)).content.decode()
    assert "赞成 3 票，反对 1 票，弃权 1 票" in notice and "共 5 人参加" in notice
    # Ticking a sixth person who came is fine: the votes still fit.
    guest = Participant.objects.create(meeting=session, kind="guest", name="李师傅")
    ticked = {"attended": [p.pk for p in present] + [guest.pk]}
    response = client.post(url("action", session.pk, "attendance"), ticked, follow=True)
    assert "出席情况已记录" in response.content.decode()
    assert "共 6 人参加" in client.get(url("notice", session.pk, item.pk)).content.decode()


def test_the_notice_masks_the_resident_and_reads_in_residents_words(
    places, personas, login, benches, session
):
    benches.resident_name = "王大妈"
    benches.description = "王大妈反映：广场的连体桌椅破损，联系电话13812345678"
    benches.save()
    leader = places.leaders[places.fn1]
    item = AgendaItem.objects.create(
        meeting=session,
        case=benches,
        status="decided",
        plan="翻修",
        responsible="物业、王大妈",
        public_wording="经协商，王大妈反映的桌椅由物业翻修，李不愿署名协助。",
        decided_at=timezone.now(),
    )
    Participant.objects.create(
        meeting=session, kind="resident_rep", name="李不愿署名", attended=True
    )
    Participant.objects.create(
        meeting=session, kind="resident_rep", name="张代表", attended=True, named_in_public=True
    )
    Task.objects.create(
        case=benches,
        title="王大妈家门口的桌椅先修",
        owner_contact=leader,
        due_date=timezone.localdate() + timedelta(days=7),
        created_by=personas.officer_funan,
    )
    response = login(personas.officer_funan).get(url("notice", session.pk, item.pk))
    article = re.search(r"<article.*?</article>", response.content.decode(), re.S).group(0)
    text = re.sub(r"<[^>]+>", "", article)
    assert "王大妈" not in text and "王**反映" in text and "反映人：王**" in text
    assert "李不愿署名" not in text and "李**协助" in text and "张代表" in text
    assert "13812345678" not in text
    assert "（单元长，" in text  # the unit leader by what they are, not their name
    # Residents' words: no state codes, no grid ids, no English, dates as people write them.
    assert not re.search(r"[A-Za-z]", text), text
    assert f"{timezone.localdate().year}年" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"votes_for": "1", "votes_against": "3"}, "赞成票未多于反对票"),
        ({"plan": ""}, "这个字段是必填项"),
        ({"votes_for": "-1"}, "“赞成”不能小于 0。"),
        ({"task0-title": "修桌椅"}, "请选择一个负责人"),
        (
            {"task0-title": "修桌椅", "task0-owner_user": "1", "task0-due_date": "2001-01-01"},
            "不能早于今天",
        ),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(
    personas, login, benches, session, change, message
):
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    attendees(session)  # only those present vote
    item = AgendaItem.objects.get()
    if "task0-owner_user" in change:
        change["task0-owner_user"] = str(personas.officer_funan.pk)
    response = client.post(
        url("item_action", session.pk, item.pk, "decide"), decision(item, **change)
    )
    assert response.status_code == 400 and message in response.content.decode()
    benches.refresh_from_db()
    assert benches.state == State.DELIBERATING and not Task.objects.exists()
    assert AgendaItem.objects.get().status == "pending"


@pytest.mark.calendar
def test_a_deferred_item_goes_to_the_next_session(places, personas, login, benches, session):
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    item = AgendaItem.objects.get()
    response = client.post(
        url("item_action", session.pk, item.pk, "defer"),
        {f"defer{item.pk}-discussion": "维修资金未落实，下月再议"},
    )
    assert response.status_code == 302
    following = AgendaItem.objects.exclude(meeting=session).get(case=benches).meeting
    assert following.starts_at > session.starts_at and following.kind == Kind.MONTHLY
    benches.refresh_from_db()
    assert benches.state == State.DELIBERATING


def test_a_deferred_case_invites_its_grid_worker_to_the_next_session(
    places, personas, login, benches, session
):
    """Told of the next session, and invited to it: his attendance there can be recorded."""
    from accounts.models import RoleKind
    from notifications.models import Notification
    from tests.factories import UserFactory, make_role

    worker = UserFactory(username="worker_fn1", first_name="富南网格员")
    make_role(worker, RoleKind.GRID_WORKER, places.fn1)
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    client.post(url("action", session.pk, "open"))
    item = AgendaItem.objects.get()
    client.post(
        url("item_action", session.pk, item.pk, "defer"),
        {f"defer{item.pk}-discussion": "维修资金未落实，下月再议"},
    )
    following = AgendaItem.objects.exclude(meeting=session).get(case=benches).meeting
    assert following.participants.filter(user=worker, kind="grid_worker").exists()
    # One notice, his invitation naming the case.
    [invited] = Notification.objects.filter(object_key=f"meeting:{following.pk}", user=worker)
    assert invited.title.startswith("参会邀请") and benches.tracking_code in invited.title
    page = client.get(url("detail", following.pk)).content.decode()
    assert "富南网格员" in page and 'data-testid="not-notified"' not in page


def test_only_the_host_approves_and_only_when_every_item_is_settled(
    places, personas, login, benches, session
):
    from accounts.models import RoleKind
    from tests.factories import UserFactory, make_role

    colleague = UserFactory(username="officer_funan_2")
    make_role(colleague, RoleKind.COMMUNITY_OFFICER, places.funan)
    host = login(personas.officer_funan)
    host.post(url("action", session.pk, "agenda"), {"cases": [benches.pk]})
    host.post(url("action", session.pk, "open"))
    attendees(session)  # only those present vote
    host.post(
        url("action", session.pk, "minutes"),
        {"minutes-minutes": "会议纪要草稿", "minutes-version": "0"},
    )
    response = host.post(url("action", session.pk, "approve"))
    assert response.status_code == 409 and "每个议程事项" in response.content.decode()
    item = AgendaItem.objects.get()
    host.post(url("item_action", session.pk, item.pk, "decide"), decision(item))
    other = login(colleague).post(url("action", session.pk, "approve"))
    assert other.status_code == 409 and "只有主持人" in other.content.decode()
    assert (
        login(personas.officer_funan).post(url("action", session.pk, "approve")).status_code == 302
    )
    assert login(personas.officer_funan).post(url("action", session.pk, "close")).status_code == 302
    session.refresh_from_db()
    assert session.state == MeetingState.CLOSED
    page = host.get(url("detail", session.pk)).content.decode()
    assert "会议总结" in page and benches.tracking_code in page


def test_moving_a_meeting_is_recorded_and_a_held_one_cannot_move(places, personas, login):
    # Next month's session, moved to the evening of its day and to the pavilion.
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    workflow.schedule_monthly_sessions(next_month, [places.funan])
    session = Meeting.objects.get(month=next_month)
    client = login(personas.officer_funan)
    later = timezone.localtime(session.starts_at).replace(hour=19, minute=0)
    data = {
        "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
        "venue_kind": "pavilion",
        "address": "金苑小区议事亭",
        "host": personas.officer_funan.pk,
        "version": "0",
    }
    assert client.post(url("edit", session.pk), data).status_code == 302
    change = MeetingChange.objects.get(what="moved")
    assert change.details["after"]["venue"] == "楼院议事亭"
    assert "调整时间地点" in client.get(url("detail", session.pk)).content.decode()
    client.post(url("action", session.pk, "cancel"), {"cancel-reason": ""})
    assert Meeting.objects.get().state == MeetingState.SCHEDULED
    Meeting.objects.filter(pk=session.pk).update(state=MeetingState.HELD)
    response = client.post(url("edit", session.pk), data, follow=True)
    assert "不能调整" in response.content.decode()


@pytest.mark.calendar
def test_a_meeting_in_the_future_cannot_be_opened(places, personas, login):
    workflow.schedule_monthly_sessions(date(2030, 5, 1), [places.funan])
    meeting = Meeting.objects.get()
    response = login(personas.officer_funan).post(url("action", meeting.pk, "open"))
    assert response.status_code == 409 and "不能提前" in response.content.decode()


# Emergency sessions ----------------------------------------------------------------------
@pytest.mark.calendar
def test_an_urgent_case_gets_an_emergency_session_today_with_its_people(places, personas, login):
    unit = places.leaders[places.cg1].unit
    pipe = CaseFactory(
        grid=places.cg1,
        building=unit.building,
        unit=unit,
        urgency="urgent",
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
    )
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:detail", args=[pipe.pk])).content.decode()
    assert "召集紧急协商会" in page
    now = timezone.localtime()
    response = client.post(
        url("emergency", pipe.pk),
        {
            "emergency-day": "today",
            "emergency-at": now.strftime("%H:%M"),
            "emergency-venue_kind": "on_site",
            "emergency-address": "1号楼下",
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == url("detail", meeting.pk)
    assert (
        meeting.kind == Kind.EMERGENCY
        and timezone.localtime(meeting.starts_at).date() == now.date()
    )
    pipe.refresh_from_db()
    assert pipe.state == State.PROPOSED and AgendaItem.objects.get().case == pipe
    people = set(Participant.objects.values_list("name", flat=True))
    assert places.leaders[places.cg1].name in people and personas.worker_cg1.first_name in people
    assert not Participant.objects.filter(notified_at__isnull=True).exists()
    assert client.post(url("action", meeting.pk, "open")).status_code == 302
    pipe.refresh_from_db()
    assert pipe.state == State.DELIBERATING


def test_a_routine_case_gets_no_emergency_session(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.ACCEPTED)
    response = login(personas.officer_chunguang).post(
        url("emergency", case.pk), {"emergency-day": "today", "emergency-at": "23:59"}, follow=True
    )
    assert "紧急协商只用于紧急诉求" in response.content.decode()
    assert not Meeting.objects.exists()


# Access ---------------------------------------------------------------------------------
def meeting_urls(meeting, item):
    return (
        [
            ("get", url("detail", meeting.pk)),
            ("get", url("edit", meeting.pk)),
            ("post", url("edit", meeting.pk)),
            ("get", url("notice", meeting.pk, item.pk)),
        ]
        + [("post", url("action", meeting.pk, action)) for action in workflow_actions()]
        + [
            ("post", url("item_action", meeting.pk, item.pk, a))
            for a in ("decide", "defer", "remove")
        ]
    )


def workflow_actions():
    from meetings.views import ACTIONS

    return list(ACTIONS)


@pytest.mark.parametrize(
    "outsider", ["officer_chunguang", "worker_cg1", "other_street_staff", "no_role"]
)
def test_outsiders_get_404_on_every_meeting_url(personas, login, benches, session, outsider):
    item = AgendaItem.objects.create(meeting=session, case=benches, status="decided", plan="方案")
    client = login(getattr(personas, outsider))
    for method, address in meeting_urls(session, item):
        response = getattr(client, method)(address, {"cancel-reason": "x", "cases": [benches.pk]})
        assert response.status_code == 404, (outsider, method, address)
    session.refresh_from_db()
    assert session.state == MeetingState.SCHEDULED
    listed = client.get(url("list"))
    assert listed.status_code == 404 or session.address not in listed.content.decode()
    assert client.post(url("emergency", benches.pk), {}).status_code == 404


def test_the_list_calendar_and_counts_run_constant_queries(
    places, personas, login, session, django_assert_max_num_queries
):
    client = login(personas.street_staff)
    pages = [url("list"), url("calendar") + f"?month={session_month():%Y-%m}", url("stats")]
    counts = []
    for address in pages:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(address).status_code == 200
        counts.append(len(captured.captured_queries))
    for month in range(1, 13):
        workflow.schedule_monthly_sessions(date(2025, month, 1))
    Meeting.objects.filter(starts_at__year=2025).update(state=MeetingState.CLOSED)
    again = []
    for address in pages:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(address).status_code == 200
        again.append(len(captured.captured_queries))
    assert counts == again
    stats = client.get(url("stats"), {"year": 2025}).content.decode()
    assert "共召开 24 次会议" in stats  # the street's two communities, twelve months


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"year": "abc"}, "“年份”必须是 2000 到 2099 之间的整数。"),
        ({"year": "99999"}, "“年份”必须是 2000 到 2099 之间的整数。"),
        ({"community": "x"}, "“社区”：请从页面提供的选项中选择。"),
    ],
)
def test_bad_count_parameters_are_a_400_that_says_so(personas, login, query, said):
    response = login(personas.street_staff).get(url("stats"), query)
    assert response.status_code == 400 and said in response.content.decode()


def test_a_community_outside_the_users_places_is_a_404_on_the_counts(personas, login, places):
    response = login(personas.officer_funan).get(url("stats"), {"community": places.chunguang.pk})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", [{"kind": "x"}, {"state": "y"}, {"community": "999999"}, {"page": "z"}]
)
def test_bad_list_parameters_say_so(personas, login, query):
    response = login(personas.street_staff).get(url("list"), query)
    assert response.status_code == 200
    if "page" not in query:
        assert "没有" in response.content.decode()


# The meeting's own history ---------------------------------------------------------------
def meeting_history(client, meeting):
    page = client.get(url("detail", meeting.pk)).content.decode()
    return page.split('data-testid="meeting-history"')[1].split("</section>")[0]


def test_the_meetings_history_records_each_decision_guest_and_case_taken_off(
    places, personas, login, benches, session
):
    other = CaseFactory(
        grid=places.fn1,
        state=State.PROPOSED,
        owner=personas.officer_funan,
        created_at=before_the_session(),
    )
    client = login(personas.officer_funan)
    client.post(url("action", session.pk, "agenda"), {"cases": [benches.pk, other.pk]})
    taken_off = AgendaItem.objects.get(case=other)
    client.post(url("item_action", session.pk, taken_off.pk, "remove"))
    client.post(url("action", session.pk, "guest"), {"guest-name": "李师傅"})
    client.post(url("action", session.pk, "open"))
    attendees(session)
    item = AgendaItem.objects.get()
    client.post(url("item_action", session.pk, item.pk, "decide"), decision(item))
    history = meeting_history(client, session)
    assert f"诉求移出议程 · {other.tracking_code}" in history
    assert "添加来宾 · 李师傅" in history
    assert f"记录决定 · {benches.tracking_code}" in history
    assert MeetingChange.objects.get(meeting=session, what="decided").details == {
        "votes": [12, 1, 2]
    }


# Venues -----------------------------------------------------------------------------------
def test_the_small_stool_meeting_and_the_on_site_one_say_how_they_differ(personas, login):
    client = login(personas.officer_funan)
    page = client.get(url("new")).content.decode()
    assert "小板凳议事会（在楼前院里围坐商量）" in page
    assert "现场协商（到问题所在的地方开）" in page
    client.cookies["django_language"] = "en"
    english = client.get(url("new")).content.decode()
    assert "small-stool meeting: neighbours sit together outside their building" in english
    assert "on site: at the place of the problem" in english


def test_the_notice_counts_each_role_once_and_names_the_bodies_within_it():
    """The walk's notice read 「春光小区物业 1 人、物业 1 人」 for two people of one role, and put a
    guest from the property company among its staff: each role is counted once, with how many
    came from which body."""
    from django.utils import translation

    from meetings.models import Participant
    from meetings.notices import who_took_part

    came = [
        Participant(kind="property_manager", name="徐英", organisation="春光小区物业"),
        Participant(kind="property_manager", name="丁文", organisation=""),
        Participant(kind="guest", name="张工", organisation="春光小区物业"),
        *(Participant(kind="resident_rep", name=f"代表{n}") for n in range(3)),
    ]
    with translation.override("zh-hans"):
        assert who_took_part(came) == [
            "居民代表 3 人",
            "物业 2 人（其中春光小区物业 1 人）",
            "来宾 1 人（春光小区物业）",
        ]
    with translation.override("en"):
        assert who_took_part(came)[1:] == [
            "property manager (2), of them 春光小区物业 (1)",
            "guest (1) from 春光小区物业",
        ]
