"""Pages on a 360 px phone: a quick filter's results above the fold, the repeat warning while
logging, the notice on paper, and the icons a home screen asks for."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, State
from meetings.models import AgendaItem, Meeting
from tests.browser.shots import shoot
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FOLD = 740  # the phone's viewport height (tests/browser/conftest.py)


def test_a_quick_filter_shows_its_results_first_with_the_filters_folded(
    personas, places, page, log_in
):
    for n in range(12):
        CaseFactory(grid=places.cg1, description=f"楼道灯不亮 {n}", state=State.SUBMITTED)
    log_in("officer_chunguang")
    page.goto(page.base_url + reverse("cases:list"))
    page.get_by_role("link", name="待接单").first.click()
    page.wait_for_url(re.compile(r"queue=to_accept"))
    filters = page.locator("details", has=page.locator("summary", has_text="筛选"))
    assert filters.get_attribute("open") is None  # folded
    shoot(page, "community-officer/case-list")
    first = page.get_by_test_id("case-list").locator(".list-group-item").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= FOLD, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Filters in the panel keep it open, so what was chosen stays in sight.
    page.goto(page.base_url + reverse("cases:list") + "?channel=phone")
    assert filters.get_attribute("open") is not None


def test_the_repeat_warning_appears_while_the_place_is_chosen(personas, places, page, log_in):
    unit = places.leaders[places.cg1].unit
    original = CaseFactory(grid=places.cg1, building=unit.building, unit=unit)
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:new"))
    assert page.get_by_test_id("similar-cases").count() == 0
    page.get_by_text("春光第1网格小区 1号楼").click()
    page.get_by_text("1单元", exact=True).click()
    page.get_by_label("类别").select_option(label="水电气暖")
    warning = page.get_by_test_id("similar-cases")
    warning.wait_for()
    # The fragment for the last choice is in when it offers the original. (Not "network idle":
    # the service worker keeps pages for offline use in the background.)
    link = page.get_by_label(f"重复了 {original.tracking_code}")
    link.wait_for()
    # Every tap's fragment is in (htmx marks elements with a request in flight), so no late
    # answer replaces the choice made next.
    expect(page.locator(".htmx-request")).to_have_count(0)  # a locator: the CSP forbids eval
    assert original.tracking_code in warning.inner_text()
    shoot(page, "grid-worker/similar-cases", focus=warning)
    link.check()
    expect(page.locator(".htmx-request")).to_have_count(0)
    assert page.get_by_label(f"重复了 {original.tracking_code}").is_checked()
    page.get_by_label("诉求内容").fill("楼上的水管还在漏")
    page.get_by_label("居民姓名").fill("李阿姨")
    page.get_by_label("居民电话").fill("13922223333")
    page.get_by_role("button", name="保存诉求").click()
    expect(page.get_by_test_id("case-state")).to_be_visible()  # the new case's page
    repeat = Case.objects.exclude(pk=original.pk).get()
    assert repeat.duplicate_of == original
    assert original.tracking_code in page.content()


def test_the_notice_prints_without_navigation_or_footer(personas, places, page, log_in):
    case = CaseFactory(grid=places.fn1, state=State.DECIDED, resident_name="王大妈")
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="monthly",
        starts_at=timezone.now(),
        venue_kind="room",
        host=personas.officer_funan,
    )
    item = AgendaItem.objects.create(
        meeting=meeting, case=case, status="decided", plan="翻修", decided_at=timezone.now()
    )
    log_in("officer_funan")
    page.goto(page.base_url + reverse("meetings:notice", args=[meeting.pk, item.pk]))
    assert page.locator("nav.navbar").is_visible() and page.locator("footer").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("footer").is_visible()
    assert not page.get_by_role("button", name="打印").is_visible()
    assert page.get_by_test_id("notice").is_visible()
    page.emulate_media(media="screen")


def test_the_home_screen_icons_answer_200_with_their_sizes(page):
    page.goto(page.base_url + reverse("residents:start"))
    manifest_url = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.request.get(page.base_url + manifest_url)
    assert manifest.ok and manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert body["name"] == "有解"
    import io

    from PIL import Image

    for icon in body["icons"]:
        response = page.request.get(page.base_url + icon["src"])
        assert response.status == 200, icon["src"]
        size = Image.open(io.BytesIO(response.body())).size
        assert f"{size[0]}x{size[1]}" == icon["sizes"]
    for rel in ("icon", "apple-touch-icon"):
        href = page.locator(f'link[rel="{rel}"]').first.get_attribute("href")
        assert page.request.get(page.base_url + href).status == 200


def test_what_was_typed_comes_back_with_the_back_button_until_it_is_sent(
    personas, places, page, log_in
):
    """Case pages are never kept by the browser (residents' data), so Back draws them anew:
    what was typed into a panel, or into the new case form, is filled in again."""
    case = CaseFactory(grid=places.cg1, state=State.RESOLVED)
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    visit = page.get_by_test_id("move-verify")
    visit.locator("summary").click()
    visit.get_by_label("居民满意度").select_option(label="不满意")
    visit.get_by_label("回访情况").fill("王大妈说水龙头又开始滴了")
    page.goto(page.base_url + reverse("home"))
    page.go_back()
    visit = page.get_by_test_id("move-verify")  # opened again, as it was left
    expect(visit.get_by_label("回访情况")).to_be_visible()
    expect(visit.get_by_label("回访情况")).to_have_value("王大妈说水龙头又开始滴了")
    expect(visit.get_by_label("居民满意度")).to_have_value("unsatisfied")

    page.goto(page.base_url + reverse("cases:new"))
    page.get_by_label("诉求内容").fill("3号楼门口的路灯不亮了")
    page.get_by_label("居民姓名").fill("李阿姨")
    page.goto(page.base_url + reverse("home"))
    page.go_back()
    expect(page.get_by_label("诉求内容")).to_have_value("3号楼门口的路灯不亮了")
    expect(page.get_by_label("居民姓名")).to_have_value("李阿姨")
    page.get_by_text("春光第1网格小区 1号楼").click()
    page.get_by_label("类别").select_option(label="水电气暖")
    page.get_by_label("居民电话").fill("13922223333")
    page.get_by_role("button", name="保存诉求").click()
    expect(page.get_by_test_id("case-state")).to_be_visible()  # sent: the new case's page
    page.goto(page.base_url + reverse("cases:new"))
    expect(page.get_by_label("诉求内容")).to_have_value("")  # nothing kept once sent


def test_a_panel_whose_form_comes_when_opened_comes_back_opened_with_what_was_changed(
    personas, places, page, log_in
):
    """The accept panel's form is fetched when it is opened: after Back it is fetched again
    and filled, its deadline the one chosen rather than the form's three days."""
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    log_in("officer_chunguang")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    accept = page.get_by_test_id("move-accept")
    accept.locator("summary").click()
    chosen = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT09:30")
    accept.get_by_label("期限").fill(chosen)
    accept.get_by_label("说明").fill("请物业明早先去看看")
    page.goto(page.base_url + reverse("home"))
    page.go_back()
    accept = page.get_by_test_id("move-accept")
    expect(accept.get_by_label("说明")).to_have_value("请物业明早先去看看")
    expect(accept.get_by_label("期限")).to_have_value(chosen)


def test_a_step_that_cannot_be_undone_keeps_nothing_through_back(personas, places, page, log_in):
    """Anonymising a resident: Back never brings back a confirmation already ticked."""
    case = CaseFactory(grid=places.cg1, state=State.VERIFIED)
    log_in("street_staff")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    anonymise = page.get_by_test_id("anonymise")
    anonymise.locator("summary").click()
    anonymise.get_by_role("checkbox").check()
    anonymise.get_by_role("textbox").fill("居民来电要求删除")
    page.goto(page.base_url + reverse("home"))
    page.go_back()
    anonymise = page.get_by_test_id("anonymise")
    expect(anonymise).not_to_have_attribute("open", "")
    anonymise.locator("summary").click()
    expect(anonymise.get_by_role("checkbox")).not_to_be_checked()
    expect(anonymise.get_by_role("textbox")).to_have_value("")
