"""/healthz for the load balancer and monitoring, and the banner staff see when reminders
have stopped going out (the reminder scan's heartbeat)."""

import socket
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from notifications import dispatch, heartbeat
from notifications.models import Heartbeat

pytestmark = pytest.mark.django_db

BANNER = 'data-testid="reminder-scan-banner"'


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scanned(minutes_ago):
    Heartbeat.objects.update_or_create(
        name=heartbeat.SCAN, defaults={"at": timezone.now() - timedelta(minutes=minutes_ago)}
    )


@pytest.fixture(autouse=True)
def nothing_cached():
    """Pages find no scan time in the cache (conftest puts one there): they ask the database."""
    cache.delete(heartbeat.CACHE_KEY)


def test_a_healthy_node_answers_200_with_each_check(client):
    dispatch.scan()  # what beat runs every minute; it records its heartbeat
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "reminder_scan"}
    assert all(check["ok"] for check in body["checks"].values())
    assert 0 <= body["checks"]["reminder_scan"]["age_seconds"] < 60
    assert body["checks"]["reminder_scan"]["stale_after_seconds"] == 600


def test_healthz_needs_no_login_sets_no_cookie_and_takes_any_host(client, settings):
    dispatch.scan()
    sessions = Session.objects.count()
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")  # not in ALLOWED_HOSTS
    assert response.status_code == 200
    assert not response.cookies
    assert Session.objects.count() == sessions


def test_plain_http_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    dispatch.scan()
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("login")).status_code == 301  # the pages themselves are


def test_a_stale_scan_fails_the_check_and_staff_see_a_banner(client, personas, settings):
    settings.REMINDER_SCAN_STALE_MINUTES = 10
    scanned(minutes_ago=25)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    scan = body["checks"]["reminder_scan"]
    assert scan == {**scan, "ok": False, "error": "stale"}
    assert 25 * 60 <= scan["age_seconds"] < 26 * 60
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]

    for staff in (personas.street_staff, personas.officer_chunguang):
        client.force_login(staff)
        page = client.get(reverse("cases:list")).content.decode()
        assert BANNER in page and "提醒没有发出" in page, staff
    client.force_login(personas.worker_cg1)  # grid workers are told by their officers
    assert BANNER not in client.get(reverse("cases:list")).content.decode()


def test_the_banner_goes_once_the_scan_runs_again(client, personas):
    scanned(minutes_ago=25)
    client.force_login(personas.street_staff)
    assert BANNER in client.get(reverse("home")).content.decode()
    dispatch.scan()  # the worker is back
    assert BANNER not in client.get(reverse("home")).content.decode()
    assert client.get("/healthz").status_code == 200


def test_a_scan_that_never_ran_fails_the_check(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["reminder_scan"]["error"] == "never ran"


def test_a_broker_that_does_not_answer_fails_the_check_and_says_which(client, monkeypatch):
    from config.celery import app

    dispatch.scan()
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{dead_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["broker"]["ok"]
    assert "Connection" in checks["broker"]["error"] or "refused" in checks["broker"]["error"]
    assert checks["database"]["ok"] and checks["cache"]["ok"] and checks["reminder_scan"]["ok"]
    assert checks["broker"]["ms"] < 5000


def test_a_cache_that_does_not_answer_fails_the_check(client, settings):
    dispatch.scan()
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.FallbackRedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["cache"]["ok"] and checks["database"]["ok"]


def test_a_load_balancer_may_ask_for_some_checks_only(client):
    scanned(minutes_ago=60)  # the workers' fault, not this web node's
    response = client.get("/healthz?checks=database,cache")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache"}


@pytest.mark.parametrize(
    "method, query, status",
    [("post", "", 405), ("get", "?checks=nonsense", 400), ("head", "?checks=database", 200)],
)
def test_odd_requests_get_a_clear_answer_never_a_500(client, method, query, status):
    response = getattr(client, method)(f"/healthz{query}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_the_banner_costs_pages_no_query_once_cached(client, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scanned(minutes_ago=25)
    client.force_login(personas.street_staff)
    client.get(reverse("home"))  # reads the heartbeat, and keeps it 30 s in the cache
    Heartbeat.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("home")).content.decode()
    assert BANNER in page
    assert not any("notifications_heartbeat" in query["sql"] for query in captured)
