"""The dripping tap, tried as new users would on a 360 px phone: logged, accepted, taken up by
an emergency session (提/议/决) with two tasks, worked (办), resolved (解单) and verified (查单);
refused moves show their message; another grid's worker gets 404."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CasePhoto, State
from meetings.models import Meeting
from tests.browser.shots import shoot
from tests.browser.steps import (
    call_emergency_session,
    fill_tasks,
    open_decision,
    open_meeting,
    submit_decision,
    take_attendance,
)
from tests.factories import photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_move(page, name):
    move = page.get_by_test_id(f"move-{name}")
    move.locator("summary").click()
    return move


def confirm(move):
    """Press the move's button; the caller waits for what the next page shows."""
    move.get_by_role("button", name=re.compile("^确认")).click()


def state_of(page):
    return page.get_by_test_id("case-state")


def later(days):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_the_dripping_tap_from_logging_to_the_follow_up_visit(
    personas, places, page, log_in, tmp_path
):
    # A grid worker logs the request: building and unit in two taps, a photo from the phone.
    log_in("worker_cg1")
    shoot(page, "grid-worker/home")
    page.goto(page.base_url + reverse("cases:new"))
    page.get_by_text("春光第1网格小区 1号楼").click()
    page.get_by_text("1单元", exact=True).click()
    page.get_by_label("类别").select_option(label="水电气暖")
    page.get_by_label("诉求内容").fill("水龙头滴滴答答响了一夜，早上起来连洗脸水都接不上啦！")
    photo = tmp_path / "tap.jpg"
    photo.write_bytes(photo_bytes())
    # The photo's chooser speaks the page's language, not the browser's ("Choose Files").
    chooser = page.locator(".file-choice")
    expect(chooser.get_by_text("未选择文件")).to_be_visible()
    page.get_by_label("照片").set_input_files(str(photo))
    expect(chooser.get_by_text("选择照片")).to_be_visible()
    expect(chooser.get_by_text("tap.jpg")).to_be_visible()
    expect(chooser.locator("input[type=file]")).to_have_class(re.compile("visually-hidden"))
    page.get_by_label("居民姓名").fill("王大妈")
    page.get_by_label("居民电话").fill("13912345678")
    page.get_by_text("来源渠道和紧急程度").click()
    page.get_by_label("紧急", exact=True).check()
    shoot(page, "grid-worker/log-a-case", full_page=True)
    page.get_by_role("button", name="保存诉求").click()
    expect(state_of(page)).to_contain_text("已点单")  # the new case's page
    shoot(page, "grid-worker/case-logged")
    case = Case.objects.get()
    assert case.tracking_code in page.content() and "139****5678" in page.content()
    assert case.unit == places.leaders[places.cg1].unit and CasePhoto.objects.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    case_url = page.url

    # The officer accepts: a deadline in the past is refused with its message.
    log_in("officer_chunguang")
    shoot(page, "community-officer/home")
    page.goto(case_url)
    accept = open_move(page, "accept")
    accept.get_by_label("负责人").select_option(label=personas.officer_chunguang.first_name)
    accept.get_by_label("期限").fill("2020-01-01T10:00")
    confirm(accept)
    expect(page.locator("main")).to_contain_text("期限必须晚于现在")
    shoot(page, "community-officer/accept-refused", focus=page.get_by_test_id("move-accept"))
    assert Case.objects.get().state == State.SUBMITTED
    accept = page.get_by_test_id("move-accept")
    accept.get_by_label("期限").fill(later(3))
    confirm(accept)
    expect(state_of(page)).to_contain_text("已接单")

    # A stale page: the same move pressed again in another tab is refused, nothing changes.
    stale, late = page.context.new_page(), page.context.new_page()
    stale.goto(case_url)
    late.goto(case_url)
    stale_propose = open_move(stale, "propose")  # its form comes into the other tab's panel
    stale_propose.get_by_role("button", name=re.compile("^确认")).wait_for()
    confirm(open_move(page, "propose"))
    expect(state_of(page)).to_contain_text("提")
    shoot(page, "community-officer/case-page")
    confirm(stale_propose)
    expect(stale.get_by_test_id("refusal")).to_contain_text("现在不能")
    shoot(stale, "community-officer/stale-page", focus=stale.get_by_test_id("refusal"))
    # A panel opened only now, on a page drawn before the move, says why at once.
    late_propose = open_move(late, "propose")
    expect(late_propose.get_by_test_id("refusal")).to_contain_text("现在不能")
    assert late_propose.locator("form").count() == 0
    late.close()
    assert Case.objects.get().events.filter(move="propose").count() == 1
    stale.close()

    # The tap is urgent: an emergency session today takes it up (议), and decides it (决)
    # with two tasks; a decision without its plan is refused.
    call_emergency_session(page)
    assert "紧急事项即时协商" in page.content()
    open_meeting(page)
    take_attendance(page, Meeting.objects.get(kind="emergency"), people=10)
    item = open_decision(page, case.tracking_code)
    item.get_by_label("协商讨论（议）").fill("单元长、供水公司、居民代表共同协商")
    item.get_by_label("赞成").fill("9")
    item.get_by_label("责任方").fill("社区、单元长、供水公司")
    submit_decision(page, item, shows="这个字段是必填项")
    item = page.get_by_test_id("decide-form")
    item.get_by_label("决定方案（决）").fill("自筹资金+具体施工+临时供水")
    fill_tasks(item, ("更换地下锈蚀管道", "施工期间临时供水"), personas.worker_cg1.first_name, 5)
    submit_decision(page, item, shows="决定已记录")
    shoot(page, "community-officer/emergency-session")
    page.goto(case_url)
    assert page.get_by_test_id("case-state").inner_text().startswith("决")
    # 议, 决 and the two tasks decided with it each have a history row linking to the meeting.
    assert page.get_by_test_id("event-meeting").count() == 4
    assert page.get_by_text("更换地下锈蚀管道").count() >= 2  # the task and its history row

    # 办: the work starts; resolving waits for the tasks.
    confirm(open_move(page, "start"))
    expect(state_of(page)).to_contain_text("办")
    blocked = page.get_by_test_id("blocked-resolve").inner_text()
    assert "每项任务完成或注明原因取消后，才能解单" in blocked
    shoot(page, "community-officer/tasks", focus=page.get_by_test_id("blocked-resolve"))
    done = page.get_by_role("button", name="标记完成")
    for left in (1, 0):
        done.first.click()
        expect(done).to_have_count(left)

    # 解单: the outcome and how it was explained to residents.
    resolve = open_move(page, "resolve")
    resolve.get_by_label("办理结果").select_option(value="resolved")
    resolve.get_by_label("办理情况").fill("供水公司更换了锈蚀管道，施工期间临时供水")
    resolve.get_by_label("向居民解释的方式").select_option(value="home_visit")
    resolve.get_by_label("解释内容").fill("入户说明了施工和费用分摊")
    shoot(page, "community-officer/resolve", focus=resolve)
    confirm(resolve)
    expect(state_of(page)).to_contain_text("已解单")
    # The one who resolved may not make the follow-up visit.
    assert page.get_by_test_id("move-verify").count() == 0

    # 查单: the grid worker visits and records the resident's satisfaction.
    log_in("worker_cg1")
    page.goto(case_url)
    verify = open_move(page, "verify")
    verify.get_by_label("居民满意度").select_option(value="satisfied")
    verify.get_by_label("回访情况").fill("随访：用水正常，王大妈很满意")
    shoot(page, "grid-worker/follow-up-visit", focus=verify)
    confirm(verify)
    expect(state_of(page)).to_contain_text("已查单")
    shoot(page, "grid-worker/timeline", focus=page.get_by_test_id("timeline"))
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in (
        "登记（点单）",
        "接单",
        "提交协商（提）",
        "开始协商（议）",
        "记录决定（决）",
        "开始办理（办）",
        "解单",
        "查单回访",
    ):
        assert step in timeline

    # Another grid's worker: 404 on the case and on its photo.
    log_in("worker_cg2")
    assert page.goto(case_url).status == 404
    photo_url = reverse("cases:photo", args=[case.pk, CasePhoto.objects.get().pk])
    assert page.goto(page.base_url + photo_url).status == 404
