"""The bell on a phone: the unread count shows without opening the menu and leads to the case."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications import dispatch
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_sees_the_reminder_in_the_bell_and_opens_the_case(
    personas, places, page, log_in
):
    late = CaseFactory(grid=places.cg1, response_deadline=timezone.now() - timedelta(hours=3))
    dispatch.scan()
    log_in("officer_chunguang")
    badge = page.get_by_test_id("unread-count")
    assert badge.is_visible() and badge.inner_text() == "1"
    page.get_by_test_id("bell").click()
    page.get_by_role("button", name=f"超时未接单：{late.tracking_code}").click()
    expect(page.locator("h1")).to_contain_text(late.tracking_code)
    assert page.get_by_test_id("unread-count").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
