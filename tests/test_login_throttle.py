"""Wrong passwords are throttled on both login pages, without locking the real user out long.

Limits (settings defaults): 5 failures for one account from one address, 20 for one account
from anywhere, 30 from one address for any accounts; cool-off 5 minutes (doubling for a pair
locked again), 15 minutes for an address.
"""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "youjie-demo-2026"
LOCKED_ZH = "登录失败次数过多"
LOCKED_EN = "Too many failed logins"
START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def attempt(username, password, address="10.0.0.1", url=None, client=None):
    client = client or Client()
    response = client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )
    return response, "_auth_user_id" in client.session


def fail(username, times, address="10.0.0.1", url=None):
    for _ in range(times):
        response, logged_in = attempt(username, "wrong-password", address, url)
        assert not logged_in
    return response


def test_wrong_passwords_up_to_the_limit_then_the_right_one_is_refused(personas, clock):
    for _ in range(4):
        response, _ = attempt("street_staff", "wrong-password")
        assert LOCKED_ZH not in response.content.decode()
    response = fail("street_staff", 1)
    assert "登录失败次数过多，请 5 分钟后再试。" in response.content.decode()
    response, logged_in = attempt("street_staff", PASSWORD)
    assert not logged_in
    assert LOCKED_ZH in response.content.decode()


def test_after_the_cool_off_the_real_user_gets_in(personas, clock):
    fail("street_staff", 5)
    clock.shift(dt.timedelta(minutes=4, seconds=50))
    assert not attempt("street_staff", PASSWORD)[1]
    clock.shift(dt.timedelta(seconds=11))
    response, logged_in = attempt("street_staff", PASSWORD)
    assert logged_in and response.status_code == 302


def test_tries_while_locked_neither_count_nor_extend_the_lock(personas, clock):
    fail("street_staff", 5)
    fail("street_staff", 60)  # all refused unchecked
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    assert attempt("street_staff", PASSWORD)[1]


def test_a_pair_locked_again_waits_twice_as_long(personas, clock):
    fail("street_staff", 5)
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    response = fail("street_staff", 5)
    assert "请 10 分钟后再试" in response.content.decode()
    clock.shift(dt.timedelta(minutes=9))
    assert not attempt("street_staff", PASSWORD)[1]
    clock.shift(dt.timedelta(minutes=1, seconds=1))
    assert attempt("street_staff", PASSWORD)[1]


def test_the_real_user_elsewhere_is_not_locked_out_by_a_guesser_at_one_address(personas, clock):
    fail("street_staff", 5, address="203.0.113.7")
    assert attempt("street_staff", PASSWORD, address="10.0.0.2")[1]


def test_one_address_trying_many_accounts_is_locked_but_other_addresses_are_not(personas, clock):
    for n in range(30):
        fail(f"guess{n}", 1, address="203.0.113.8")
    response, logged_in = attempt("street_staff", PASSWORD, address="203.0.113.8")
    assert not logged_in and LOCKED_ZH in response.content.decode()
    assert attempt("street_staff", PASSWORD, address="10.0.0.3")[1]
    clock.shift(dt.timedelta(minutes=15, seconds=1))
    assert attempt("street_staff", PASSWORD, address="203.0.113.8")[1]


def test_guessing_one_account_from_many_addresses_locks_it_only_briefly(personas, clock):
    for n in range(4):  # 4 addresses × 5 = 20 failures for the account
        fail("street_staff", 5, address=f"198.51.100.{n}")
    response, logged_in = attempt("street_staff", PASSWORD, address="10.0.0.4")
    assert not logged_in and "请 5 分钟后再试" in response.content.decode()
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    assert attempt("street_staff", PASSWORD, address="10.0.0.4")[1]


def test_an_unknown_account_is_locked_the_same_way(personas, clock):
    response = fail("nobody_here", 5)
    assert "登录失败次数过多，请 5 分钟后再试。" in response.content.decode()


def test_the_lock_ignores_case_and_spaces_in_the_name(personas, clock):
    fail("Street_Staff", 3)
    fail(" street_staff ", 2)
    assert not attempt("street_staff", PASSWORD)[1]


def test_the_message_is_in_english_for_english_users(personas, clock):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(5):
        response, _ = attempt("street_staff", "wrong-password", client=client)
    assert "Too many failed logins. Try again in 5 minutes." in response.content.decode()


def test_the_admin_login_is_throttled_too(personas, clock):
    User.objects.filter(pk=personas.street_staff.pk).update(is_staff=True)
    url = reverse("admin:login")
    response = fail("street_staff", 5, url=url)
    assert LOCKED_ZH in response.content.decode()
    response, logged_in = attempt("street_staff", PASSWORD, url=url)
    assert not logged_in and LOCKED_ZH in response.content.decode()
    # …and one lock covers both pages.
    assert not attempt("street_staff", PASSWORD)[1]


def test_a_successful_login_clears_its_own_failures(personas, clock):
    fail("street_staff", 4)
    assert attempt("street_staff", PASSWORD)[1]
    fail("street_staff", 4)
    assert attempt("street_staff", PASSWORD)[1]


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_with_the_cache_down_staff_still_log_in(db):
    UserFactory(username="worker_offline")
    fail("worker_offline", 6)
    assert attempt("worker_offline", PASSWORD)[1]


def known_phone(address="10.0.0.5"):
    """A browser the real user has logged in from before (and logged out of)."""
    phone = Client()
    assert attempt("street_staff", PASSWORD, address, client=phone)[1]
    phone.post(reverse("logout"))
    return phone


def test_guessing_from_elsewhere_does_not_lock_the_user_out_on_their_own_phone(personas, clock):
    phone = known_phone()
    for n in range(6):  # 30 failures from six addresses: the account is locked elsewhere
        fail("street_staff", 5, address=f"198.51.100.{n}")
    assert not attempt("street_staff", PASSWORD, address="10.0.0.6")[1]
    assert attempt("street_staff", PASSWORD, address="10.0.0.5", client=phone)[1]


def test_a_locked_office_address_does_not_stop_a_known_phone(personas, clock):
    phone = known_phone(address="203.0.113.9")
    for n in range(30):
        fail(f"guess{n}", 1, address="203.0.113.9")
    assert attempt("street_staff", PASSWORD, address="203.0.113.9", client=phone)[1]


def test_a_known_phone_still_gets_only_a_few_guesses(personas, clock):
    phone = known_phone()
    for _ in range(5):
        response, _ = attempt("street_staff", "wrong-password", client=phone)
    assert LOCKED_ZH in response.content.decode()
    assert not attempt("street_staff", PASSWORD, client=phone)[1]
    # …while the account is not locked for anyone else.
    assert attempt("street_staff", PASSWORD, address="10.0.0.7")[1]


def test_a_forged_device_cookie_counts_for_nothing(personas, clock):
    for n in range(4):
        fail("street_staff", 5, address=f"198.51.100.{n}")
    forger = Client()
    forger.cookies["youjie_device"] = "eyJkIjoieCIsImEiOlsieCJdfQ:forged:signature"
    assert not attempt("street_staff", PASSWORD, address="10.0.0.8", client=forger)[1]


def test_an_ipv6_subscriber_counts_as_one_address(personas, clock):
    for n in range(5):
        attempt("street_staff", "wrong-password", address=f"2001:db8:1:2::{n + 1}")
    assert not attempt("street_staff", PASSWORD, address="2001:db8:1:2::99")[1]
    assert attempt("street_staff", PASSWORD, address="2001:db8:1:3::1")[1]
