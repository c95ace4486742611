"""The logging form's place picker on a phone, with JavaScript: choices made faster than the
server answers end on the last one chosen, with nothing logged to the console, and a grid chosen
anew never leaves another grid's units on offer."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quick_choices_end_on_the_last_one_and_a_new_grid_clears_the_units(
    personas, places, page, log_in
):
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    log_in("officer_chunguang")
    page.goto(page.base_url + reverse("cases:new"))
    first, second = places.leaders[places.cg1].unit, places.leaders[places.cg2].unit
    page.get_by_label("网格", exact=True).select_option(str(places.cg1.pk))
    page.locator(f"label[for=building-{first.building_id}]").click()
    expect(page.locator(f"#unit-{first.pk}")).to_be_attached()
    # Categories chosen one after another before the possible repeats have come back.
    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True)[:3])
    for pk in categories:
        page.get_by_label("类别").select_option(str(pk))
    expect(page.get_by_label("类别")).to_have_value(str(categories[-1]))
    page.get_by_label("网格", exact=True).select_option(str(places.cg2.pk))
    expect(page.locator(f"label[for=building-{second.building_id}]")).to_be_visible()
    expect(page.locator(f"#unit-{first.pk}")).to_have_count(0)
    expect(page.locator("#unit-picker input")).to_have_count(0)
    page.locator(f"label[for=building-{second.building_id}]").click()
    expect(page.locator(f"#unit-{second.pk}")).to_be_attached()
    assert errors == []
