"""Every date and number a page reads from its address: a bad one is a 400 that says which
control of the page it stands for is wrong, by the control's name (「月份」, not "month"), or
the page's own form message; never a 500.

The class: `/meetings/calendar/?month=9999-12` answered 500 (the next month is year 10000).
"""

import re

import pytest
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

BAD_MONTHS = [
    "9999-12",  # its following month overflows
    "0001-01",  # its previous month overflows
    "0000-01",
    "10000-01",
    "2026-13",
    "2026-00",
    "2026-1",
    "-2026-01",
    "２０２６-０１",  # full-width digits: Python's int() would read them
    "2026-01\x00",
    "2026-01-01",
    "abc",
    "9" * 5000,
]
BAD_NUMBERS = [
    "0",
    "-1",
    "99999999999999999999999",
    "9223372036854775808",  # one past PostgreSQL's bigint
    "１２",
    "1e3",
    " 1",
    "1\x00",
    "abc",
    "9" * 5000,
]
# The control of the page each parameter stands for, as the Chinese page names it.
CONTROLS = {
    "month": "月份",
    "year": "年份",
    "community": "社区",
    "grid": "网格",
    "building": "楼栋",
    "street": "街道",
}
BAD_YEARS = ["0", "1", "1999", "9999", "10000", "-2026", "２０２６", "2026\x00", "abc"]

# (url name, url args, who asks, parameter, bad values)
PAGES = [
    ("meetings:calendar", [], "officer_funan", "month", BAD_MONTHS),
    ("meetings:calendar", [], "officer_funan", "community", BAD_NUMBERS),
    ("meetings:stats", [], "officer_funan", "year", BAD_YEARS),
    ("meetings:stats", [], "officer_funan", "community", BAD_NUMBERS),
    ("meetings:list", [], "officer_funan", "community", BAD_NUMBERS),
    ("reports:report", [], "street_staff", "month", BAD_MONTHS),
    ("reports:report", [], "street_staff", "year", BAD_YEARS),
    ("reports:report", [], "street_staff", "community", BAD_NUMBERS),
    ("reports:export", ["csv"], "street_staff", "month", BAD_MONTHS),
    ("reports:export", ["xlsx"], "street_staff", "year", BAD_YEARS),
    ("reports:cases", [], "street_staff", "month", BAD_MONTHS),
    ("reports:cases", [], "street_staff", "grid", BAD_NUMBERS),
    ("reports:cases", [], "street_staff", "community", BAD_NUMBERS),
    ("cases:place_picker", [], "worker_cg1", "grid", BAD_NUMBERS),
    ("cases:place_picker", [], "worker_cg1", "building", BAD_NUMBERS),
    ("grids:import", [], "street_staff", "street", BAD_NUMBERS),
    ("grids:import_template", [], "street_staff", "street", BAD_NUMBERS),
]


def _label(page):
    name, args, _who, parameter, _values = page
    return f"{name}{args or ''}?{parameter}"


@pytest.mark.parametrize("page", PAGES, ids=_label)
def test_a_bad_date_or_number_in_the_address_is_a_400_with_a_message(personas, places, login, page):
    name, args, who, parameter, values = page
    client = login(getattr(personas, who))
    url = reverse(name, args=args)
    extra = {"figure": "received"} if name == "reports:cases" else {}
    for value in values:
        response = client.get(url, {**extra, parameter: value})
        assert response.status_code == 400, (parameter, value, response.status_code)
        message = response.content.decode()
        if "\x00" in value:  # refused before the page reads it (common/input_guard.py)
            assert "NUL" in message, (parameter, value)
            continue
        # Said by the name of the page's control (「月份」), never the address's parameter.
        said = re.search(r'data-testid="bad-request-message">([^<]*)<', message).group(1)
        assert f"“{CONTROLS[parameter]}”" in said, (parameter, value, said)
        assert parameter not in said and "参数" not in said, (parameter, value, said)


@pytest.mark.parametrize(
    ("name", "parameter", "value"),
    [
        ("cases:list", "page", "99999999999999999999999"),
        ("cases:list", "page", "-1"),
        ("cases:list", "page", "１"),
        ("cases:list", "logged_from", "0000-01-01"),
        ("cases:list", "logged_from", "9999-12-31"),
        ("cases:list", "logged_to", "2026-02-30"),
        ("cases:list", "community", "99999999999999999999999"),
        ("cases:list", "grid", "-1"),
        ("cases:list", "category", "9223372036854775808"),
        ("meetings:list", "page", "9" * 5000),
        ("notifications:list", "page", "\x00"),
    ],
)
def test_list_filters_and_pages_take_any_value_without_a_500(
    personas, places, login, name, parameter, value
):
    client = login(personas.street_staff)
    response = client.get(reverse(name), {parameter: value})
    assert response.status_code in (200, 400)


def test_the_calendar_stops_its_links_at_the_months_it_shows(personas, places, login):
    client = login(personas.officer_funan)
    last = client.get(reverse("meetings:calendar"), {"month": "2099-12"})
    first = client.get(reverse("meetings:calendar"), {"month": "2000-01"})
    assert last.status_code == first.status_code == 200
    assert "month=2100-01" not in last.content.decode() and "2099-11" in last.content.decode()
    assert "month=1999-12" not in first.content.decode() and "2000-02" in first.content.decode()


@pytest.mark.pinned("2026-11-20T10:00+08:00")  # written around October 2026
def test_a_good_month_still_shows_the_calendar_and_the_report(personas, places, login):
    CaseFactory(grid=places.cg1)
    officer = login(personas.officer_funan)
    assert officer.get(reverse("meetings:calendar"), {"month": "2026-10"}).status_code == 200
    assert officer.get(reverse("meetings:stats"), {"year": "2026"}).status_code == 200
    staff = login(personas.street_staff)
    assert staff.get(reverse("reports:report"), {"month": "2026-10"}).status_code == 200


def test_a_huge_id_in_the_path_is_a_404(personas, places, login):
    client = login(personas.street_staff)
    for name in ("cases:detail", "meetings:detail", "grids:grid", "grids:import_batch"):
        response = client.get(reverse(name, args=[99999999999999999999999]))
        assert response.status_code == 404, name
