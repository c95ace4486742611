"""The residents' switches (大字模式, the language) on a phone without JavaScript: they never
end on an error page, never lose what the page showed (the lookup's answer, the thanks for a
rating) and never lose what was typed (the request form, the lookup, the rating)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import ResidentRating, State
from tests.browser.conftest import PHONE
from tests.browser.steps import type_a_request
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    """A phone with JavaScript switched off: the switches are plain form buttons."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def press(page, button_name):
    """Press a switch and return the status of the page it ends on."""
    with page.expect_navigation() as answer:
        page.get_by_role("button", name=button_name).click()
    return answer.value.status


@pytest.fixture
def verified(places):
    return CaseFactory(grid=places.cg1, state=State.VERIFIED, resident_phone="13912345678")


def look_up(page, case):
    page.goto(page.base_url + reverse("residents:status"))
    page.get_by_label("跟踪码").fill(case.tracking_code)
    page.get_by_label("手机号后 4 位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("stages")).to_be_visible()


def test_the_thanks_for_a_rating_stays_through_both_switches(phone, verified):
    look_up(phone, verified)
    phone.get_by_label("满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_test_id("rated")).to_be_visible()
    assert press(phone, "大字模式") == 200  # not 「HTTP ERROR 405」
    expect(phone.get_by_test_id("rated")).to_be_visible()
    assert press(phone, "English") == 200
    expect(phone.get_by_test_id("rated")).to_contain_text("Your rating is recorded")
    phone.reload()
    expect(phone.get_by_test_id("rated")).to_be_visible()
    assert ResidentRating.objects.count() == 1  # a reload sends nothing again


def test_the_lookups_answer_stays_through_both_switches(phone, places):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    look_up(phone, case)
    assert press(phone, "大字模式") == 200
    expect(phone.get_by_test_id("stages")).to_be_visible()
    assert press(phone, "English") == 200
    expect(phone.get_by_test_id("stages")).to_be_visible()
    expect(phone.locator("h1")).to_contain_text(case.tracking_code)


def test_what_was_typed_into_the_request_form_stays_through_both_switches(phone, places):
    unit = places.leaders[places.cg1].unit
    type_a_request(phone, unit, phone="13912345678")
    assert press(phone, "English") == 200
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_label("Tell us what happened")).to_have_value("楼道灯坏了一个星期了")
    expect(phone.get_by_label("Your name")).to_have_value("王大妈")
    expect(phone.get_by_label("Your phone")).to_have_value("13912345678")
    assert press(phone, "Larger text") == 200
    expect(phone.get_by_label("Tell us what happened")).to_have_value("楼道灯坏了一个星期了")
    expect(phone.locator("input[name=category]:checked")).to_have_count(1)
    # Sent after the switches, it is the request as typed.
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_test_id("tracking-code")).to_be_visible()


def test_what_was_typed_into_the_lookup_and_the_rating_stays_through_a_switch(phone, verified):
    phone.goto(phone.base_url + reverse("residents:status"))
    phone.get_by_label("跟踪码").fill(verified.tracking_code)
    assert press(phone, "大字模式") == 200
    expect(phone.get_by_label("跟踪码")).to_have_value(verified.tracking_code)
    look_up(phone, verified)
    phone.get_by_label("不满意").check()
    phone.get_by_label("还有什么想说的？（可不填）").fill("水压还是小")
    assert press(phone, "English") == 200
    expect(phone.get_by_label("not satisfied")).to_be_checked()
    expect(phone.get_by_label("Anything to add? (optional)")).to_have_value("水压还是小")


def test_a_refused_rating_switches_back_to_the_requests_page(phone, verified):
    look_up(phone, verified)
    phone.get_by_role("button", name="提交评价").click()  # nothing chosen: refused, 400
    expect(phone.get_by_test_id("rating")).to_be_visible()
    assert press(phone, "大字模式") == 200
    expect(phone.get_by_test_id("stages")).to_be_visible()
