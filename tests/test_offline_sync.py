"""What the phone's offline queue sends to (cases/offline.py) and what the service worker may
keep: the same checks as the pages, each item logged once, conflicts refused."""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from cases import workflow
from cases.forms import move_form
from cases.models import Case, CaseEvent, State
from cases.offline import OFFLINE_HEADER
from tests.factories import CaseFactory, upload

pytestmark = pytest.mark.django_db


def request_data(places, **changes):
    building = places.buildings[places.cg1]
    data = {
        "grid": places.cg1.pk,
        "building": building.pk,
        "category": _category_id(),
        "description": "楼道灯不亮",
        "resident_name": "王大妈",
        "resident_phone": "13912345678",
        "channel": "visit",
        "urgency": "routine",
        "submission": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def _category_id():
    from cases.models import Category

    return Category.objects.get_or_create(name="水电气暖")[0].pk


def test_places_are_the_users_own_and_never_anyone_elses(places, personas, login):
    client = login(personas.worker_cg1)
    response = client.get(reverse("cases:offline_places"))
    data = response.json()
    assert response["Cache-Control"] == "no-store, private"
    assert response[OFFLINE_HEADER] == str(personas.worker_cg1.pk)
    assert [g["id"] for g in data["grids"]] == [places.cg1.pk]
    assert {b["grid"] for b in data["buildings"]} == {places.cg1.pk}
    assert data["user"] == personas.worker_cg1.pk and data["csrf"]
    # Another grid's worker: their grid only.
    other = login(personas.worker_cg2).get(reverse("cases:offline_places")).json()
    assert [g["id"] for g in other["grids"]] == [places.cg2.pk]


def test_the_open_cases_to_keep_put_due_follow_up_visits_first(places, personas, login):
    officer = personas.officer_chunguang
    open_case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    due = CaseFactory(
        grid=places.cg1,
        state=State.RESOLVED,
        resolved_by=officer,
        follow_up_due=timezone.now() - timedelta(hours=1),
    )
    CaseFactory(grid=places.cg2, state=State.SUBMITTED)  # another grid's
    data = login(personas.worker_cg1).get(reverse("cases:offline_places")).json()
    assert [c["id"] for c in data["cases"]] == [due.pk, open_case.pk]
    assert data["cases"][0]["follow_up_due"] is True


def test_the_kept_cases_and_categories_read_in_the_users_language(places, personas, login):
    CaseFactory(grid=places.cg1, state=State.SUBMITTED, category_id=_category_id())
    client = login(personas.worker_cg1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = client.get(reverse("cases:offline_places")).json()
    assert data["cases"][0]["category"] == "Water, power, gas and heating"
    names = {c["name"] for c in data["categories"]}
    assert "Water, power, gas and heating" in names and "水电气暖" not in names
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    data = client.get(reverse("cases:offline_places")).json()
    assert data["cases"][0]["category"] == "水电气暖"


def test_a_queued_request_sent_twice_is_one_case(places, personas, login):
    client = login(personas.worker_cg1)
    data = request_data(places)
    first = client.post(reverse("cases:offline_send_case"), {**data, "photos": upload()})
    again = client.post(reverse("cases:offline_send_case"), {**data, "photos": upload()})
    assert first.status_code == again.status_code == 200
    assert first.json()["code"] == again.json()["code"]
    case = Case.objects.get()
    assert case.created_by == personas.worker_cg1 and case.photos.count() == 1


def test_a_refused_request_says_why_field_by_field_and_saves_nothing(places, personas, login):
    client = login(personas.worker_cg1)
    # A building of another grid (removed from this worker's places meanwhile), no category.
    data = request_data(places, building=places.buildings[places.cg2].pk, category="")
    response = client.post(reverse("cases:offline_send_case"), data)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"building", "category"}
    assert Case.objects.count() == 0


def test_a_queued_request_without_its_submission_id_is_refused(places, personas, login):
    client = login(personas.worker_cg1)
    response = client.post(reverse("cases:offline_send_case"), request_data(places, submission=""))
    assert response.status_code == 400 and Case.objects.count() == 0


def test_another_users_submission_id_is_refused_not_answered_with_their_case(
    places, personas, login
):
    data = request_data(places)
    login(personas.worker_cg1).post(reverse("cases:offline_send_case"), data)
    from django.test import Client

    other = Client()
    other.force_login(personas.officer_chunguang)
    response = other.post(reverse("cases:offline_send_case"), data)
    assert response.status_code == 409 and "code" not in response.json()


def due_case(places, personas):
    return CaseFactory(
        grid=places.cg1,
        state=State.RESOLVED,
        resolved_by=personas.officer_chunguang,
        follow_up_due=timezone.now() - timedelta(hours=1),
    )


def visit(client, case, note="回访：正常"):
    return client.post(
        reverse("cases:offline_send_visit", args=[case.pk]),
        {"verify-satisfaction": "satisfied", "verify-note": note},
    )


def test_a_visit_recorded_offline_is_made_once_even_when_sent_again(places, personas, login):
    case = due_case(places, personas)
    client = login(personas.worker_cg1)
    assert visit(client, case).status_code == 200
    again = visit(client, case)  # the first answer was lost on the way
    assert again.status_code == 200 and again.json()["again"] is True
    assert CaseEvent.objects.filter(case=case, move="verify").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_visit_sent_twice_at_once_is_made_once_and_neither_is_a_conflict(places, personas):
    """The page left while it sent the visit and the queue page sent it again: the second
    request waits on the case's lock, then finds the first's visit, which is its own."""
    from tests.test_races import at_once

    case = due_case(places, personas)
    worker = personas.worker_cg1

    def send():
        client = Client()
        client.force_login(worker)
        return visit(client, case)

    answers = at_once([send, send])
    assert sorted(answer.status_code for answer in answers) == [200, 200]
    assert CaseEvent.objects.filter(case=case, move="verify").count() == 1


def test_a_visit_after_someone_else_verified_is_a_conflict_and_overwrites_nothing(
    places, personas, login
):
    case = due_case(places, personas)
    street = personas.street_staff
    scope = Scope.for_user(street)
    form = move_form(
        "verify", case, {"verify-satisfaction": "unsatisfied", "verify-note": "街道回访"}
    )
    assert form.is_valid()
    workflow.perform(scope, street, case.pk, "verify", form.inputs())
    response = visit(login(personas.worker_cg1), case)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True and "冲突" in body["message"]
    case.refresh_from_db()
    assert case.satisfaction == "unsatisfied"
    assert list(case.events.filter(move="verify").values_list("note", flat=True)) == ["街道回访"]


def test_a_visit_with_a_bad_field_is_refused_by_field(places, personas, login):
    case = due_case(places, personas)
    response = login(personas.worker_cg1).post(
        reverse("cases:offline_send_visit", args=[case.pk]),
        {"verify-satisfaction": "delighted", "verify-note": ""},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"satisfaction", "note"}
    case.refresh_from_db()
    assert case.state == State.RESOLVED


def test_a_visit_to_a_case_outside_the_places_is_404(places, personas, login):
    case = due_case(places, personas)
    assert visit(login(personas.worker_cg2), case).status_code == 404


def test_the_case_page_is_kept_offline_but_a_revealed_number_never(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, resident_phone="13900001111")
    client = login(personas.worker_cg1)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page[OFFLINE_HEADER] == str(personas.worker_cg1.pk)
    assert "139****1111" in page.content.decode()
    revealed = client.post(reverse("cases:phone", args=[case.pk]))
    assert "13900001111" in revealed.content.decode()
    assert OFFLINE_HEADER not in revealed and "no-store" in revealed["Cache-Control"]


def test_background_keeping_sets_no_cookie(places, personas, login):
    client = login(personas.worker_cg1)
    kept = client.get(reverse("cases:new"), headers={"X-Offline-Keep": "1"})
    assert kept.status_code == 200 and kept[OFFLINE_HEADER] and not kept.cookies
    assert client.get(reverse("cases:new")).cookies  # the page itself still sets the CSRF one


def test_the_service_worker_controls_the_whole_site_and_is_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    config = json.loads(response.content.decode().split("\n", 1)[0][len("self.YOUJIE = ") : -1])
    assert config["workboxSw"] == "/static/vendor/workbox/workbox-sw.js"
    assert all(entry["revision"] for entry in config["precache"])
    csp = response["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe" not in csp


def test_the_queue_page_is_kept_for_its_user(personas, login):
    response = login(personas.worker_cg1).get(reverse("cases:offline"))
    assert response.status_code == 200 and response[OFFLINE_HEADER]
    assert "本机待发" in response.content.decode()
