"""No default that biases a record: what a resident answers (their satisfaction at the
follow-up visit, what their request is about) and what a case's outcome was are chosen by a
person, never by the form. An answer left unchosen is asked for, and nothing is saved."""

import re

import pytest
from django.urls import reverse

from cases.models import Case, State
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def chosen_options(html, name):
    """The options a browser would send for the <select name=…> as the page arrives."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(1))
    chosen = [value for value, attrs in options if "selected" in attrs]
    return chosen or [options[0][0]]  # a select with nothing marked sends its first option


def test_the_follow_up_visit_asks_for_the_residents_satisfaction(places, personas, login):
    case = CaseFactory(
        grid=places.cg1, state=State.RESOLVED, resolved_by=personas.officer_chunguang
    )
    client = login(personas.worker_cg1)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert chosen_options(page, "verify-satisfaction") == [""]
    response = client.post(
        reverse("cases:move", args=[case.pk, "verify"]), {"verify-note": "回访了，居民在外地"}
    )
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()  # beside the satisfaction
    case.refresh_from_db()
    assert case.state == State.RESOLVED and case.satisfaction == ""


def test_resolving_asks_for_the_outcome_and_how_it_was_explained(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.IN_PROGRESS, owner=personas.officer_chunguang)
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:move", args=[case.pk, "resolve"])).content.decode()
    assert chosen_options(page, "resolve-outcome") == [""]
    assert chosen_options(page, "resolve-explanation_method") == [""]
    response = client.post(
        reverse("cases:move", args=[case.pk, "resolve"]),
        {"resolve-note": "换了水管", "resolve-explanation": "已换新水管"},
    )
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == State.IN_PROGRESS


def test_logging_a_request_asks_what_it_is_about(places, personas, login):
    page = login(personas.worker_cg1).get(reverse("cases:new")).content.decode()
    assert chosen_options(page, "category") == [""]
