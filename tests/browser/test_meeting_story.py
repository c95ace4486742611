"""议事协商会 tried as new users would on a phone: the 金苑小区 benches case goes from 提 into the
monthly session, is decided with two tasks and its notice printed; an emergency session for
the water pipe is called and held the same day; officers of other communities get 404."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import State
from meetings.models import Kind, Meeting
from meetings.tasks import create_monthly_sessions
from meetings.workflow import schedule_monthly_sessions
from tests.browser.shots import shoot
from tests.browser.steps import (
    call_emergency_session,
    fill_tasks,
    open_decision,
    open_meeting,
    submit_decision,
    take_attendance,
)
from tests.factories import CaseFactory, _category
from tests.test_meetings import before_the_session, session_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_benches_in_the_monthly_session_and_the_pipe_in_an_emergency_one(
    personas, places, page, log_in
):
    benches = CaseFactory(
        grid=places.fn1,
        building=places.buildings[places.fn1],
        category=_category("设施维修"),
        description="金苑小区广场的连体桌椅破损，老人们没地方下棋聊天",
        state=State.PROPOSED,
        owner=personas.officer_funan,
        created_at=before_the_session(),  # logged before the 17th it goes to
    )
    # The monthly sessions exist ahead; the scheduler running again adds none.
    schedule_monthly_sessions(session_month())
    before = Meeting.objects.count()
    create_monthly_sessions()
    create_monthly_sessions()
    created_ahead = Meeting.objects.count() - before
    assert Meeting.objects.filter(community=places.funan, month=session_month()).count() == 1
    assert created_ahead <= 2 * 3  # at most this and next month, once per community

    log_in("officer_funan")
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="议事协商").click()
    shoot(page, "community-officer/meetings")
    page.get_by_test_id("meeting-list").get_by_role(
        "link", name=re.compile(session_month().strftime("%Y-%m-17"))
    ).click()
    page.get_by_label(re.compile("连体桌椅破损")).check()
    shoot(page, "community-officer/agenda", focus=page.get_by_role("button", name="列入议程"))
    page.get_by_role("button", name="列入议程").click()
    open_meeting(page)
    take_attendance(page, Meeting.objects.get(community=places.funan, month=session_month()))
    form = open_decision(page, benches.tracking_code)
    form.get_by_label("协商讨论（议）").fill("居民代表、物业、党员志愿者现场协商")
    form.get_by_label("决定方案（决）").fill("翻修连体桌椅+党员志愿者维修队+物业“每日双巡”")
    form.get_by_label("赞成").fill("14")
    form.get_by_label("责任方").fill("社区党委、物业")
    form.get_by_label("面向居民的决定表述（用于公示）").fill("翻修广场连体桌椅，物业每日两次巡查。")
    fill_tasks(
        form, ("党员志愿者维修队翻修桌椅", "物业建立“每日双巡”"), personas.officer_funan.first_name
    )
    shoot(page, "community-officer/decide", focus=form)
    submit_decision(page, form, shows="决定已记录")
    benches.refresh_from_db()
    assert benches.state == State.DECIDED and benches.tasks.count() == 2

    page.get_by_test_id("notice-link").click()
    expect(page.get_by_test_id("notice")).to_contain_text("议事协商结果公示")
    notice = page.get_by_test_id("notice").inner_text()
    assert "议事协商结果公示" in notice and "物业每日两次巡查" in notice
    assert "党员志愿者维修队翻修桌椅" in notice
    shoot(page, "community-officer/notice")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="打印").is_visible()
    assert not page.locator("nav.navbar").is_visible()
    page.emulate_media(media="screen")
    session = Meeting.objects.get(community=places.funan, month=session_month())

    # The water pipe in 春光社区: an emergency session today, opened the same day.
    pipe = CaseFactory(
        grid=places.cg1,
        urgency="urgent",
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        description="地下管道锈蚀，整栋楼停水",
    )
    log_in("officer_chunguang")
    page.goto(page.base_url + reverse("cases:detail", args=[pipe.pk]))
    call_emergency_session(page)
    open_meeting(page)
    assert page.get_by_test_id("meeting-state").inner_text() == "已召开"
    urgent = Meeting.objects.get(kind=Kind.EMERGENCY)
    assert timezone.localtime(urgent.starts_at).date() == timezone.localdate()
    pipe.refresh_from_db()
    assert pipe.state == State.DELIBERATING

    # Each community's officer gets 404 on the other's meeting.
    assert page.goto(page.base_url + reverse("meetings:detail", args=[session.pk])).status == 404
    log_in("officer_funan")
    assert page.goto(page.base_url + reverse("meetings:detail", args=[urgent.pk])).status == 404
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
