"""Residents' phone numbers (PIPL) and what each role's lists, searches, reports and exports
show: no full mobile number anywhere but the case page after a recorded reveal, and the cases
a page lists are exactly the cases whose page opens for that user.

Figures are printed (run with -s to read them).
"""

import io
import re
from datetime import timedelta
from zipfile import ZipFile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AccessEvent, Kind
from cases.models import Case, Task
from meetings.models import AgendaItem, Meeting
from notifications import dispatch
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def this_month() -> dict:
    """The report's month of the test's clock (tests/clock.py), not of the import."""
    return {"month": timezone.localdate().strftime("%Y-%m")}


ROLES = [
    "worker_cg1",
    "worker_cg2",
    "officer_chunguang",
    "officer_funan",
    "street_staff",
    "other_street_staff",
]


@pytest.fixture
def street(places, personas):
    """Cases in every grid of both streets, phones in the phone field and in the text."""
    late = timezone.now() - timedelta(days=2)
    cases = []
    for n, grid in enumerate([places.cg1, places.cg1, places.cg2, places.fn1, places.yy1] * 2):
        cases.append(
            CaseFactory(
                grid=grid,
                building=places.buildings[grid],
                resident_phone=f"1390000{n:04d}",
                description=f"楼道漏水，请回电 1378888{n:04d} 或 0471-66{n:05d}",
                response_deadline=late,  # overdue: on the overdue page and in reminders
            )
        )
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="monthly",
        starts_at=timezone.now(),
        venue_kind="room",
        host=personas.officer_funan,
    )
    funan_case = next(c for c in cases if c.grid == places.fn1)
    AgendaItem.objects.create(meeting=meeting, case=funan_case)
    Task.objects.create(
        case=funan_case,
        title="维修水管",
        owner_contact=places.leaders[places.fn1],
        due_date=timezone.localdate(),
        created_by=personas.officer_funan,
    )
    for user in (personas.officer_chunguang, personas.officer_funan):
        user.email = f"{user.username}@example.org"
        user.save()
    dispatch.scan()  # reminders with the cases' text, for the bell's list
    return cases


def pages_of(role, personas, places, street):
    """Every list, search, report and export page the role can open, by name."""
    meeting = Meeting.objects.get()
    pages = {
        "case list": (reverse("cases:list"), {}),
        "search by last four digits": (reverse("cases:list"), {"q": "0003"}),
        "search by text": (reverse("cases:list"), {"q": "漏水"}),
        "open cases": (reverse("cases:list"), {"progress": "open"}),
        "report": (reverse("reports:report"), this_month()),
        "cases behind a figure": (reverse("reports:cases"), {"figure": "received", **this_month()}),
        "report csv": (reverse("reports:export", args=["csv"]), this_month()),
        "report xlsx": (reverse("reports:export", args=["xlsx"]), this_month()),
        "reminders": (reverse("notifications:list"), {}),
        "overdue": (reverse("notifications:overdue"), {}),
        "meetings": (reverse("meetings:list"), {}),
        "meeting": (reverse("meetings:detail", args=[meeting.pk]), {}),
        "grid": (reverse("grids:grid", args=[places.fn1.pk]), {}),
        "building": (reverse("grids:building", args=[places.buildings[places.fn1].pk]), {}),
    }
    if role in ("street_staff", "other_street_staff"):
        pages["case csv"] = (reverse("cases:export", args=["csv"]), {})
        pages["case xlsx"] = (reverse("cases:export", args=["xlsx"]), {})
    return pages


def text_of(response):
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        with ZipFile(io.BytesIO(response.content)) as book:
            return " ".join(book.read(name).decode() for name in book.namelist())
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("role", ROLES)
def test_no_full_mobile_number_on_any_list_search_report_or_export(
    personas, places, login, street, role
):
    client = login(getattr(personas, role))
    opened = found = 0
    for label, (url, params) in pages_of(role, personas, places, street).items():
        response = client.get(url, params)
        if response.status_code != 200:  # outside the role's places: refused, shows nothing
            assert response.status_code in (403, 404), (label, response.status_code)
            continue
        opened += 1
        numbers = FULL_MOBILE.findall(text_of(response))
        found += len(numbers)
        assert numbers == [], (role, label, numbers)
    print(f"\n[personal info] {role}: {opened} pages and files read, {found} full mobile numbers")
    assert opened >= 8


def test_a_search_by_full_phone_shows_the_number_only_where_the_user_typed_it(
    personas, login, street
):
    """The search box keeps the query, and the forms that come back to this search carry it;
    the results themselves show masked numbers."""
    client = login(personas.officer_chunguang)
    case = street[0]
    page = client.get(reverse("cases:list"), {"q": case.resident_phone}).content.decode()
    assert case.tracking_code in page and "139****0000" in page
    # The search box, the forms that come back here, and the switches' way back to this page.
    echoes = re.findall(r'<input[^>]*name="(?:q|back|next)"[^>]*>|data-back="[^"]*"', page)
    for echo in echoes:
        page = page.replace(echo, "")
    assert len(echoes) >= 1 and FULL_MOBILE.findall(page) == []


def test_revealing_a_phone_writes_one_audit_row_the_app_cannot_change(personas, login, street):
    client = login(personas.worker_cg1)
    case = street[0]
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert FULL_MOBILE.findall(page) == []
    revealed = client.post(reverse("cases:phone", args=[case.pk])).content.decode()
    assert case.resident_phone in revealed and "13788880000" in revealed
    reveal = AccessEvent.objects.get(kind=Kind.PHONE_VIEWED)
    assert (reveal.case_id, reveal.user) == (case.pk, personas.worker_cg1)
    reveal.user = personas.worker_cg2
    with pytest.raises(PermissionError):
        reveal.save()
    with pytest.raises(PermissionError):
        reveal.delete()
    assert AccessEvent.objects.get(kind=Kind.PHONE_VIEWED).user == personas.worker_cg1
    assert AccessEvent.objects.count() == 1  # one act, one record
    # No URL edits or deletes audit rows: the admin does not list them.
    from django.contrib import admin

    assert AccessEvent not in admin.site._registry


@pytest.mark.parametrize(
    "params",
    [
        {"resident_phone": "13900000003"},
        {"resident_phone__startswith": "139"},
        {"resident_name": "王大妈"},
        {"o": "resident_phone"},
        {"ordering": "-resident_name"},
        {"sort": "created_at"},
    ],
)
def test_sorting_or_filtering_by_personal_fields_is_refused(personas, login, street, params):
    client = login(personas.street_staff)
    listing = client.get(reverse("cases:list"), params)
    assert listing.status_code == 400
    page = listing.content.decode()
    assert "只能通过搜索框" in page and CASE_LINK.findall(page) == []
    behind = client.get(reverse("reports:cases"), {"figure": "received", **this_month(), **params})
    assert behind.status_code == 400
    export = client.get(reverse("cases:export", args=["csv"]), params)
    assert export.status_code == 302
    assert not AccessEvent.objects.filter(kind=Kind.CASE_EXPORT).exists()


# Ids: what a page lists is what the user may open -----------------------------------------
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')


def listed_ids(client, url, params):
    ids, page = set(), 1
    while True:
        response = client.get(url, {**params, "page": page})
        if response.status_code != 200:
            return ids if page > 1 else None
        found = {int(pk) for pk in CASE_LINK.findall(response.content.decode())}
        if not found - ids:
            return ids
        ids |= found
        page += 1


def exported_ids(client):
    response = client.get(reverse("cases:export", args=["xlsx"]))
    if response.status_code != 200:
        return None
    sheet = load_workbook(io.BytesIO(response.content)).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    return set(Case.objects.filter(tracking_code__in=codes).values_list("pk", flat=True))


@pytest.mark.parametrize("role", ROLES)
def test_the_ids_each_page_lists_are_the_ids_whose_page_opens(
    personas, places, login, street, role
):
    client = login(getattr(personas, role))
    opens = {
        case.pk
        for case in Case.objects.all()
        if client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    }
    assert 0 < len(opens) < Case.objects.count()
    seen = {
        "list": listed_ids(client, reverse("cases:list"), {}),
        "search": listed_ids(client, reverse("cases:list"), {"q": "漏水"}),
        "report": listed_ids(
            client, reverse("reports:cases"), {"figure": "received", **this_month()}
        ),
    }
    overdue = listed_ids(client, reverse("notifications:overdue"), {})
    if role.startswith("worker"):
        assert overdue is None  # the overdue page is for officers and street staff
    else:
        seen["overdue"] = overdue
    if role in ("street_staff", "other_street_staff"):
        seen["export"] = exported_ids(client)
    for label, ids in seen.items():
        assert ids == opens, (role, label, sorted(ids or []), sorted(opens))
    print(
        f"\n[ids] {role}: {len(opens)} cases open; "
        + ", ".join(f"{k} {len(v)}" for k, v in seen.items())
    )


def test_numbers_typed_into_the_history_tasks_escalations_and_rating_are_masked_until_revealed(
    personas, login, street
):
    """A resident's number typed into a note, a plan, an explanation, a task, an escalation or
    the rating is theirs as much as the one in its field: the case page masks them all, as it
    masks the description, and shows them only on the recorded "show the full number"."""
    from cases.models import CaseEvent, Escalation, ResidentRating

    case = street[0]
    worker = personas.worker_cg1
    numbers = ["15012345678", "139 0000 1111", "0472-5123456", "13611112222", "13733334444"]
    CaseEvent.of(
        case,
        move="resolve",
        from_state="in_progress",
        to_state="resolved",
        actor=worker,
        note=f"已回访，居民电话 {numbers[0]}",
        details={"plan": f"联系 {numbers[1]}", "explanation": f"物业 {numbers[2]} 已到场"},
    ).save()
    Task.objects.create(
        case=case,
        title=f"找王师傅 {numbers[3]}",
        owner_user=worker,
        created_by=worker,
        due_date=timezone.localdate(),
    )
    Escalation.objects.create(case=case, reason=f"居民 {numbers[4]} 多次来电", raised_by=worker)
    ResidentRating.objects.create(case=case, satisfaction="satisfied", comment="谢谢 13855556666")
    client = login(worker)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert FULL_MOBILE.findall(page) == [] and "5123456" not in page
    assert "150****5678" in page and "138****6666" in page and "0472-****3456" in page
    revealed = client.post(reverse("cases:phone", args=[case.pk])).content.decode()
    assert all(number in revealed for number in numbers) and "13855556666" in revealed
    assert AccessEvent.objects.filter(kind=Kind.PHONE_VIEWED, case=case).count() == 1
