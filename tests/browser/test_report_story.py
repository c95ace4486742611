"""The monthly report tried by street staff on the demo street: last month's 三率 per
community, both charts, a drill-down, and an XLSX whose numbers match the page."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Q
from openpyxl import load_workbook
from playwright.sync_api import expect

from cases.models import Case
from meetings.models import Meeting
from meetings.selectors import HELD_STATES
from tests.browser.shots import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SMALLEST_CHART_LABEL = """() => Math.min(...[...document.querySelectorAll('svg.report-chart')]
    .flatMap(svg => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text')].map(
            t => parseFloat(getComputedStyle(t).fontSize) * scale);
    }))"""


def table(page):
    """{place: {heading: cell text}} of the report table as the page shows it."""
    headings = page.locator("[data-testid=report-table] thead th").all_inner_texts()
    rows = {}
    for row in page.locator("[data-testid=report-table] tbody tr").all():
        cells = row.locator("th, td").all_inner_texts()
        rows[cells[0].strip()] = dict(
            zip(headings[1:], (c.strip() for c in cells[1:]), strict=True)
        )
    return headings, rows


def test_street_staff_read_last_months_report_and_download_it(page, log_in):
    call_command("seed_demo", stdout=io.StringIO())
    # The demo year reads like the seed: about 139 meetings held, 135 cases resolved through
    # deliberation.
    held = Meeting.objects.filter(state__in=HELD_STATES).count()
    deliberated = (
        Case.objects.filter(Q(state__in=["resolved", "verified"]), agenda_items__status="decided")
        .distinct()
        .count()
    )
    assert 130 <= held <= 148 and 125 <= deliberated <= 145, (held, deliberated)

    log_in("street")
    shoot(page, "street-staff/home")
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="报表").click()
    expect(page.get_by_test_id("card-春光社区")).to_be_visible()
    shoot(page, "street-staff/report")
    headings, rows = table(page)
    assert len(rows) == 8 and "春光社区" in rows
    for heading in ("响应率", "解决率", "满意率"):
        assert heading in headings
        assert all(
            values[heading].endswith("%") or values[heading] == "—" for values in rows.values()
        )
    assert page.get_by_test_id("trend-chart").locator("svg rect").count() > 12
    # At 360 px the page does not scroll sideways: each community is a card with its 三率.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not page.get_by_test_id("report-table").is_visible()
    card = page.get_by_test_id("card-春光社区")
    assert card.is_visible()
    for heading in ("响应率", "解决率", "满意率", "收到", "解单"):
        assert heading in card.inner_text()
    card.get_by_text("全部数据").click()
    assert card.get_by_text("逾期").is_visible()
    shoot(page, "street-staff/report-card", focus=card)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Every chart label is drawn at 11 px or more on the phone.
    assert page.evaluate(SMALLEST_CHART_LABEL) >= 11
    assert page.get_by_test_id("comparison-chart").locator("svg").get_attribute("role") == "img"

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    lines = list(sheet.iter_rows(values_only=True))
    sheet_headings = list(lines[2])
    for line in lines[3:-1]:
        shown = rows[line[0]]
        for heading in ("收到", "解单", "响应率", "解决率", "满意率"):
            value = line[sheet_headings.index(heading)]
            if value is None:
                assert shown[heading] == "—", (line[0], heading)
            elif heading.endswith("率"):  # a fraction the sheet shows as a percentage
                assert float(shown[heading].rstrip("%")) == round(value * 100, 1), line[0]
            else:
                assert float(shown[heading].rstrip("%")) == float(value), (line[0], heading)

    page.get_by_role("link", name="春光社区").first.click()
    expect(page.get_by_test_id("card-第1网格")).to_be_visible()
    assert "春光社区" in page.get_by_test_id("report-title").inner_text()
    _headings, grid_rows = table(page)
    assert len(grid_rows) == 14 and "第1网格" in grid_rows
    shoot(page, "street-staff/community-report")
    # On the phone a community's grids are cards too; the page does not scroll sideways.
    assert page.get_by_test_id("card-第1网格").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(SMALLEST_CHART_LABEL) >= 11
