"""Another grid's worker, community's officer or street's staff: 404 on every case URL.

And the case pages run a constant number of SQL queries with 10,000 cases in the database.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CasePhoto, Category, Escalation, State, Task
from cases.photos import clean_photo
from cases.workflow import add_photo
from tests.factories import CaseFactory, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def tap(places, personas):
    """The dripping tap, mid-way: decided, with a task, a photo and an open escalation."""
    officer = personas.officer_chunguang
    case = CaseFactory(
        grid=places.cg1,
        building=places.leaders[places.cg1].unit.building,
        unit=places.leaders[places.cg1].unit,
        created_by=personas.worker_cg1,
        state=State.DECIDED,
        owner=officer,
        resident_phone="13912345678",
        response_deadline=timezone.now() - timedelta(days=1),
    )
    add_photo(case, clean_photo(upload()), personas.worker_cg1)
    Task.objects.create(
        case=case,
        title="更换管道",
        owner_user=officer,
        due_date=timezone.localdate(),
        created_by=officer,
    )
    Escalation.objects.create(case=case, reason="逾期", raised_by=officer)
    return case


def case_urls(case):
    photo = CasePhoto.objects.get(case=case)
    task = Task.objects.get(case=case)
    escalation = Escalation.objects.get(case=case)
    urls = [
        ("get", reverse("cases:detail", args=[case.pk])),
        ("get", reverse("cases:photo", args=[case.pk, photo.pk])),
        ("post", reverse("cases:phone", args=[case.pk])),
        ("post", reverse("cases:task_add", args=[case.pk])),
        ("post", reverse("cases:task_close", args=[case.pk, task.pk, "done"])),
        ("post", reverse("cases:task_close", args=[case.pk, task.pk, "dropped"])),
        ("post", reverse("cases:escalate", args=[case.pk])),
        ("post", reverse("cases:escalation_answer", args=[case.pk, escalation.pk])),
        ("post", reverse("cases:link_duplicate", args=[case.pk])),
    ]
    from cases.workflow import MOVES

    urls += [("post", reverse("cases:move", args=[case.pk, name])) for name in MOVES]
    # The forms the case page's panels fetch (GET on the URL each form is sent to).
    urls += [("get", reverse("cases:move", args=[case.pk, name])) for name in MOVES]
    urls += [
        ("get", reverse(name, args=[case.pk]))
        for name in ("cases:task_add", "cases:escalate", "cases:link_duplicate", "cases:anonymise")
    ]
    return urls


@pytest.mark.parametrize(
    "outsider", ["worker_cg2", "officer_funan", "other_street_staff", "no_role"]
)
def test_outsiders_get_404_on_every_case_url_and_change_nothing(personas, login, tap, outsider):
    client = login(getattr(personas, outsider))
    for method, url in case_urls(tap):
        response = getattr(client, method)(url, {"escalate-reason": "x", "note": "x"})
        assert response.status_code == 404, (outsider, method, url)
        assert "13912345678" not in response.content.decode(errors="ignore")
    tap.refresh_from_db()
    assert tap.state == State.DECIDED
    assert Task.objects.get(case=tap).status == "open"
    assert not CaseEvent.objects.filter(case=tap).exists()
    listed = client.get(reverse("cases:list"), {"q": tap.tracking_code}).content.decode()
    assert "没有符合条件的诉求" in listed


def test_a_photo_is_not_served_under_another_cases_url(places, personas, login, tap):
    mine = CaseFactory(grid=places.cg1)
    photo = CasePhoto.objects.get(case=tap)
    client = login(personas.worker_cg1)
    assert client.get(reverse("cases:photo", args=[mine.pk, photo.pk])).status_code == 404
    assert client.get(reverse("cases:photo", args=[tap.pk, photo.pk])).status_code == 200


def test_the_own_grids_worker_opens_every_page(personas, login, tap):
    client = login(personas.worker_cg1)
    assert client.get(reverse("cases:detail", args=[tap.pk])).status_code == 200
    assert client.get(reverse("cases:photo", args=[tap.pk, tap.photos.get().pk])).status_code == 200


# Query counts ---------------------------------------------------------------------------
def many_cases(places, user, n):
    category = Category.objects.get(name="水电气暖")
    unit = places.leaders[places.cg1].unit
    Case.objects.bulk_create(
        Case(
            tracking_code=f"YJT{i:07d}",
            resident_name="居民",
            resident_phone=f"139{i:08d}",
            street=places.street,
            community=places.chunguang,
            grid=places.cg1,
            building=unit.building,
            unit=unit,
            category=category,
            description=f"第{i}件诉求",
            channel="phone",
            created_by=user,
            owner=user,
        )
        for i in range(n)
    )


def count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("persona", ["worker_cg1", "officer_chunguang", "street_staff"])
def test_the_list_and_case_page_queries_stay_constant_with_10000_cases(
    places, personas, login, tap, django_assert_max_num_queries, persona
):
    client = login(getattr(personas, persona))
    list_url = reverse("cases:list")
    detail_url = reverse("cases:detail", args=[tap.pk])
    client.get(list_url)  # the first visit renders what the process keeps (common/fragments.py)
    small = [
        count_queries(client, url, django_assert_max_num_queries, 25)
        for url in (list_url, detail_url)
    ]
    many_cases(places, personas.worker_cg1, 10_000)
    CaseEvent.objects.bulk_create(
        CaseEvent.of(
            tap,
            move="task_added",
            from_state="decided",
            to_state="decided",
            actor=personas.worker_cg1,
            note=f"{i}",
        )
        for i in range(50)
    )
    large = [
        count_queries(client, url, django_assert_max_num_queries, 25)
        for url in (list_url, detail_url)
    ]
    assert small == large, (small, large)
    page = client.get(list_url, {"state": "submitted", "page": 2})
    assert page.status_code == 200 and "10000" in page.content.decode()
