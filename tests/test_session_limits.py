"""Sessions end after 30 idle minutes and 12 hours after logging in (the defaults); the user
is told why and brought back to the page they were on. Residents' pages are not affected."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
IDLE_ZH = "您已 30 分钟未操作，已自动退出。请重新登录以继续。"
LONG_ZH = "您登录已满 12 小时，已自动退出。请重新登录以继续。"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker(personas, clock):
    client = Client()
    client.force_login(personas.worker_cg1)
    return client


def logged_in(client):
    return "_auth_user_id" in client.session


def test_idle_longer_than_the_limit_logs_out_and_says_why(worker, clock):
    assert worker.get(reverse("cases:list")).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    response = worker.get(reverse("cases:list") + "?state=new")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/cases/%3Fstate%3Dnew"
    assert not logged_in(worker)
    assert IDLE_ZH in worker.get(response["Location"]).content.decode()


def test_logging_in_again_brings_the_user_back_to_the_page(worker, clock, personas):
    clock.shift(dt.timedelta(minutes=31))
    login_page = worker.get(reverse("cases:list"))["Location"]
    response = worker.post(
        login_page,
        {"username": "worker_cg1", "password": "youjie-demo-2026", "next": "/cases/"},
    )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert worker.get("/cases/").status_code == 200


def test_activity_keeps_the_session_alive_until_the_absolute_limit(worker, clock):
    for _ in range(35):  # a request every 20 minutes: 11 h 40 min
        clock.shift(dt.timedelta(minutes=20))
        assert worker.get(reverse("home")).status_code == 200
    clock.shift(dt.timedelta(minutes=21))  # 12 h 1 min after logging in
    response = worker.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert LONG_ZH in worker.get(response["Location"]).content.decode()


def test_just_under_the_idle_limit_the_user_stays(worker, clock):
    clock.shift(dt.timedelta(minutes=29, seconds=50))
    assert worker.get(reverse("home")).status_code == 200
    clock.shift(dt.timedelta(minutes=29, seconds=50))
    assert worker.get(reverse("home")).status_code == 200


@override_settings(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
def test_the_limits_come_from_settings(worker, clock):
    clock.shift(dt.timedelta(minutes=6))
    assert worker.get(reverse("home")).status_code == 302


def test_residents_pages_neither_end_nor_extend_a_staff_session(worker, clock):
    clock.shift(dt.timedelta(minutes=31))
    assert worker.get(reverse("residents:start")).status_code == 200
    assert logged_in(worker)  # a public page does not log out…
    assert worker.get(reverse("home")).status_code == 302  # …nor count as activity


def test_residents_are_not_affected(places, clock):
    resident = Client()
    assert resident.get(reverse("residents:start")).status_code == 200
    clock.shift(dt.timedelta(hours=13))
    assert resident.get(reverse("residents:start")).status_code == 200


def test_a_fragment_request_sends_the_whole_page_to_the_login(worker, clock):
    clock.shift(dt.timedelta(minutes=31))
    response = worker.get(
        reverse("home"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/?page=2"},
    )
    assert response["HX-Redirect"] == "/login/?next=/cases/%3Fpage%3D2"


def test_a_form_sent_after_the_limit_returns_to_the_page_it_came_from(worker, clock):
    clock.shift(dt.timedelta(minutes=31))
    response = worker.post(
        reverse("notifications:read_all"),
        headers={"Referer": "http://testserver/notifications/"},
    )
    assert response["Location"] == "/login/?next=/notifications/"


def test_the_admin_ends_with_the_session_too(personas, clock):
    personas.street_staff.is_staff = True
    personas.street_staff.save()
    client = Client()
    client.force_login(personas.street_staff)
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_message_is_in_english_for_english_users(worker, clock):
    worker.cookies["django_language"] = "en"
    clock.shift(dt.timedelta(minutes=31))
    page = worker.get(reverse("home"), follow=True).content.decode()
    assert "You were logged out after 30 minutes without activity." in page


def test_each_page_tells_the_phone_how_long_the_session_has_left(worker, clock, personas):
    """The phone wipes its kept pages when this runs out (static/js/sw.js), even offline."""
    pk = personas.worker_cg1.pk
    assert worker.get(reverse("home"))["X-Session"] == f"{pk}; ends-in=1800"
    clock.shift(dt.timedelta(minutes=10))
    # The last-seen time moved: 30 idle minutes from now again.
    assert worker.get(reverse("home"))["X-Session"] == f"{pk}; ends-in=1800"
    for _ in range(35):
        clock.shift(dt.timedelta(minutes=20))
        worker.get(reverse("home"))
    # 11 h 50 min after logging in, the 12-hour limit comes before the idle one.
    assert worker.get(reverse("home"))["X-Session"] == f"{pk}; ends-in=600"
    assert "X-Session" not in worker.get(reverse("residents:start"))


def test_the_session_header_is_never_sent_to_someone_logged_out(places, clock):
    assert "X-Session" not in Client().get(reverse("login"))


def test_a_fragment_request_after_the_session_is_gone_sends_the_whole_page_to_the_login(
    worker,
):
    # The session ended with nobody there: its row expired or another tab logged out.
    Session.objects.all().delete()
    response = worker.get(
        reverse("cases:list"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/?page=2"},
    )
    assert response.status_code == 200 and not response.has_header("Location")
    assert response["HX-Redirect"] == "/login/?next=/cases/%3Fpage%3D2"


def test_a_plain_page_after_the_session_is_gone_still_redirects_to_the_login(worker):
    Session.objects.all().delete()
    response = worker.get(reverse("cases:list") + "?page=2")
    assert response.status_code == 302 and not response.has_header("HX-Redirect")
    assert response["Location"] == "/login/?next=/cases/%3Fpage%3D2"
