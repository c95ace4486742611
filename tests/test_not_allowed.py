"""A form's address opened in the browser (typed, bookmarked, from the history) is a page
that says what the address is for, in the reader's language, not the browser's blank 405.
Programs keep the bare status they read."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_move_opened_from_the_address_bar_is_a_page_that_leads_back(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.officer_chunguang)
    response = client.get(reverse("meetings:emergency", args=[case.pk]))
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "这个地址不能直接打开" in page and 'href="/"' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("meetings:emergency", args=[case.pk])).content.decode()
    assert "Not a page to open" in english


def test_a_residents_switch_opened_directly_leads_back_to_the_residents_start(places):
    response = Client().get(reverse("residents:switch"))
    assert response.status_code == 405
    assert f'href="{reverse("residents:start")}"' in response.content.decode()


def test_a_program_still_reads_a_bare_405(places):
    response = Client().delete("/open311/v2/requests.json")
    assert response.status_code in (400, 401, 403, 405)
    assert "这个地址不能直接打开" not in response.content.decode()
