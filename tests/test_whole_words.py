"""A date, a time or a tracking code in running text never breaks over two lines ("2026-11-"
on one, "17" on the next reads as two numbers): each is kept whole where a phone's narrow
column would break it (common/templatetags/whole.py). The browser measures the pages at
360 px (tests/browser/measure.py); these tests pin the places a walk found broken."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from recurring.grouping import group_cases
from tests.recurring_helpers import case_at
from tests.test_one_language import decided, meeting, reading  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
WHOLE = r'<span class="text-nowrap">{}</span>'
DAY = r"\d{4}-\d{2}-\d{2}"


def test_a_case_pages_came_in_line_keeps_its_date_and_time_whole(places, personas, login):
    case = case_at(places.cg1, 3)
    client = login(personas.officer_chunguang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert re.search(WHOLE.format(DAY + r" \d{2}:\d{2}"), page)


def test_a_recurring_problems_dates_stay_whole_in_its_list_and_on_its_page(places, personas, login):
    building = places.buildings[places.fn1]
    for days in (80, 50, 20):
        case_at(places.fn1, days, building, description="水龙头滴水")
    group_cases()
    client = login(personas.officer_funan)
    listed = client.get(reverse("recurring:list")).content.decode()
    assert re.search(WHOLE.format(DAY) + " 至 " + WHOLE.format(DAY), listed)


def test_the_street_home_says_when_the_report_will_be_frozen_in_one_piece(personas, login):
    page = login(personas.street_staff).get("/").content.decode()
    assert re.search("本月报表将于 " + WHOLE.format(DAY + r" \d{2}:\d{2}") + " 封存", page)


def test_the_notices_task_deadline_stays_whole(personas, login, decided):  # noqa: F811
    url = reverse("meetings:notice", args=[decided.meeting_id, decided.pk])
    page = login(personas.officer_chunguang).get(url).content.decode()
    assert re.search(WHOLE.format(r"\d{4}年\d{1,2}月\d{1,2}日") + "前完成", page)


def test_a_qr_labels_address_breaks_only_after_a_slash(places, personas, login):
    sheet = login(personas.worker_cg1).get(
        reverse("residents:qr_sheet", args=["grid", places.cg1.pk])
    )
    code = places.leaders[places.cg1].unit.public_code
    assert f"/<wbr>r/<wbr>p/<wbr>{code}/<wbr>" in sheet.content.decode()


def test_the_repeat_warning_keeps_the_older_cases_code_and_date_whole(places, personas, login):
    older = case_at(places.cg1, 2, places.buildings[places.cg1])
    client = login(personas.worker_cg1)
    params = {"grid": places.cg1.pk, "building": older.building_id, "category": older.category_id}
    page = client.get(reverse("cases:similar"), params).content.decode()
    assert "重复了 " + WHOLE.format(older.tracking_code) in page
    assert re.search(WHOLE.format(DAY) + " · ", page)


# A date written by a template into running text ({{ x|date:"Y-m-d" }}) is kept whole; inside
# an attribute (a form's value, a datetime=) it is not text and stays as it is.
TEMPLATE_DATE = re.compile(r'\|date:"Y-m-d[^"]*"(?!(\|default:"[^"]*")?\|nowrap)')
IN_ATTRIBUTE = re.compile(r'="[^"]*$')


def test_every_template_keeps_the_dates_it_writes_into_text_whole():
    loose = []
    for path in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        text = path.read_text()
        for found in TEMPLATE_DATE.finditer(text):
            line_start = text.rfind("\n", 0, found.start()) + 1
            if not IN_ATTRIBUTE.search(text[line_start : found.start()]):
                line = text.count("\n", 0, found.start()) + 1
                loose.append(f"{path.relative_to(settings.BASE_DIR)}:{line}")
    assert loose == []
