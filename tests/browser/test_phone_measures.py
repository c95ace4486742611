"""Every page of every role, and the residents' pages, on a 360 px phone, each visited once
for three checks: axe-core finds no serious or critical violation; every control is at least
44 × 44 px (a thumb); every table reads (no sideways scrolling, no column narrower than a
word, no tracking code broken over lines). tests/browser/test_accessibility.py holds the
English pages and the residents' large-text mode."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AccessEvent, Kind
from tests.browser.axe import violations
from tests.browser.measure import small_controls, unreadable_tables
from tests.main_pages import ROLES, resident_pages, sample_data, staff_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(personas, places):
    case, meeting = sample_data(personas, places)
    # The access log as a street has it: a full number shown, a search, an export.
    for kind, detail in ((Kind.PHONE_VIEWED, ""), (Kind.CASE_EXPORT, "cases.xlsx")):
        AccessEvent.objects.create(
            kind=kind,
            user=personas.street_staff,
            street=places.street,
            case=case,
            phone="13912345678",
            count=1,
            detail=detail,
        )
    return case, meeting


def table_pages(role, case, places):
    """Pages with tables besides the main ones."""
    month = f"month={timezone.localdate():%Y-%m}"
    building = places.buildings[places.cg1]
    return {
        "street_staff": [
            reverse("reports:cases") + f"?figure=received&{month}",
            reverse("grids:community", args=[places.chunguang.pk]),
            reverse("grids:building", args=[building.pk]),
            reverse("interop:integration"),
        ],
        "officer_chunguang": [reverse("grids:building", args=[building.pk])],
        "worker_cg1": [reverse("grids:building", args=[building.pk])],
    }[role]


def measure(page, paths):
    found = []
    for path in paths:
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "zh-hans", path
        found += [f"{path}: {problem}" for problem in violations(page)]
        found += [f"{path}: small control {c}" for c in small_controls(page)]
        found += [f"{path}: {problem}" for problem in unreadable_tables(page)]
    return found


# Street staff walk some twenty pages: on a busy machine that takes longer than one story.
@pytest.mark.timeout(360)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_passes_axe_fits_a_thumb_and_its_tables_read(
    data, places, page, log_in, role
):
    case, meeting = data
    log_in(role)
    paths = staff_pages(role, case, meeting, places) + table_pages(role, case, places)
    found = measure(page, paths)
    assert found == [], "\n".join(found)


def test_every_residents_page_passes_axe_and_fits_a_thumb(data, places, page):
    case, _meeting = data
    found = measure(page, resident_pages(places))
    page.goto(page.base_url + reverse("residents:status"))
    page.get_by_label("跟踪码").fill(case.tracking_code)
    page.get_by_label("手机号后 4 位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("stages")).to_be_visible()
    found += [f"lookup: {problem}" for problem in violations(page)]
    found += [f"lookup: small control {c}" for c in small_controls(page)]
    assert found == [], "\n".join(found)
