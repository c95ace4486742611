"""Recurring problems where people see them, who may act on them, and the one action that
takes a problem to the 17th's session, through the decision to its cases closed together."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleKind
from cases.models import Case, CaseEvent, State, Task, TaskStatus
from meetings.models import AgendaItem
from notifications.models import Notification
from recurring.grouping import group_cases
from recurring.models import Member, Problem, Status
from tests.factories import CaseFactory, UserFactory, attendees, make_role

from .recurring_helpers import case_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def taps(places):
    """Four dripping taps in 富南第1网格's 1号楼 in 90 days, the older ones accepted."""
    building = places.buildings[places.fn1]
    cases = [
        case_at(places.fn1, 80, building, state=State.ACCEPTED, description="水龙头滴水一夜"),
        case_at(places.fn1, 50, building, state=State.ACCEPTED, description="水管锈蚀滴水"),
        case_at(places.fn1, 20, building, description="水龙头又滴滴答答"),
        case_at(places.fn1, 2, building, description="家里水龙头一直滴"),
    ]
    group_cases()
    return Problem.objects.get(), cases


def url(name, *args):
    return reverse(f"recurring:{name}", args=args)


def test_the_officer_sees_the_communitys_problem_on_the_workbench_and_why_it_is_one(
    taps, personas, login
):
    problem, cases = taps
    client = login(personas.officer_funan)
    home = client.get(reverse("home")).content.decode()
    assert "我社区中反复出现的问题" in home and "富南第1网格小区1号楼 水电气暖 · 90天内4次" in home
    page = client.get(url("detail", problem.pk)).content.decode()
    assert "为什么这些诉求归为一组" in page and "同一地点、同一类别，在时间窗口内" in page
    assert all(case.tracking_code in page for case in cases)
    assert "提交协商" in page and "排除" in page


def test_a_problem_whose_cases_are_all_closed_says_it_waits_for_a_session(taps, personas, login):
    problem, cases = taps
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(state=State.VERIFIED)
    client = login(personas.officer_funan)
    page = client.get(url("detail", problem.pk)).content.decode()
    badge = page.split('data-testid="problem-status">')[1].split("<")[0]
    assert badge == "待提交协商"  # not 未完成: each case is closed, the cause is not
    assert "待提交协商" in client.get(url("list")).content.decode()


def test_a_grid_worker_sees_his_grids_problems_and_cannot_act_on_them(
    taps, personas, login, places
):
    problem, _cases = taps
    from accounts.models import RoleKind
    from tests.factories import UserFactory, make_role

    worker = UserFactory(username="worker_fn1")
    make_role(worker, RoleKind.GRID_WORKER, places.fn1)
    client = login(worker)
    assert "90天内4次" in client.get(reverse("home")).content.decode()
    page = client.get(url("detail", problem.pk))
    assert page.status_code == 200 and "列入议程" not in page.content.decode()
    response = client.post(url("action", problem.pk, "dismiss"), {"dismiss-reason": "x"})
    assert response.status_code == 404
    problem.refresh_from_db()
    assert problem.status == Status.OPEN


@pytest.mark.parametrize("outsider", ["worker_cg1", "officer_chunguang", "other_street_staff"])
def test_other_grids_communities_and_streets_get_404(taps, personas, login, outsider):
    problem, _cases = taps
    client = login(getattr(personas, outsider))
    assert client.get(url("detail", problem.pk)).status_code == 404
    for action in ("dismiss", "split", "session", "close"):
        assert client.post(url("action", problem.pk, action), {}).status_code == 404
    assert "90天内4次" not in client.get(url("list")).content.decode()
    assert "90天内4次" not in client.get(reverse("home")).content.decode()


def test_bad_input_is_refused_with_a_message_and_changes_nothing(taps, personas, login):
    problem, cases = taps
    client = login(personas.officer_funan)
    assert client.get(url("list"), {"status": "nonsense"}).status_code == 400
    assert client.post(url("action", problem.pk, "unknown"), {}).status_code == 404
    response = client.post(url("action", problem.pk, "dismiss"), {"dismiss-reason": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    every = [c.pk for c in cases]
    response = client.post(url("action", problem.pk, "split"), {"split-cases": every})
    assert response.status_code == 409 and "此问题中至少要保留一件诉求" in response.content.decode()
    response = client.post(url("action", problem.pk, "split"), {"split-cases": ["abc", 99999]})
    assert response.status_code == 400
    response = client.post(url("action", problem.pk, "session"), {"session-kind": "weekly"})
    assert response.status_code == 400
    response = client.post(url("action", problem.pk, "close"), {"close-outcome": "resolved"})
    assert response.status_code == 400
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.case_count == 4
    assert not AgendaItem.objects.exists()


def test_dismissing_says_why_and_holds_until_a_new_case_joins(taps, personas, login, places):
    problem, _cases = taps
    client = login(personas.officer_funan)
    response = client.post(
        url("action", problem.pk, "dismiss"), {"dismiss-reason": "各户自家水龙头老化，非公共管道"}
    )
    assert response.status_code == 302
    page = client.get(url("detail", problem.pk)).content.decode()
    assert "各户自家水龙头老化，非公共管道" in page and "已排除" in page
    assert "90天内4次" not in client.get(reverse("home")).content.decode()
    group_cases()
    problem.refresh_from_db()
    assert problem.status == Status.DISMISSED
    case_at(places.fn1, 0, places.buildings[places.fn1])
    group_cases()
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.case_count == 5


def test_logging_a_case_at_the_place_says_it_would_join_the_problem(taps, personas, login, places):
    problem, cases = taps
    client = login(personas.officer_funan)
    response = client.get(
        reverse("cases:similar"),
        {
            "grid": places.fn1.pk,
            "building": places.buildings[places.fn1].pk,
            "category": cases[0].category_id,
        },
    )
    page = response.content.decode()
    assert "这件诉求将归入反复出现的问题「富南第1网格小区1号楼 水电气暖 · 90天内4次」" in page
    elsewhere = client.get(
        reverse("cases:similar"), {"grid": places.fn1.pk, "category": cases[0].category_id}
    )
    assert "反复出现的问题" not in elsewhere.content.decode()


def test_the_case_page_names_its_problem(taps, personas, login):
    problem, cases = taps
    page = login(personas.officer_funan).get(reverse("cases:detail", args=[cases[0].pk]))
    assert "属于反复出现的问题" in page.content.decode()
    assert url("detail", problem.pk) in page.content.decode()


@pytest.mark.calendar
def test_one_action_takes_the_problem_to_the_17th_and_the_meeting_closes_all_its_cases(
    taps, personas, login, places
):
    problem, cases = taps
    officer = personas.officer_funan
    worker = UserFactory(username="worker_fn1", first_name="富南网格员")
    make_role(worker, RoleKind.GRID_WORKER, places.fn1)
    client = login(officer)
    response = client.post(url("action", problem.pk, "session"), {"session-kind": "monthly"})
    assert response.status_code == 302
    [item] = AgendaItem.objects.all()
    meeting = item.meeting
    assert meeting.kind == "monthly" and timezone.localtime(meeting.starts_at).day == 17
    assert item.case == cases[0]  # the oldest open case carries the problem
    problem.refresh_from_db()
    assert problem.status == Status.DELIBERATED and problem.agenda_item == item
    assert Member.objects.filter(problem=problem, carried=True).count() == 4
    for case in cases[2:]:  # logged and not yet accepted: accepted by the officer
        assert case.events.filter(move="accept", actor=officer).exists()
    for case in cases:  # all four go to 提 now, the other three carried by the one item
        case.refresh_from_db()
        assert case.state == State.PROPOSED, case.tracking_code
    when = timezone.localtime(meeting.starts_at)
    for case in cases[1:]:
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert f"随{cases[0].tracking_code}一并协商（同一个反复出现的问题）" in page
        day = f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"
        assert f"下一步：{day} 的议事协商会讨论（议）" in page
        assert "请把诉求列入会议议程" not in page  # it is on one
    # Each resident's lookup gives the session's time, a carried request's as the lead's.
    for case in (cases[0], cases[3]):
        lookup = Client().post(
            reverse("residents:status"),
            {"tracking_code": case.tracking_code, "phone_last4": case.resident_phone[-4:]},
            follow=True,
        )
        said = re.sub(r"<[^>]+>", "", lookup.content.decode())
        assert f"您的诉求将在 {day} 的社区议事协商会上讨论" in said
    # Whoever each case concerns hears when and where: the grid's worker once, his invitation
    # naming the four cases, and each case's resident by SMS with the page that needs no login.
    told = Notification.objects.filter(rule="meeting_agenda")
    assert {n.recipient_key for n in told} >= {f"resident:{case.pk}" for case in cases}
    [invitation] = told.filter(user=worker)
    assert f"讨论：{cases[0].tracking_code}、{cases[1].tracking_code} 等 4 件诉求" in (
        invitation.title
    )
    assert all(case.tracking_code in invitation.body for case in cases)
    meeting_page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert cases[0].tracking_code in meeting_page
    assert cases[1].tracking_code not in meeting_page  # one item, not four
    with time_machine.travel(meeting.starts_at, tick=False):
        client = login(officer)  # the session's day: a new login (sessions time out)
        opened = client.post(reverse("meetings:action", args=[meeting.pk, "open"]))
        assert opened.status_code == 302
        meeting.refresh_from_db()
        assert meeting.state == "held"
        for case in cases:
            case.refresh_from_db()
        assert [c.state for c in cases] == [State.DELIBERATING] * 4, [
            list(c.events.values_list("move", flat=True)) for c in cases
        ]
        # Carried by the one item, the other three are not offered for the agenda again.
        meeting_page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
        for case in cases[1:]:
            assert f'id="offer-{case.pk}"' not in meeting_page
        again = client.post(
            reverse("meetings:action", args=[meeting.pk, "agenda"]), {"cases": [cases[1].pk]}
        )
        assert again.status_code in (400, 409)
        assert AgendaItem.objects.filter(meeting=meeting).count() == 1
        attendees(meeting, 10)  # only those present vote
        p = f"item{item.pk}"
        due = (timezone.localdate() + timedelta(days=10)).isoformat()
        decision = {
            f"{p}-discussion": "供水公司、单元长、居民代表共同讨论",
            f"{p}-plan": "自筹资金+具体施工+临时供水",
            f"{p}-votes_for": "9",
            f"{p}-votes_against": "0",
            f"{p}-votes_abstain": "1",
            f"{p}-responsible": "社区、供水公司",
            f"{p}-public_wording": "更换地下锈蚀管道，施工期间临时供水。",
            f"{p}-task0-title": "更换地下锈蚀管道",
            f"{p}-task0-owner_user": worker.pk,
            f"{p}-task0-due_date": due,
        }
        response = client.post(
            reverse("meetings:item_action", args=[meeting.pk, item.pk, "decide"]), decision
        )
        assert response.status_code == 302
    # The task's owner is told of it once, not once per case it was made on.
    told = Notification.objects.filter(rule="task_assigned", user=worker)
    assert told.count() == 1 and "更换地下锈蚀管道" in told.get().title
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.DECIDED and case.plan == "自筹资金+具体施工+临时供水"
        assert Task.objects.filter(case=case, title="更换地下锈蚀管道").count() == 1
        decide = CaseEvent.objects.get(case=case, move="decide")
        assert decide.details["meeting"] == meeting.pk
    client = login(officer)
    page = client.get(url("detail", problem.pk)).content.decode()
    assert "一并解单" in page
    response = client.post(
        url("action", problem.pk, "close"),
        {
            "close-outcome": "resolved",
            "close-note": "地下锈蚀管道已更换",
            "close-explanation_method": "notice_board",
            "close-explanation": "管道已更换，水龙头不再滴水。",
            "close-close_tasks": "on",
        },
    )
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.RESOLVED and case.follow_up_due is not None  # its own 查单
        assert not case.tasks.filter(status=TaskStatus.OPEN).exists()


def test_the_street_report_shows_hot_spots_topic_candidates_and_whether_it_came_back(
    taps, personas, login, places
):
    problem, cases = taps
    problem.status = Status.DELIBERATED
    problem.deliberated_at = timezone.now() - timedelta(days=1)
    problem.save()
    case_at(places.fn1, 0, places.buildings[places.fn1])  # the taps drip again
    page = login(personas.street_staff).get(reverse("reports:report")).content.decode()
    assert "每月一题候选" in page and "水电气暖：1 个反复出现的问题" in page
    assert "富南社区 富南第1网格" in page and 'data-testid="hot-spot-card"' in page
    assert "再次出现：1 件诉求" in page
    officer_cg = login(personas.officer_chunguang).get(reverse("reports:report"))
    assert "富南第1网格" not in officer_cg.content.decode()


def test_the_list_and_workbench_read_the_same_queries_for_two_problems_or_twenty(
    places, personas, login, django_assert_max_num_queries
):
    client = login(personas.officer_funan)
    building = places.buildings[places.fn1]

    def counts():
        found = []
        for address in (url("list"), reverse("home")):
            with django_assert_max_num_queries(20) as captured:
                assert client.get(address).status_code == 200
            found.append(len(captured.captured_queries))
        return found

    for kind in ("水电气暖", "设施维修"):
        case_at(places.fn1, 10, building, kind=kind, description=kind)
        case_at(places.fn1, 5, building, kind=kind, description=kind)
    group_cases()
    first = counts()
    from tests.factories import BuildingFactory

    for n in range(10):
        other = BuildingFactory(grid=places.fn1, estate="金苑小区", name=f"{n + 20}号楼")
        case_at(places.fn1, 10, other, description=f"第{n}栋")
        case_at(places.fn1, 5, other, description=f"第{n}栋")
    group_cases()
    assert Problem.objects.count() == 12
    assert counts() == first


def test_problems_at_units_are_named_in_the_same_queries_for_two_or_twelve(
    places, personas, login, django_assert_max_num_queries
):
    """A problem at a unit is named by its unit and the unit's building (1号楼2单元): the
    buildings come with the units, not one query per problem."""
    from tests.factories import BuildingFactory, UnitFactory

    client = login(personas.officer_funan)

    def problems_at_units(first, count):
        for n in range(first, first + count):
            building = BuildingFactory(grid=places.fn1, estate="金苑小区", name=f"{n + 30}号楼")
            unit = UnitFactory(building=building, name="2单元")
            case_at(places.fn1, 10, building, unit=unit, description=f"第{n}栋")
            case_at(places.fn1, 5, building, unit=unit, description=f"第{n}栋")
        group_cases()

    def queries():
        with django_assert_max_num_queries(20) as captured:
            page = client.get(url("list")).content.decode()
        return len(captured.captured_queries), page.count("2单元")

    problems_at_units(0, 2)
    queries()  # warm up
    few = queries()
    problems_at_units(2, 10)
    many = queries()
    assert Problem.objects.filter(unit__isnull=False).count() == 12
    assert many[0] == few[0] and many[1] > few[1] >= 2


def test_the_session_form_marks_which_cases_would_go_and_its_count_matches(taps, personas, login):
    """The count the form gives is the cases marked in the list: one already being handled
    (办) keeps its own plan and is neither counted nor marked."""
    problem, cases = taps
    cases[0].state = State.IN_PROGRESS
    cases[0].save(update_fields=["state"])
    page = login(personas.officer_funan).get(url("detail", problem.pk)).content.decode()
    assert "上面标有「将随议题协商」的 3 件诉求随之协商" in page
    assert page.count('data-testid="would-go"') == 3
    handled = page.split(f'data-testid="member-{cases[0].tracking_code}"')[1].split("</li>")[0]
    assert "将随议题协商" not in handled and "· 办" in handled


def test_a_problem_taken_to_the_17th_invites_whom_it_concerns_and_its_item_says_what_it_is(
    taps, personas, login, places
):
    """The grid worker told of the problem's cases is invited to the session (his attendance
    can be recorded), and so is the leader of the unit two of its cases name; the agenda shows
    one item that says it stands for a recurring problem of four cases, with its link."""
    problem, cases = taps
    leader = places.leaders[places.fn1]
    Case.objects.filter(pk__in=[cases[1].pk, cases[3].pk]).update(unit=leader.unit)
    worker = UserFactory(username="worker_fn1", first_name="富南网格员")
    make_role(worker, RoleKind.GRID_WORKER, places.fn1)
    client = login(personas.officer_funan)
    client.post(url("action", problem.pk, "session"), {"session-kind": "monthly"})
    [item] = AgendaItem.objects.all()
    meeting = item.meeting
    # Each is invited once, by the notice that names his cases.
    assert not Notification.objects.filter(rule="meeting_invitation").exists()
    invited = Notification.objects.filter(rule="meeting_agenda", title__startswith="参会邀请")
    assert sorted(n.recipient_key for n in invited) == sorted(
        [f"user:{worker.pk}", f"contact:{leader.pk}"]
    )
    assert invited.get(contact=leader).title.endswith(
        f"讨论：{cases[1].tracking_code}、{cases[3].tracking_code}"
    )
    listed = meeting.participants.filter(notified_at__isnull=False)
    assert listed.filter(user=worker, kind="grid_worker").exists()
    assert listed.filter(contact=leader, kind="unit_leader").exists()
    detail = reverse("meetings:detail", args=[meeting.pk])
    for reader in (personas.officer_funan, worker):
        page = login(reader).get(detail).content.decode()
        agenda = page.split('data-testid="agenda"')[1].split("</section>")[0]
        assert "反复出现的问题：4 件诉求一并协商" in agenda, reader
        assert f'href="{url("detail", problem.pk)}"' in agenda, reader
    assert "富南网格员" in page.split('data-testid="participants"')[1]


def test_the_meeting_page_names_its_problems_in_the_same_queries_for_one_or_four(
    places, personas, login, django_assert_max_num_queries
):
    from meetings import workflow as meetings
    from tests.factories import BuildingFactory

    session = meetings.next_session(places.funan, timezone.now())
    client = login(personas.officer_funan)
    detail = reverse("meetings:detail", args=[session.pk])

    def problems_on_the_agenda(buildings):
        for building in buildings:
            lead = case_at(places.fn1, 10, building, state=State.PROPOSED, description="漏水")
            case_at(places.fn1, 5, building, description="漏水")
            group_cases()
            problem = Problem.objects.get(seed_case=lead)
            problem.agenda_item = AgendaItem.objects.create(meeting=session, case=lead)
            problem.save(update_fields=["agenda_item"])
            problem.members.update(carried=True)  # both went to the session with the item

    def queries():
        with django_assert_max_num_queries(40) as captured:
            page = client.get(detail).content.decode()
        return len(captured.captured_queries), page.count("反复出现的问题：2 件诉求")

    problems_on_the_agenda([places.buildings[places.fn1]])
    queries()  # warm up
    one = queries()
    assert one[1] == 1
    problems_on_the_agenda(
        BuildingFactory(grid=places.fn1, estate="金苑小区", name=f"{n}号楼") for n in (5, 6, 7)
    )
    assert queries() == (one[0], 4)


def test_the_agenda_and_the_message_count_the_cases_that_went_with_the_problem(
    taps, personas, login
):
    """One number everywhere: a case already being handled stays out of the session, and the
    agenda item and the message after it count the three that went, as the problem's page did."""
    problem, cases = taps
    cases[0].state = State.IN_PROGRESS
    cases[0].save(update_fields=["state"])
    client = login(personas.officer_funan)
    page = client.get(url("detail", problem.pk)).content.decode()
    assert "的 3 件诉求随之协商" in page
    response = client.post(
        url("action", problem.pk, "session"), {"session-kind": "monthly"}, follow=True
    )
    shown = response.content.decode()
    assert "作为一个议题：3 件诉求随之协商" in shown
    agenda = shown.split('data-testid="agenda"')[1].split("</section>")[0]
    assert "反复出现的问题：3 件诉求一并协商" in agenda


def test_the_split_list_dates_each_case_by_the_day_it_was_logged_here(places):
    """A case logged at 07:00 in Beijing is logged on that day, not the UTC day before."""
    from types import SimpleNamespace

    from recurring.forms import SplitForm

    early = timezone.make_aware(datetime(2026, 5, 12, 7, 0))
    case = CaseFactory(grid=places.cg1, created_at=early)
    form = SplitForm(prefix="split", members=[SimpleNamespace(case_id=case.pk, case=case)])
    assert form.fields["cases"].choices == [(case.pk, f"{case.tracking_code} · 2026-05-12")]


@pytest.mark.pinned("2026-12-08T21:00+08:00")
def test_an_emergency_session_at_a_time_long_past_says_why_on_the_form(taps, personas, login):
    """The meetings app refuses a time more than 12 hours ago: this page says so on its time
    field, as the new-meeting page does, and keeps what was chosen."""
    problem, _cases = taps
    chosen = {
        "session-kind": "emergency",
        "session-day": "today",
        "session-at": "07:00",
        "session-venue_kind": "on_site",
        "session-address": "富南第1网格1号楼前",
    }
    response = login(personas.officer_funan).post(url("action", problem.pk, "session"), chosen)
    assert response.status_code == 409
    page = response.content.decode()
    assert "会议时间最早可为 12 小时前" in page and "富南第1网格1号楼前" in page
    assert not AgendaItem.objects.exists()


def test_a_problem_whose_cases_are_all_closed_is_no_to_do_on_the_homes_and_says_why(
    places, personas, login
):
    """The benches broke twice and both were mended and checked (查单): the problem stays on
    the problems' list, but the homes list only problems one can still take to a session,
    and its page says why it cannot go."""
    building = places.buildings[places.fn1]
    for days in (10, 5):
        case_at(places.fn1, days, building, kind="设施维修", state=State.VERIFIED)
    waiting = case_at(places.fn1, 12, places.buildings[places.fn1], kind="水电气暖")
    case_at(places.fn1, 6, places.buildings[places.fn1], kind="水电气暖")
    group_cases()
    closed = Problem.objects.get(category__name="设施维修")
    open_one = Problem.objects.get(members__case=waiting)
    client = login(personas.officer_funan)
    home = client.get(reverse("home")).content.decode()
    mine = home[home.index('data-testid="workbench-recurring-community"') :]
    assert url("detail", open_one.pk) in mine and url("detail", closed.pk) not in mine
    assert url("detail", closed.pk) in client.get(url("list")).content.decode()
    page = client.get(url("detail", closed.pk)).content.decode()
    assert 'data-testid="session-form"' not in page
    assert "没有等待决定的诉求：每一件都已在协商中、正在办理或已办结。" in page
