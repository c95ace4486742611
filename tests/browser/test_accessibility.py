"""The English pages tried at 360 px with axe-core: no serious or critical violation (the
Chinese pages of every role and of the residents are tried in tests/browser/test_phone_measures.py,
on the same visit as their tap targets and tables). The residents' pages keep tap targets of
44 px and offer a large-text mode (适老化) that stays on from page to page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.main_pages import resident_pages, sample_data, staff_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(personas, places):
    return sample_data(personas, places)


def check(page, paths, language="zh-hans"):
    found = []
    for path in paths:
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == language, path
        found += [f"{path}: {problem}" for problem in violations(page)]
    return "\n".join(found)


def test_no_serious_accessibility_violation_in_english(data, places, page, log_in):
    case, meeting = data
    log_in("officer_chunguang")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    paths = staff_pages("officer_chunguang", case, meeting, places)[:5] + resident_pages(places)
    assert check(page, paths, language="en") == ""


SMALL_TARGETS = """() => [
    ...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')]
    .filter(e => !e.closest('[aria-hidden=true]') && e.getClientRects().length)
    .map(e => [e.outerHTML.slice(0, 90), e.getBoundingClientRect().height])
    .filter(([_html, height]) => height < 44)"""


FIELD_BORDERS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]):not([type=file]), select, textarea')]
    .filter(e => !e.closest('[aria-hidden=true]') && e.getClientRects().length)
    .map(e => getComputedStyle(e).borderTopColor)"""


def contrast_with_white(css_colour):
    """WCAG contrast ratio of an rgb()/rgba() colour against the white page."""
    red, green, blue = (int(float(v)) for v in re.findall(r"[\d.]+", css_colour)[:3])

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def test_every_tap_target_on_the_residents_pages_is_44_px_high(data, places, page):
    for path in resident_pages(places):
        page.goto(page.base_url + path)
        assert page.evaluate(SMALL_TARGETS) == [], path
        # Field borders stand out from the page (WCAG 2.1 AA non-text contrast, 3:1).
        for colour in page.evaluate(FIELD_BORDERS):
            assert contrast_with_white(colour) >= 3, (path, colour)


def root_font_px(page):
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def test_large_text_mode_enlarges_the_residents_pages_and_stays_on(data, places, page):
    start, community, _place, status = resident_pages(places)
    page.goto(page.base_url + start)
    assert root_font_px(page) == 16
    page.get_by_role("button", name="大字模式").click()
    expect(page.get_by_role("button", name="标准字号")).to_be_visible()
    assert page.url.endswith(start)  # back where the resident was
    assert root_font_px(page) == 20
    # It stays on from page to page, and the page still fits the phone.
    for path in (community, status):
        page.goto(page.base_url + path)
        assert root_font_px(page) == 20, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert page.evaluate(SMALL_TARGETS) == [], path
    assert violations(page) == []
    page.get_by_role("button", name="标准字号").click()
    expect(page.get_by_role("button", name="大字模式")).to_be_visible()
    assert page.url.endswith(status)
    assert root_font_px(page) == 16
