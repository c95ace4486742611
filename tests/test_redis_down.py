"""With Redis gone, residents can still send a request and look it up, the limits still hold
(each process counts in its own memory), staff still log in, and the logs say so once a minute.

Redis here is real and really absent: the cache points at a port nothing listens on, or at a
socket that accepts and never answers (a hung server)."""

import logging
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from cases.models import Case, Category
from common import cache as fallback_cache
from config.settings.base import redis_cache
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOBODY_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(NOBODY_LISTENS)


@pytest.fixture
def redis_hung(settings):
    """A server that takes connections (the kernel's backlog) and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    yield
    server.close()


@pytest.fixture
def unit(places):
    return places.leaders[places.cg1].unit


def request_form(client, unit, phone="13912345678"):
    return client.post(
        reverse("residents:place", args=[unit.public_code]),
        {
            "category": Category.objects.get(name="水电气暖").pk,
            "description": "楼道灯坏了一个星期了",
            "resident_name": "王大妈",
            "resident_phone": phone,
            "website": "",
        },
        follow=True,  # a request sent is redirected to the page with its tracking code
    )


def lookup(client, code, last4):
    return client.post(
        reverse("residents:status"),
        {"tracking_code": code, "phone_last4": last4},
        follow=True,  # a lookup that finds the case leads to its page
    )


def cache_warnings(caplog):
    return [r for r in caplog.records if r.name == "youjie.cache" and r.levelno == logging.WARNING]


def test_with_redis_down_a_resident_sends_a_request_and_looks_it_up(
    client, unit, redis_down, caplog
):
    caplog.set_level(logging.WARNING, logger="youjie.cache")
    started = time.monotonic()
    sent = request_form(client, unit)
    assert sent.status_code == 200
    case = Case.objects.get()
    assert case.tracking_code in sent.content.decode()
    found = lookup(client, case.tracking_code, "5678")
    assert found.status_code == 200 and "已收到（点单）" in found.content.decode()
    assert time.monotonic() - started < 2
    # One line for the operator, not one per request.
    warnings = cache_warnings(caplog)
    assert len(warnings) == 1
    assert "unavailable" in warnings[0].getMessage() and "127.0.0.1:1" in warnings[0].getMessage()


def test_with_redis_down_the_limits_still_hold_in_the_process(client, unit, redis_down, settings):
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 2
    assert [request_form(client, unit).status_code for _ in range(3)] == [200, 200, 429]
    assert Case.objects.count() == 2
    settings.RESIDENT_LOOKUPS_PER_ADDRESS_PER_10_MINUTES = 3
    codes = ["YJ00000001", "YJ00000002", "YJ00000003", "YJ00000004"]
    assert [lookup(client, code, "1234").status_code for code in codes] == [404, 404, 404, 429]


def test_a_hung_redis_costs_one_short_wait_then_none(client, unit, redis_hung, caplog):
    caplog.set_level(logging.WARNING, logger="youjie.cache")
    timeout = django_settings.REDIS_CACHE_TIMEOUT_SECONDS
    started = time.monotonic()
    assert request_form(client, unit).status_code == 200
    first = time.monotonic() - started
    started = time.monotonic()
    assert request_form(client, unit, phone="13900000001").status_code == 200
    second = time.monotonic() - started
    # The first request waits for the socket timeout (twice at most: add, then incr)...
    assert first < 4 * timeout + 1
    # ...and the next ones go straight to memory while Redis is left alone.
    assert second < timeout
    assert Case.objects.count() == 2 and len(cache_warnings(caplog)) == 1


def test_the_warning_comes_again_after_a_minute(client, unit, redis_down, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="youjie.cache")
    request_form(client, unit)
    request_form(client, unit, phone="13900000001")
    assert len(cache_warnings(caplog)) == 1
    # A minute later (and past the retry pause) Redis is tried again and the line is written again.
    later = time.monotonic() + fallback_cache.WARN_EVERY_SECONDS + 1
    monkeypatch.setattr(fallback_cache.time, "monotonic", lambda: later)
    request_form(client, unit, phone="13900000002")
    assert len(cache_warnings(caplog)) == 2


def test_with_redis_down_staff_log_in_sessions_are_in_the_database(client, personas, redis_down):
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    response = client.post(
        reverse("login"),
        {"username": "worker_cg1", "password": django_settings.DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200


def test_when_redis_answers_the_counts_are_shared_not_per_process(client, places):
    """The fallback is for outages only: with Redis up, counts live in Redis."""
    import redis

    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    lookup(client, case.tracking_code, "0000")
    keys = redis.Redis.from_url(django_settings.REDIS_URL).keys("*ratelimit:lookup*")
    assert keys
