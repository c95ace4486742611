"""The access log page: street staff (and superusers) read who viewed, searched, exported or
anonymised residents' data in their street; nobody else opens it."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AccessEvent, Kind
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(places, personas, login):
    """A phone viewing and a full-number search in each street, and an export in ours."""
    ours = CaseFactory(grid=places.cg1, resident_phone="13911112222")
    theirs = CaseFactory(grid=places.yy1, resident_phone="13933334444")
    login(personas.worker_cg1).post(reverse("cases:phone", args=[ours.pk]))
    login(personas.worker_cg1).get(reverse("cases:list"), {"q": "139 1111 2222"})
    login(personas.street_staff).get(reverse("cases:export", args=["csv"]))
    login(personas.other_street_staff).post(reverse("cases:phone", args=[theirs.pk]))
    login(personas.other_street_staff).get(reverse("cases:list"), {"q": "13933334444"})
    return {"ours": ours, "theirs": theirs}


def rows(response):
    return response.content.decode().split('data-testid="access-log"')[1]


def test_street_staff_see_their_streets_events_newest_first_and_nothing_of_another(
    personas, login, activity
):
    response = login(personas.street_staff).get(reverse("audit:log"))
    assert response.status_code == 200
    table = rows(response)
    assert activity["ours"].tracking_code in table and activity["theirs"].tracking_code not in table
    assert "139****2222" in table and "13911112222" not in table  # the number searched, masked
    assert "139****4444" not in table
    kinds = [e.kind for e in response.context["page"]]
    assert kinds == [Kind.CASE_EXPORT, Kind.PHONE_SEARCH, Kind.PHONE_VIEWED]
    other = rows(login(personas.other_street_staff).get(reverse("audit:log")))
    assert activity["theirs"].tracking_code in other and activity["ours"].tracking_code not in other


def test_a_superuser_sees_every_street(personas, login, activity):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    table = rows(login(admin).get(reverse("audit:log")))
    assert activity["ours"].tracking_code in table and activity["theirs"].tracking_code in table


@pytest.mark.parametrize("persona", ["officer_chunguang", "worker_cg1", "no_role"])
def test_officers_and_grid_workers_get_404_and_no_link(personas, login, activity, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("audit:log")).status_code == 404
    assert client.get(reverse("audit:export", args=["csv"])).status_code == 404
    assert 'data-testid="nav-access-log"' not in client.get("/").content.decode()


def test_an_empty_log_says_what_it_will_list(personas, login):
    empty = login(personas.street_staff).get(reverse("audit:log")).content.decode()
    assert "暂无记录：您所在街道的每一次查看电话号码" in empty
    assert 'data-testid="access-log"' not in empty


def test_a_filter_that_matches_nothing_says_so(personas, login, activity):
    client = login(personas.street_staff)
    none = client.get(reverse("audit:log"), {"case": "YJ00000000"}).content.decode()
    assert "没有符合这些筛选条件的记录" in none
    bad = client.get(reverse("audit:log"), {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 400 and "筛选条件有效后才会显示记录" in bad.content.decode()


def test_the_navigation_links_street_staff_to_the_log(personas, login):
    home = login(personas.street_staff).get("/").content.decode()
    assert 'data-testid="nav-access-log"' in home and reverse("audit:log") in home


def test_filters_by_kind_user_dates_and_tracking_code(personas, login, activity):
    client = login(personas.street_staff)

    def kinds(**params):
        response = client.get(reverse("audit:log"), params)
        assert response.status_code == 200
        return sorted(e.kind for e in response.context["page"])

    today = timezone.localdate()
    assert kinds(kind=Kind.PHONE_VIEWED) == [Kind.PHONE_VIEWED]
    assert kinds(user=personas.street_staff.pk) == [Kind.CASE_EXPORT]
    assert kinds(case=activity["ours"].tracking_code.lower()) == [Kind.PHONE_VIEWED]
    assert kinds(case=activity["theirs"].tracking_code) == []
    assert len(kinds(date_from=today, date_to=today)) == 3
    assert kinds(date_to=today - timedelta(days=1)) == []


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "drop table"},
        {"user": "abc"},
        {"user": "999999"},
        {"date_from": "2026-13-45"},
        {"date_from": "9999-12-31", "date_to": "2026-01-01"},
        {"date_to": "x" * 500},
        {"case": "Y" * 200},
    ],
)
def test_bad_filters_are_a_400_with_a_message_never_a_500(personas, login, activity, params):
    client = login(personas.street_staff)
    response = client.get(reverse("audit:log"), params)
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    assert client.get(reverse("audit:export", args=["csv"]), params).status_code == 400
    assert not AccessEvent.objects.filter(kind=Kind.LOG_EXPORT).exists()


def test_a_user_of_another_street_is_not_offered_as_a_filter(personas, login, activity):
    response = login(personas.street_staff).get(
        reverse("audit:log"), {"user": personas.other_street_staff.pk}
    )
    assert response.status_code == 400


def test_the_page_runs_the_same_number_of_queries_for_5_or_60_events(places, personas, login):
    client = login(personas.street_staff)
    case = CaseFactory(grid=places.cg1)

    def add(n):
        users = [UserFactory() for _ in range(n)]
        AccessEvent.objects.bulk_create(
            AccessEvent(kind=Kind.PHONE_VIEWED, user=u, street=places.street, case=case)
            for u in users
        )
        # Exports whose details name places, a category and a person, each looked up.
        AccessEvent.objects.bulk_create(
            AccessEvent(
                kind=kind,
                user=u,
                street=places.street,
                detail=f"xlsx community={places.chunguang.pk}&grid={places.cg1.pk}"
                f"&category={case.category_id}&user={u.pk}",
            )
            for u in users
            for kind in (Kind.CASE_EXPORT, Kind.LOG_EXPORT)
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("audit:log"), {"page": "1"}).status_code == 200
        return len(captured)

    add(5)
    few = queries()
    add(55)
    assert queries() == few <= 12


def test_an_exports_details_read_as_the_filters_it_was_made_with(places, personas, login):
    client = login(personas.street_staff)
    client.get(
        reverse("cases:export", args=["xlsx"]),
        {"community": places.chunguang.pk, "state": "submitted", "urgency": "urgent"},
    )
    client.get(reverse("cases:list"), {"q": "13911112222"})
    client.get(reverse("audit:export", args=["csv"]), {"kind": Kind.CASE_EXPORT})
    table = rows(client.get(reverse("audit:log")))
    assert "XLSX · 社区：春光社区 · 状态：已点单 · 紧急程度：紧急" in table
    assert "CSV · 事项：导出诉求列表" in table  # the log's own export, by its filter
    assert "诉求列表" in table and "cases:list" not in table and "community=" not in table
    client.cookies["django_language"] = "en"
    english = rows(client.get(reverse("audit:log")))
    assert "XLSX · Community: 春光社区 · State: submitted" in english
    assert "the case list" in english


def test_the_log_exports_as_csv_and_xlsx_and_the_export_is_logged(personas, login, activity):
    client = login(personas.street_staff)
    response = client.get(reverse("audit:export", args=["csv"]), {"kind": Kind.PHONE_VIEWED})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["时间", "事项", "操作人"]
    assert [row[4] for row in table[1:]] == [activity["ours"].tracking_code]
    exported = AccessEvent.objects.get(kind=Kind.CASE_EXPORT)  # the case export, once
    assert exported.street_id == activity["ours"].street_id
    logged = AccessEvent.objects.get(kind=Kind.LOG_EXPORT)
    assert (logged.user, logged.street_id, logged.count) == (
        personas.street_staff,
        activity["ours"].street_id,
        1,
    )
    xlsx = client.get(reverse("audit:export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert activity["ours"].tracking_code in cells
    assert activity["theirs"].tracking_code not in cells
    assert "139****2222" in cells and "13911112222" not in "".join(map(str, cells))
    assert AccessEvent.objects.filter(kind=Kind.LOG_EXPORT).count() == 2
    assert client.get(reverse("audit:export", args=["pdf"])).status_code == 404


def test_the_filters_offer_all_in_the_readers_language_not_dashes(personas, login, activity):
    page = login(personas.street_staff).get(reverse("audit:log")).content.decode()
    filters = page.split('data-testid="access-log"')[0]
    assert "---------" not in filters
    assert filters.count('<option value="" selected>全部</option>') == 2


def test_the_filters_read_all_in_english_too(personas, login, activity):
    client = login(personas.street_staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("audit:log")).content.decode()
    filters = page.split('data-testid="access-log"')[0]
    assert filters.count('<option value="" selected>All</option>') == 2


def test_each_count_says_what_it_counts_an_export_of_the_log_its_entries(personas, login, activity):
    client = login(personas.street_staff)
    client.get(reverse("audit:export", args=["csv"]))  # the log's three entries so far
    table = rows(client.get(reverse("audit:log")))
    assert "<th>数量</th>" in table
    assert "3 条记录" in table  # the log's own export counts its entries, not cases
    assert "1 件诉求" in table  # the search matched one case
    client.cookies["django_language"] = "en"
    english = rows(client.get(reverse("audit:log")))
    assert "3 entries" in english and "1 case" in english
