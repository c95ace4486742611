"""The language switch keeps what is being typed on any page, with JavaScript (static/js/youjie.js):
the staff's meeting page, its scheduling form, the case list's search box and the report's month
(a field drawn by hand), and a resident's request sent back with an error, whose error stays.
tests/test_switch_keeps_typing.py walks every page's forms on the server's side;
tests/browser/test_resident_switches.py has the residents' switches without JavaScript."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from meetings.models import Meeting, MeetingState
from tests.browser.steps import type_a_request
from tests.main_pages import sample_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def english(page):
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_officer_keeps_what_was_typed_on_the_meeting_pages_and_the_case_list(
    personas, places, page, log_in
):
    _case, meeting = sample_data(personas, places)
    log_in("officer_chunguang")
    detail = page.base_url + reverse("meetings:detail", args=[meeting.pk])
    page.goto(detail)
    page.get_by_test_id("guest-form").locator("summary").click()
    page.get_by_label("来宾姓名").fill("物业张经理")
    english(page)
    expect(page.get_by_label("Guest's name")).to_have_value("物业张经理")  # its panel open
    page.get_by_test_id("cancel-form").locator("summary").click()
    page.get_by_label("Why").fill("台风预警，改期")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_label("原因")).to_have_value("台风预警，改期")
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.HELD)
    page.goto(detail)
    page.get_by_label("会议纪要").fill("一、加装电梯：同意分摊方案。")
    english(page)
    expect(page.get_by_label("Minutes")).to_have_value("一、加装电梯：同意分摊方案。")
    meeting.refresh_from_db()
    assert meeting.minutes == ""  # nothing saved until the draft is saved

    page.goto(page.base_url + reverse("meetings:new"))
    page.get_by_label("Address").fill("春光社区活动室二楼")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_label("地点")).to_have_value("春光社区活动室二楼")

    page.goto(page.base_url + reverse("cases:list"))
    page.get_by_role("searchbox").fill("水龙头")
    english(page)
    expect(page.get_by_role("searchbox")).to_have_value("水龙头")

    page.goto(page.base_url + reverse("reports:report"))
    month = page.locator("#r-month")  # a field drawn by hand: filled again by the page's script
    month.fill("2026-03")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(month).to_have_value("2026-03")


def test_a_residents_request_sent_back_with_an_error_keeps_it_through_the_switch(page, places):
    unit = places.leaders[places.cg1].unit
    type_a_request(page, unit, phone="abc")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("请输入大陆手机号")
    english(page)
    expect(page.get_by_label("Your phone")).to_have_value("abc")
    expect(page.locator(".invalid-feedback")).to_contain_text("Enter a mainland mobile number")
    expect(page.get_by_label("Tell us what happened")).to_have_value("楼道灯坏了一个星期了")
