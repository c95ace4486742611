"""PIPL: a search of the case list by a full phone number, however it is spelt, is written
to the street's access log (who, when, which number, how many cases matched, which street)
and limited per user, on the list and on the export alike."""

import pytest
from django.urls import reverse

from audit.models import AccessEvent, Kind
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
MOBILE = "13912345678"


@pytest.fixture
def resident(places):
    return CaseFactory(grid=places.cg1, resident_phone=MOBILE, description="楼道灯坏了")


def searches(kind=Kind.PHONE_SEARCH):
    return AccessEvent.objects.filter(kind=kind)


@pytest.mark.parametrize(
    "spelling",
    [
        MOBILE,
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "+8613912345678",
        "0086-139-1234-5678",
        "１３９１２３４５６７８",  # full-width digits from a Chinese keyboard
        "(139)12345678",
    ],
)
def test_a_full_number_in_any_spelling_finds_the_case_and_is_recorded(
    personas, login, resident, spelling
):
    response = login(personas.street_staff).get(reverse("cases:list"), {"q": spelling})
    assert response.status_code == 200
    assert resident.tracking_code in response.content.decode()
    event = searches().get()
    assert (event.user, event.street_id, event.phone, event.count, event.detail) == (
        personas.street_staff,
        resident.street_id,
        MOBILE,
        1,
        "cases:list",
    )


def test_a_landline_is_found_with_or_without_its_dash_and_recorded(places, personas, login):
    case = CaseFactory(grid=places.cg1, resident_phone="0472-5123456")
    client = login(personas.officer_chunguang)
    for spelling in ("04725123456", "0472-5123456", "(0472) 512 3456"):
        body = client.get(reverse("cases:list"), {"q": spelling}).content.decode()
        assert case.tracking_code in body, spelling
    assert set(searches().values_list("phone", "count", "street_id")) == {
        ("04725123456", 1, places.street.pk)
    }


def test_a_number_inside_a_text_search_is_recorded_too(personas, login, resident):
    login(personas.worker_cg1).get(reverse("cases:list"), {"q": "电话 139-1234-5678 漏水"})
    assert searches().get().phone == MOBILE


def test_four_final_digits_and_words_are_not_full_number_searches(personas, login, resident):
    client = login(personas.street_staff)
    assert (
        resident.tracking_code in client.get(reverse("cases:list"), {"q": "5678"}).content.decode()
    )
    client.get(reverse("cases:list"), {"q": "漏水"})
    client.get(reverse("cases:list"), {"q": "123456"})  # six digits identify no one
    assert not AccessEvent.objects.exists()


def test_over_the_hourly_limit_the_search_is_refused_with_429_and_the_refusal_recorded(
    personas, login, resident, settings
):
    settings.PHONE_SEARCHES_PER_USER_PER_HOUR = 3
    client = login(personas.worker_cg1)
    candidates = [f"1391234{n:04d}" for n in range(5670, 5673)]
    for number in candidates:
        assert client.get(reverse("cases:list"), {"q": number}).status_code == 200
    refused = client.get(reverse("cases:list"), {"q": MOBILE})
    body = refused.content.decode()
    assert refused.status_code == 429
    assert "已达上限" in body and resident.tracking_code not in body
    assert 'data-testid="search-refused"' in body
    export = login(personas.street_staff)  # another user has their own allowance
    assert export.get(reverse("cases:list"), {"q": MOBILE}).status_code == 200
    login(personas.worker_cg1)
    assert client.get(reverse("cases:list"), {"q": "139 1234 5678"}).status_code == 429
    assert searches().filter(user=personas.worker_cg1).count() == 3
    assert (
        list(
            searches(Kind.PHONE_SEARCH_REFUSED).values_list("user__username", "phone", "street_id")
        )
        == [("worker_cg1", MOBILE, resident.street_id)] * 2
    )
    # The last four digits still work: residents give them on the phone.
    assert client.get(reverse("cases:list"), {"q": "5678"}).status_code == 200


def test_the_export_searches_under_the_same_rule(personas, login, resident, settings):
    settings.PHONE_SEARCHES_PER_USER_PER_HOUR = 1
    client = login(personas.street_staff)
    first = client.get(reverse("cases:export", args=["csv"]), {"q": "139 1234 5678"})
    assert first.status_code == 200 and resident.tracking_code in first.content.decode("utf-8-sig")
    assert searches().get().detail == "cases:export"
    again = client.get(reverse("cases:export", args=["xlsx"]), {"q": MOBILE})
    assert again.status_code == 429 and "已达上限" in again.content.decode()
    assert searches(Kind.PHONE_SEARCH_REFUSED).count() == 1
    assert AccessEvent.objects.filter(kind=Kind.CASE_EXPORT).count() == 1  # only the first


def test_other_case_lists_cannot_search_or_filter_by_phone(personas, login, resident):
    client = login(personas.street_staff)
    for params in (
        {"resident_phone": MOBILE},
        {"phone": MOBILE},
        {"resident_phone__contains": "139"},
    ):
        assert client.get(reverse("reports:cases"), params).status_code == 400
        assert client.get(reverse("cases:list"), params).status_code == 400
    overdue = client.get(reverse("notifications:overdue"), {"q": MOBILE})
    assert resident.tracking_code not in overdue.content.decode()
    assert not AccessEvent.objects.exists()
