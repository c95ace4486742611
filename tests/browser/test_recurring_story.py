"""A recurring problem tried as the officer would on a phone: the broken benches of 金苑小区,
logged three times in two months, show on the workbench as one problem; one action takes it to
the 17th's session as one agenda item; the session decides it (议/决) with a task, and the
decision reaches every case of the problem, which the officer then resolves together (解单)."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import State, TaskStatus
from meetings.models import Kind, Meeting
from notifications.heartbeat import record_scan
from recurring.grouping import group_cases
from recurring.models import Problem, Status
from tests.browser.steps import (
    fill_tasks,
    open_decision,
    open_meeting,
    submit_decision,
    take_attendance,
)
from tests.factories import BuildingFactory
from tests.recurring_helpers import case_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # A Monday, three days before the monthly session of Thursday 2026-12-17.
    pytest.mark.pinned("2026-12-14T10:00+08:00"),
]

TITLE = "金苑小区3号楼 设施维修 · 90天内3次"


COMPLAINTS = [  # (days ago, what the resident said, accepted already)
    (60, "广场连体桌椅又坏了一张，椅面裂开", True),
    (33, "广场连体桌椅松动，老人坐着不安全", True),
    (2, "连体桌椅破损，下棋的地方没了", False),
]


def the_benches(places, personas):
    """Three complaints about the benches before 3号楼 in two months, the older two accepted,
    grouped as the nightly run would."""
    building = BuildingFactory(grid=places.fn1, estate="金苑小区", name="3号楼")
    accepted = {"state": State.ACCEPTED, "owner": personas.officer_funan}
    cases = [
        case_at(
            places.fn1, days, building, "设施维修", description=said, **(accepted if taken else {})
        )
        for days, said, taken in COMPLAINTS
    ]
    group_cases()
    return Problem.objects.get(), cases


def state_of(page):
    return page.get_by_test_id("case-state")


def test_the_benches_from_the_workbench_through_the_17th_to_their_cases_resolved(
    personas, places, page, log_in
):
    problem, cases = the_benches(places, personas)
    lead, *carried = cases  # the oldest open case carries the problem on the agenda

    # The workbench shows the problem with how often it came back; its page says why.
    log_in("officer_funan")
    workbench = page.get_by_test_id("workbench-recurring-community")
    expect(workbench).to_contain_text(TITLE)
    workbench.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    expect(page.get_by_test_id("problem-title")).to_have_text(TITLE)
    problem_url = page.url
    for case in cases:
        expect(page.get_by_test_id(f"member-{case.tracking_code}")).to_be_visible()
    expect(page.get_by_test_id("why")).to_contain_text("为什么这些诉求归为一组")

    # One action: the next monthly session, as one item with its three open cases.
    session = page.get_by_test_id("session-form")
    expect(session).to_contain_text("3 件")
    expect(session.get_by_label("社区下一次每月固定协商会（每月17日）")).to_be_checked()
    session.get_by_role("button", name="列入议程").click()
    expect(page.locator("main")).to_contain_text("已列入 2026-12-17 协商会议程")
    meeting = Meeting.objects.get(community=places.funan, kind=Kind.MONTHLY)
    assert timezone.localtime(meeting.starts_at).date().isoformat() == "2026-12-17"
    page.wait_for_url(page.base_url + reverse("meetings:detail", args=[meeting.pk]))
    expect(page.get_by_test_id(f"item-{lead.tracking_code}")).to_be_visible()
    for case in carried:  # one item for the problem, not one per case
        expect(page.get_by_test_id(f"item-{case.tracking_code}")).to_have_count(0)
    expect(page.get_by_test_id("open-refusal")).to_contain_text("09:00 起方可开会，不能提前")
    page.goto(problem_url)
    expect(page.get_by_test_id("problem-status")).to_have_text("已提交协商")
    expect(page.get_by_test_id("session-note")).to_contain_text("2026-12-17")
    for case in cases:
        expect(page.get_by_test_id(f"member-{case.tracking_code}")).to_contain_text(
            "随议题一并协商"
        )

    # The 17th, 09:30: the officer logs in again, opens the session from the problem's page,
    # takes attendance and records the decision (议/决) with its task.
    with time_machine.travel(meeting.starts_at, tick=True):
        record_scan()  # the reminder scan ran this morning too
        log_in("officer_funan")
        page.goto(problem_url)
        page.get_by_test_id("session-note").get_by_role("link").click()
        open_meeting(page)
        for case in cases:
            case.refresh_from_db()
        assert {case.state for case in cases} == {State.DELIBERATING}
        take_attendance(page, meeting)
        form = open_decision(page, lead.tracking_code)
        form.get_by_label("协商讨论（议）").fill("居民代表、物业、党员志愿者现场协商")
        form.get_by_label("决定方案（决）").fill("翻修连体桌椅+党员志愿者维修队+物业“每日双巡”")
        form.get_by_label("赞成").fill("14")
        form.get_by_label("责任方").fill("社区党委、物业")
        form.get_by_label("面向居民的决定表述（用于公示）").fill(
            "翻修3号楼前广场的连体桌椅，物业每日两次巡查。"
        )
        fill_tasks(form, ("党员志愿者维修队翻修桌椅",), personas.officer_funan.first_name)
        submit_decision(page, form, shows="决定已记录")

        # The decision reached every case of the problem: each is decided, with the task.
        page.goto(problem_url)
        for case in cases:
            expect(page.get_by_test_id(f"member-{case.tracking_code}")).to_contain_text(
                "· 决 · 随议题一并协商"
            )
        page.get_by_test_id(f"member-{carried[-1].tracking_code}").get_by_role("link").click()
        expect(state_of(page)).to_contain_text("决")
        expect(page.get_by_text("党员志愿者维修队翻修桌椅").first).to_be_visible()

        # The benches are repaired: the officer resolves the three cases together (解单).
        page.get_by_test_id("case-recurring").get_by_role("link").click()
        close = page.get_by_test_id("close-form")
        close.get_by_label("办理结果").select_option(value="resolved")
        close.get_by_label("办理情况").fill("党员志愿者维修队翻修了连体桌椅，物业每日两次巡查")
        close.get_by_label("向居民解释的方式").select_option(value="notice_board")
        close.get_by_label("解释内容").fill("广场连体桌椅已翻修，物业每日两次巡查。")
        expect(close.get_by_label("先将其未完成的任务标记为完成")).to_be_checked()
        close.get_by_role("button", name="一并解单").click()
        expect(page.locator("main")).to_contain_text("已解单 3 件诉求")
        expect(page.get_by_test_id("close-form")).to_have_count(0)
        for case in cases:
            expect(page.get_by_test_id(f"member-{case.tracking_code}")).to_contain_text(
                "· 已解单 ·"
            )
        for case in cases:
            page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
            expect(state_of(page)).to_contain_text("已解单")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # What the pages claim is what the database holds: every case of the problem resolved,
    # its task done, its own follow-up visit (查单) due.
    problem.refresh_from_db()
    assert problem.status == Status.DELIBERATED and problem.agenda_item.case == lead
    members = set(problem.members.values_list("case_id", flat=True))
    assert members == {case.pk for case in cases}
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.RESOLVED and case.follow_up_due is not None
        assert case.plan == "翻修连体桌椅+党员志愿者维修队+物业“每日双巡”"
        assert case.tasks.count() == 1
        assert not case.tasks.exclude(status=TaskStatus.DONE).exists()
