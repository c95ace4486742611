"""What the residents' limits count on: the real client behind a trusted proxy (and nothing a
client writes itself), a tracking code per address (a stranger cannot lock its owner out), and
a phone by its digits (however it is written)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cases.models import Case, Category
from common.ratelimit import client_address
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"


@pytest.fixture
def unit(places):
    return places.leaders[places.cg1].unit


def send(client, unit, phone="13912345678", **meta):
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
        **meta,
    )


def via(proxy, forwarded=None):
    meta = {"REMOTE_ADDR": proxy}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return meta


def lookup(client, code, phone, address="198.51.100.1"):
    return client.post(
        reverse("residents:status"),
        {"tracking_code": code, "phone_last4": phone},
        REMOTE_ADDR=address,
        follow=True,  # a lookup that finds the case leads to its page
    )


# The client's address -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "trust",
    [{"TRUSTED_PROXIES": ["127.0.0.0/8"]}, {"TRUSTED_PROXY_COUNT": 1}],
    ids=["by-network", "by-count"],
)
def test_two_residents_behind_the_trusted_proxy_have_their_own_limits(
    client, unit, settings, trust
):
    for name, value in trust.items():
        setattr(settings, name, value)
    settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = 1
    assert send(client, unit, "13900000001", **via(PROXY, "203.0.113.5")).status_code == 200
    assert send(client, unit, "13900000002", **via(PROXY, "203.0.113.6")).status_code == 200
    again = send(client, unit, "13900000003", **via(PROXY, "203.0.113.5"))
    assert again.status_code == 429 and "提交次数过多" in again.content.decode()
    # Writing another address in front of the proxy's does not buy a new bucket.
    spoofed = send(client, unit, "13900000004", **via(PROXY, "10.9.9.9, 203.0.113.5"))
    assert spoofed.status_code == 429
    assert Case.objects.count() == 2


def test_without_a_configured_proxy_a_forwarded_header_changes_nothing(client, unit, settings):
    settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = 1
    assert (
        send(client, unit, "13900000001", **via("198.51.100.7", "203.0.113.5")).status_code == 200
    )
    for n, forged in enumerate(["203.0.113.6", "203.0.113.7, 203.0.113.8", "garbage"]):
        response = send(client, unit, f"1390000001{n}", **via("198.51.100.7", forged))
        assert response.status_code == 429
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("trust", "remote", "forwarded", "expected"),
    [
        ({}, "198.51.100.7", "203.0.113.5", "198.51.100.7"),
        ({"TRUSTED_PROXY_COUNT": 1}, PROXY, "1.1.1.1, 203.0.113.5", "203.0.113.5"),
        ({"TRUSTED_PROXY_COUNT": 2}, PROXY, "1.1.1.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (
            {"TRUSTED_PROXIES": ["127.0.0.1/32", "10.0.0.0/8"]},
            PROXY,
            "203.0.113.5, 10.0.0.2",
            "203.0.113.5",
        ),
        # A request that reaches the app without passing the proxy: its header is not believed.
        ({"TRUSTED_PROXIES": ["127.0.0.1/32"]}, "198.51.100.7", "203.0.113.5", "198.51.100.7"),
        # Not an address where one is needed: the peer's address, never the header's guess.
        ({"TRUSTED_PROXY_COUNT": 1}, PROXY, "203.0.113.5, not-an-ip", PROXY),
        ({"TRUSTED_PROXY_COUNT": 1}, PROXY, "", PROXY),
        ({"TRUSTED_PROXY_COUNT": 1}, PROXY, "203.0.113.5:4711", "203.0.113.5"),
        # An IPv6 client counts as its /64: rotating addresses inside it changes nothing.
        ({"TRUSTED_PROXY_COUNT": 1}, PROXY, "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ({}, "2001:db8:1:2:bbbb::9", None, "2001:db8:1:2::/64"),
        ({}, "::ffff:198.51.100.7", None, "198.51.100.7"),
        ({}, "", None, "unknown"),
    ],
)
def test_the_client_address(settings, trust, remote, forwarded, expected):
    for name, value in trust.items():
        setattr(settings, name, value)
    request = RequestFactory().get("/", **via(remote, forwarded))
    assert client_address(request) == expected


# A tracking code's lookup ---------------------------------------------------------------------
def test_a_strangers_wrong_tries_leave_the_owners_lookup_working(client, places):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    stranger, owner = "203.0.113.66", "198.51.100.1"
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        assert lookup(client, case.tracking_code, guess, stranger).status_code == 404
    locked = lookup(client, case.tracking_code, "5555", stranger)
    assert locked.status_code == 429 and "这个跟踪码的错误尝试过多" in locked.content.decode()
    # The stranger's lock is theirs alone, even with the right answer...
    assert lookup(client, case.tracking_code, "5678", stranger).status_code == 429
    # ...and the owner, from their own phone, gets in.
    mine = lookup(client, case.tracking_code, "5678", owner)
    assert mine.status_code == 200 and "已收到（点单）" in mine.content.decode()


def test_many_strangers_make_the_code_ask_for_the_whole_phone_number(client, places, settings):
    settings.RESIDENT_WRONG_LOOKUPS_PER_CODE_PER_HOUR = 6
    case = CaseFactory(grid=places.cg1, resident_phone="0472-5123456")
    for n in range(6):  # a botnet: every address tries once
        assert lookup(client, case.tracking_code, f"{n}000", f"203.0.113.{n}").status_code == 404
    # Four digits are no longer enough for anyone, right or wrong: nothing is learnt by guessing.
    for answer, address in (("3456", "198.51.100.1"), ("9999", "203.0.113.99")):
        asked = lookup(client, case.tracking_code, answer, address)
        assert asked.status_code == 429 and "请输入完整的电话号码" in asked.content.decode()
    # The owner knows the whole number, written any way.
    for spelling in ("0472-5123456", "+86 0472 5123456", "０４７２５１２３４５６"):
        mine = lookup(client, case.tracking_code, spelling, "198.51.100.1")
        assert mine.status_code == 200, spelling
    assert lookup(client, case.tracking_code, "0472-5123457", "203.0.113.7").status_code == 404


def test_the_lookup_refuses_an_answer_that_is_neither_four_digits_nor_a_phone(client, places):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    for answer in ("567", "56789", "abcd", "5678x"):
        response = lookup(client, case.tracking_code, answer)
        assert (
            response.status_code == 400
            and "请输入登记时所留电话的后 4 位" in response.content.decode()
        )


# A phone's submissions ------------------------------------------------------------------------
def test_every_spelling_of_a_phone_shares_one_daily_count(client, unit, settings):
    settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = 100
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 2
    assert send(client, unit, "0472-5123456").status_code == 200
    assert send(client, unit, "0472 5123456").status_code == 200
    for spelling in (
        "04725123456",
        "+86 0472 5123456",
        "０４７２－５１２３４５６",
        "(0472)5123456",
    ):
        refused = send(client, unit, spelling)
        assert refused.status_code == 429, spelling
        assert "这个电话今天已提交多次" in refused.content.decode()
    assert Case.objects.count() == 2


def test_a_mobile_with_its_country_code_is_the_same_mobile(client, unit, settings):
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 1
    assert send(client, unit, "13912345678").status_code == 200
    for spelling in ("+86 139 1234 5678", "0086-13912345678", "１３９１２３４５６７８"):
        assert send(client, unit, spelling).status_code == 429, spelling
