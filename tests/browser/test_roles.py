"""Each role logs in on a 360 px phone screen and sees its own navigation and places."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_menu(page):
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("role-nav").wait_for(state="visible")
    return page.get_by_test_id("role-nav")


@pytest.mark.parametrize(
    ("username", "nav_items", "not_in_nav", "place"),
    [
        ("street_staff", ["我的街道", "导入表格"], [], "万青路街道"),
        ("officer_chunguang", ["我的社区"], ["导入表格"], "春光社区"),
        ("worker_cg1", ["我的网格"], ["导入表格"], "春光第1网格"),
    ],
)
def test_each_role_sees_its_navigation_on_a_phone(
    personas, places, page, log_in, username, nav_items, not_in_nav, place
):
    log_in(username)
    assert page.viewport_size["width"] == 360
    assert place in page.locator("main").inner_text()
    nav = open_menu(page)
    for item in nav_items:
        assert nav.get_by_role("link", name=item).is_visible()
    for item in not_in_nav:
        assert nav.get_by_role("link", name=item).count() == 0
    # Nothing is wider than the phone screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_grid_worker_gets_not_found_for_another_grid(personas, places, page, log_in):
    log_in("worker_cg1")
    response = page.goto(page.base_url + reverse("grids:grid", args=[places.cg2.pk]))
    assert response.status == 404
    assert "找不到页面" in page.content()
    assert places.leaders[places.cg2].name not in page.content()


def test_the_language_switch_works_in_the_browser(personas, page, log_in):
    log_in("officer_chunguang")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "Hello" in page.locator("main").inner_text()


def test_a_panel_opened_after_the_session_ended_takes_the_whole_page_to_the_login(
    personas, places, page, log_in
):
    case = CaseFactory(grid=places.cg1, building=places.buildings[places.cg1])
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    Session.objects.all().delete()  # the session ends while the page is open
    page.locator("summary[hx-get]").first.click()
    page.wait_for_url(f"**/login/?next=/cases/{case.pk}/")
    expect(page.locator("input[name=username]")).to_be_visible()
    assert page.locator("main input[name=username]").count() == 1  # the login page, once


def test_the_language_switch_keeps_a_follow_up_note_typed_in_its_panel(
    personas, places, page, log_in
):
    case = CaseFactory(grid=places.cg1, state="resolved", resolved_by=personas.officer_chunguang)
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    page.get_by_text("查单回访", exact=True).click()
    page.get_by_label("居民满意度").select_option(label="基本满意")
    page.get_by_label("回访情况").fill("水龙头不滴了，王大妈说还行")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("textarea[name=verify-note]")).to_have_value("水龙头不滴了，王大妈说还行")
    expect(page.get_by_label("Resident's satisfaction")).to_have_value("basically")
    case.refresh_from_db()
    assert case.state == "resolved"  # nothing recorded until it is sent
