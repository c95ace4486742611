"""The administration (Django's admin, where street staff and whoever runs the system manage
accounts, roles, places and categories) on a 360 px phone: every control a thumb can hit
(44 × 44 px), and no page wider than the screen."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cases.models import Category
from tests.browser.measure import small_controls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def admin_pages(places, personas):
    return [
        reverse("admin:index"),
        reverse("admin:grids_community_changelist"),
        reverse("admin:grids_community_change", args=[places.chunguang.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[personas.worker_cg1.pk]),
        reverse("admin:cases_category_changelist"),
        reverse("admin:cases_category_change", args=[Category.objects.first().pk]),
        reverse("admin:auth_user_add"),
    ]


@pytest.mark.timeout(240)
def test_every_admin_page_fits_a_thumb_and_the_screen(places, personas, page, log_in):
    get_user_model().objects.create_superuser("it_admin", "it@example.com", "youjie-demo-2026")
    log_in("it_admin")
    found = []
    for path in admin_pages(places, personas):
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        found += [f"{path}: small control {control}" for control in small_controls(page)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            found.append(f"{path}: the page is {width} px wide")
    assert found == [], "\n".join(found)
