"""The monthly report against hand-counted history: month boundaries at midnight Asia/Shanghai,
reopened and declined cases, frozen months, exports, access and query counts."""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.models import CaseEvent, Escalation, State
from notifications import dispatch
from notifications.models import Notification
from reports.build import freeze
from reports.models import FrozenReport
from reports.rollups import refresh
from tests.factories import CaseFactory

# Its figures are October 2026's, read as a past month.
pytestmark = [pytest.mark.django_db, pytest.mark.pinned("2026-11-20T10:00+08:00")]


def at(text):
    from django.utils import timezone

    return timezone.make_aware(datetime.fromisoformat(text))  # Asia/Shanghai


def history(case, actor, *steps):
    """A history written by hand at given moments, as an import would write it: past the
    workflow (cases/history.py), so the case's rollups are worked out again after it."""
    for move, when, details in steps:
        CaseEvent.objects.create(
            case=case, move=move, to_state="accepted", actor=actor, at=at(when), details=details
        )
    refresh(case.pk)


@pytest.fixture
def october(places, personas):
    """Seven cases whose October 2026 figures were counted by hand (see each comment)."""
    officer = personas.officer_chunguang
    resolved = {"outcome": "resolved"}
    # A: logged in September, accepted on time just after midnight on 1 October, resolved,
    # verified as satisfied: counts in October as accepted, resolved and verified.
    a = CaseFactory(
        grid=places.cg1,
        created_at=at("2026-09-30 23:30"),
        accept_by=at("2026-10-08 23:30"),
        response_deadline=at("2026-10-10 12:00"),
        resolved_at=at("2026-10-05 12:00"),
        state=State.VERIFIED,
    )
    history(
        a,
        officer,
        ("accept", "2026-10-01 00:10", {}),
        ("resolve", "2026-10-05 12:00", resolved),
        ("verify", "2026-10-12 09:00", {"satisfaction": "satisfied"}),
    )
    # B: logged one second before November: received in October.
    CaseFactory(
        grid=places.cg1,
        created_at=at("2026-10-31 23:59:59"),
        accept_by=at("2026-11-02 23:59"),
        response_deadline=at("2026-11-02 23:59"),
    )
    # C: logged at midnight on 1 November: not October's.
    CaseFactory(
        grid=places.cg2,
        created_at=at("2026-11-01 00:00"),
        accept_by=at("2026-11-02 00:00"),
        response_deadline=at("2026-11-02 00:00"),
    )
    # D: received and declined in October.
    d = CaseFactory(
        grid=places.cg2,
        created_at=at("2026-10-10 10:00"),
        state=State.DECLINED,
        response_deadline=at("2026-10-11 10:00"),
    )
    history(d, officer, ("decline", "2026-10-11 09:00", {}))
    # E (富南): accepted late, resolved partly, reopened, resolved again: one resolution, 已解决.
    e = CaseFactory(
        grid=places.fn1,
        created_at=at("2026-10-02 10:00"),
        accept_by=at("2026-10-08 10:00"),
        response_deadline=at("2026-11-30 10:00"),
        resolved_at=at("2026-10-25 10:00"),
        state=State.VERIFIED,
    )
    history(
        e,
        officer,
        ("accept", "2026-10-09 10:00", {}),
        ("resolve", "2026-10-15 10:00", {"outcome": "partly"}),
        ("reopen", "2026-10-20 10:00", {}),
        ("resolve", "2026-10-25 10:00", resolved),
        ("verify", "2026-10-28 10:00", {"satisfaction": "basically"}),
    )
    # F (富南): resolved in September (cannot), reopened in October, resolved in November.
    f = CaseFactory(
        grid=places.fn1,
        created_at=at("2026-09-20 10:00"),
        resolved_at=at("2026-11-02 10:00"),
        response_deadline=at("2026-09-25 10:00"),
    )
    history(
        f,
        officer,
        ("resolve", "2026-09-28 10:00", {"outcome": "cannot"}),
        ("reopen", "2026-10-03 10:00", {}),
        ("resolve", "2026-11-02 10:00", resolved),
    )
    # G: accepted on time, deadline 20 October passed unresolved: overdue, and escalated.
    g = CaseFactory(
        grid=places.cg1,
        created_at=at("2026-10-05 09:00"),
        accept_by=at("2026-10-06 09:00"),
        response_deadline=at("2026-10-20 18:00"),
        state=State.IN_PROGRESS,
    )
    history(g, officer, ("accept", "2026-10-05 15:00", {}))
    Escalation.objects.create(
        case=g, reason="逾期", raised_by=officer, raised_at=at("2026-10-21 09:00")
    )
    return {"a": a, "e": e, "f": f, "g": g}


OCTOBER = {"month": "2026-10"}


def report(client, **params):

    response = client.get(reverse("reports:report"), params)
    assert response.status_code == 200
    return response


def figures_of(client, **params):
    return report(client, **params).context["total"]


def test_octobers_street_figures_match_the_hand_count(personas, login, october):
    total = figures_of(login(personas.street_staff), **OCTOBER)
    expected = {
        "received": 4,
        "accepted": 3,
        "accepted_on_time": 2,
        "declined": 1,
        "resolved": 2,
        "outcome_resolved": 2,
        "outcome_partly": 0,
        "outcome_cannot": 0,
        "verified": 2,
        "overdue": 1,
        "escalated": 1,
        "response_rate": 66.7,
        "resolution_rate": 100.0,
        "satisfaction_rate": 100.0,
    }
    assert {key: total[key] for key in expected} == expected
    a_days = (at("2026-10-05 12:00") - at("2026-09-30 23:30")).total_seconds() / 86400
    assert total["median_days"] == round((a_days + 23) / 2, 1)


def test_a_reopened_case_counts_in_each_month_it_was_resolved(personas, login, october):
    client = login(personas.street_staff)
    september = figures_of(client, month="2026-09")
    november = figures_of(client, month="2026-11")
    assert (september["resolved"], september["outcome_cannot"], september["resolution_rate"]) == (
        1,
        1,
        0.0,
    )
    assert (november["received"], november["resolved"], november["outcome_resolved"]) == (1, 1, 1)


def test_rows_per_community_and_the_drill_down_to_grids(places, personas, login, october):
    client = login(personas.street_staff)
    rows = {row["name"]: row["live"] for row in report(client, **OCTOBER).context["rows"]}
    assert rows["春光社区"]["received"] == 3 and rows["富南社区"]["received"] == 1
    grids = report(client, community=places.chunguang.pk, **OCTOBER).context["rows"]
    by_grid = {row["name"]: row["live"]["received"] for row in grids}
    assert by_grid == {"春光第1网格": 2, "春光第2网格": 1}


def test_each_count_links_to_the_cases_behind_it(places, personas, login, october):
    client = login(personas.street_staff)
    page = client.get(reverse("reports:cases"), {"figure": "resolved", **OCTOBER}).content.decode()
    assert october["a"].tracking_code in page and october["e"].tracking_code in page
    assert october["f"].tracking_code not in page
    overdue = client.get(
        reverse("reports:cases"), {"figure": "overdue", **OCTOBER}
    ).content.decode()
    assert october["g"].tracking_code in overdue and october["a"].tracking_code not in overdue
    assert client.get(reverse("reports:cases"), {"figure": "bogus", **OCTOBER}).status_code == 404


def test_a_grids_list_is_headed_by_its_community_and_grid_and_another_grid_is_a_404(
    places, personas, login, october
):
    client = login(personas.street_staff)
    url = reverse("reports:cases")
    query = {"figure": "received", "community": places.chunguang.pk, **OCTOBER}
    html = client.get(url, {**query, "grid": places.cg2.pk}).content.decode()
    assert re.search(r"<h1[^>]*>[^<]*春光社区 · 春光第2网格 · 2026-10 · 收到<", html)
    # A grid of another community under this community's report, and one outside the street.
    assert client.get(url, {**query, "grid": places.fn1.pk}).status_code == 404
    foreign = places.other_street.communities.get().grids.get()
    del query["community"]
    assert client.get(url, {**query, "grid": foreign.pk}).status_code == 404
    worker = login(personas.worker_cg1)
    assert (
        worker.get(url, {"figure": "received", "grid": places.cg2.pk, **OCTOBER}).status_code == 404
    )
    mine = worker.get(url, {"figure": "received", "grid": places.cg1.pk, **OCTOBER})
    assert mine.status_code == 200 and "春光第1网格" in mine.content.decode()


def test_each_rate_links_to_the_cases_it_is_taken_over_and_those_it_counts(
    places, personas, login, october
):
    client = login(personas.street_staff)
    page = report(client, **OCTOBER).content.decode()
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
        assert f"/reports/cases/?figure={rate}&amp;month=2026-10" in page, rate

    def listed(figure):
        response = client.get(reverse("reports:cases"), {"figure": figure, **OCTOBER})
        assert response.status_code == 200
        html = response.content.decode()
        return {code for code, case in october.items() if case.tracking_code in html}, html

    # 按期响应率 2 of 3: A and G on time, E accepted late.
    accepted, html = listed("response_rate")
    assert accepted == {"a", "e", "g"}
    assert "计入该比率的有 2 件：按时接单" in html
    on_time = re.search(r'data-testid="rate-counted"><a href="\?([^"]+)"', html).group(1)
    response = client.get(reverse("reports:cases") + "?" + on_time.replace("&amp;", "&"))
    codes = response.content.decode()
    assert october["a"].tracking_code in codes and october["e"].tracking_code not in codes
    # 解决率 over the two resolutions of October, 满意率 over the two follow-up visits.
    resolved, html = listed("resolution_rate")
    assert resolved == {"a", "e"}
    assert "计入该比率的有 2 件：结果为“已解决”" in html and "其中已解决：其中" not in html
    answered, html = listed("satisfaction_rate")
    assert answered == {"a", "e"} and "计入该比率的有 2 件：评价为“满意”或“基本满意”" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = listed("resolution_rate")[1]
    said = re.search(r'data-testid="rate-counted"><a [^>]*>([^<]*)</a>', english).group(1)
    assert said == "Counted in the rate: 2 of these cases, resolved with the outcome “resolved”"


def test_an_officer_sees_their_community_only_and_a_worker_their_grid(
    places, personas, login, october
):
    officer = login(personas.officer_chunguang)
    assert figures_of(officer, **OCTOBER)["received"] == 3
    assert (
        officer.get(
            reverse("reports:report"), {"community": places.funan.pk, **OCTOBER}
        ).status_code
        == 404
    )
    behind = officer.get(
        reverse("reports:cases"), {"figure": "resolved", **OCTOBER}
    ).content.decode()
    assert october["e"].tracking_code not in behind
    worker = login(personas.worker_cg1)
    assert figures_of(worker, **OCTOBER)["received"] == 2
    other = login(personas.other_street_staff)
    assert figures_of(other, **OCTOBER)["received"] == 0


@pytest.mark.parametrize(
    ("params", "control"),
    [
        ({"month": "2026-13"}, "月份"),
        ({"month": "abc"}, "月份"),
        ({"year": "x"}, "年份"),
        ({"month": "2999-01"}, "月份"),
        ({"community": "zz"}, "社区"),
    ],
)
def test_bad_parameters_are_a_400_that_names_the_control(personas, login, params, control):
    response = login(personas.street_staff).get(reverse("reports:report"), params)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{control}”" in page  # the control on the page, never the address's parameter
    assert f"“{next(iter(params))}”" not in page


def test_a_community_outside_the_users_street_is_a_404(personas, login, places):
    client = login(personas.street_staff)
    response = client.get(reverse("reports:report"), {"community": places.youyi.pk})
    assert response.status_code == 404


def test_a_frozen_month_keeps_its_figures_and_shows_the_live_one_beside(
    places, personas, login, october
):
    freeze(places.street, datetime(2026, 10, 1).date())
    assert freeze(places.street, datetime(2026, 10, 1).date())[1] is False  # once
    late = CaseFactory(grid=places.cg1, created_at=at("2026-10-15 10:00"), state=State.DECLINED)
    history(late, personas.officer_chunguang, ("decline", "2026-10-16 10:00", {}))
    client = login(personas.street_staff)
    response = report(client, **OCTOBER)
    page = response.content.decode()
    assert "冻结于" in page and 'data-testid="live-figure"' in page
    assert "（现在 5）" in page or "(现在 5)" in page  # received: 4 published, 5 now
    assert "实时" not in page and "本月" not in page  # October is past: never "live"
    xlsx = client.get(reverse("reports:export", args=["xlsx"]), OCTOBER)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headings = rows[2]
    total = rows[-1]
    assert headings[0] == "位置" and total[0] == "合计"
    assert total[headings.index("收到")] == 4  # the published figure, as on the page


def test_the_xlsx_and_csv_carry_the_pages_figures(places, personas, login, october):
    client = login(personas.street_staff)
    page_rows = {row["name"]: row["live"] for row in report(client, **OCTOBER).context["rows"]}
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("reports:export", args=["xlsx"]), OCTOBER).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    headings = rows[2]
    for row in rows[3:-1]:
        live = page_rows[row[0]]
        assert row[headings.index("收到")] == live["received"]
        rate = row[headings.index("解决率")]
        assert (rate is None and live["resolution_rate"] is None) or (
            round(rate * 100, 1) == live["resolution_rate"]
        )
    csv_text = client.get(reverse("reports:export", args=["csv"]), OCTOBER).content.decode(
        "utf-8-sig"
    )
    assert "春光社区,3," in csv_text
    # Downloaded from the English page, the file reads in English too, headings and all.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("reports:export", args=["csv"]), OCTOBER).content.decode(
        "utf-8-sig"
    )
    assert "resolution report" in english and "Received" in english.splitlines()[2]
    assert "收到" not in english and "解决率" not in english


def test_freezing_tells_the_street_staff(places, personas, october):
    freeze(places.street, datetime(2026, 10, 1).date())
    dispatch.scan()
    reminder = Notification.objects.get(rule="report_ready")
    assert reminder.user == personas.street_staff and "2026-10" in reminder.title


def test_the_report_runs_a_bounded_number_of_queries(
    places, personas, login, october, django_assert_max_num_queries
):
    client = login(personas.street_staff)
    with django_assert_max_num_queries(30) as few:
        report(client, **OCTOBER)
    for n in range(40):
        CaseFactory(
            grid=[places.cg1, places.cg2, places.fn1][n % 3], created_at=at("2026-10-12 10:00")
        )
    with django_assert_max_num_queries(30) as many:
        report(client, **OCTOBER)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_frozen_reports_are_per_street(places, october):
    freeze(places.street, datetime(2026, 10, 1).date())
    assert FrozenReport.objects.get().data["total"]["received"] == 4


def test_the_xlsx_shows_rates_as_percentages_and_carries_meetings_categories_and_channels(
    places, personas, login, october
):
    client = login(personas.street_staff)
    context = report(client, **OCTOBER).context
    book = load_workbook(
        io.BytesIO(client.get(reverse("reports:export", args=["xlsx"]), OCTOBER).content)
    )
    sheet = book.worksheets[0]
    headings = [cell.value for cell in sheet[3]]
    for heading in ("响应率", "解决率", "满意率"):
        column = headings.index(heading) + 1
        total = sheet.cell(row=sheet.max_row, column=column)
        assert total.number_format == "0.0%"
        shown = context["total"][
            {"响应率": "response_rate", "解决率": "resolution_rate", "满意率": "satisfaction_rate"}[
                heading
            ]
        ]
        assert total.value is not None and round(total.value * 100, 1) == shown
    assert book.sheetnames[1:] == ["议事协商", "按分类", "按渠道"]
    meetings = {row[0]: row[1] for row in book["议事协商"].iter_rows(min_row=2, values_only=True)}
    assert meetings["召开议事协商会"] == context["meetings"]["total"]
    categories = list(book["按分类"].iter_rows(min_row=2, values_only=True))
    assert categories == [tuple(row) for row in context["breakdown"]["categories"]]
    assert categories and sum(n for _name, n in categories) == context["total"]["received"]
    channels = dict(book["按渠道"].iter_rows(min_row=2, values_only=True))
    assert channels == {str(k): n for k, n in context["breakdown"]["channels"]}
    assert book.worksheets[0]["A2"].value.startswith("未冻结")  # October is past, not "live"


@pytest.mark.calendar
def test_a_past_month_or_year_is_never_called_this_month_live_or_to_date(
    places, personas, login, october
):
    client = login(personas.street_staff)
    month_before = timezone.localdate().replace(day=1) - timedelta(days=1)
    last_month = {"month": month_before.strftime("%Y-%m")}
    past = report(client, **last_month).content.decode()
    assert 'data-testid="computed-note"' in past
    for word in ("实时", "本月"):
        assert word not in past, word
    assert "往月" in past
    current = report(client, month=timezone.localdate().strftime("%Y-%m")).content.decode()
    assert 'data-testid="live-note"' in current and "本月" in current
    last_year = report(client, year=str(timezone.localdate().year - 1)).content.decode()
    title = re.search(r'data-testid="report-title">(.*?)</p>', last_year).group(1)
    assert f"{timezone.localdate().year - 1} 年全年" in title and "至今" not in title
    assert "实时" not in last_year and 'data-testid="computed-note"' in last_year
    this_year = report(client, year=str(timezone.localdate().year)).content.decode()
    assert "年初至今" in this_year and 'data-testid="live-note"' in this_year
    csv_text = client.get(reverse("reports:export", args=["csv"]), last_month).content.decode(
        "utf-8-sig"
    )
    assert "实时" not in csv_text and "未冻结" in csv_text


def test_the_whole_citys_report_has_a_row_per_street_linking_to_that_streets_cases(
    places, personas, login, october
):
    """The city's administrators: a row per street, headed 街道, each count a link to that
    street's cases alone."""
    from tests.factories import UserFactory

    youyi_case = CaseFactory(
        grid=places.other_street.communities.get().grids.get(),
        created_at=at("2026-10-12 10:00"),
        response_deadline=at("2026-10-14 10:00"),
    )
    client = login(UserFactory(username="city_admin", is_superuser=True, is_staff=True))
    page = report(client, city=1, **OCTOBER)
    rows = {row["name"]: row for row in page.context["rows"]}
    assert rows["友谊街道"]["live"]["received"] == 1
    street_total = figures_of(login(personas.street_staff), **OCTOBER)["received"]
    assert rows[places.street.name]["live"]["received"] == street_total
    client = login(UserFactory(username="city_admin_2", is_superuser=True, is_staff=True))
    html = report(client, city=1, **OCTOBER).content.decode()
    assert '<th scope="col">街道</th>' in html
    street = places.other_street.pk
    link = re.search(
        rf'href="(/reports/cases/\?figure=received&amp;month=2026-10&amp;city=1&amp;street={street})"',
        html,
    )
    assert link, "the 友谊街道 row's count links to its cases"
    behind = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert youyi_case.tracking_code in behind
    assert october["a"].tracking_code not in behind  # 春光's case is another street's
    assert re.search(r"<h1[^>]*>[^<]*友谊街道 · 2026-10 · ", behind), "the heading names the street"


def test_in_the_month_not_over_only_deadlines_already_passed_count_as_overdue(
    places, personas, login
):
    """20 November 10:00: a case due on the 15th and still open is overdue; one due on the 25th
    is not yet, open or already resolved; in the month's total, the community's row, the
    year so far and the drill-down alike."""
    late = CaseFactory(
        grid=places.cg1,
        created_at=at("2026-11-10 09:00"),
        response_deadline=at("2026-11-15 18:00"),
    )
    ahead = CaseFactory(
        grid=places.cg1,
        created_at=at("2026-11-18 09:00"),
        response_deadline=at("2026-11-25 18:00"),
    )
    CaseFactory(
        grid=places.cg2,
        created_at=at("2026-11-18 09:00"),
        response_deadline=at("2026-11-25 18:00"),
        resolved_at=at("2026-11-19 18:00"),
        state=State.RESOLVED,
    )
    client = login(personas.street_staff)
    november = report(client, month="2026-11").context
    assert november["total"]["overdue"] == 1
    by_community = {row["name"]: row["live"]["overdue"] for row in november["rows"]}
    assert by_community["春光社区"] == 1
    assert figures_of(client, year="2026")["overdue"] == 1
    listed = client.get(
        reverse("reports:cases"), {"figure": "overdue", "month": "2026-11"}
    ).content.decode()
    assert late.tracking_code in listed and ahead.tracking_code not in listed


def test_an_outcomes_list_is_headed_with_words_that_read_alone(places, personas, login, october):
    """In the report "…cannot" sits under "Resolved"; as a list's heading it says what it is,
    and a grid worker's list names his grid once."""
    client = login(personas.worker_cg1)
    query = {"figure": "outcome_resolved", "grid": places.cg1.pk, **OCTOBER}
    page = client.get(reverse("reports:cases"), query).content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert heading.count(places.cg1.name) == 1 and heading.endswith("办结结果：已解决")
    assert "<title>办结结果：已解决" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for figure, label in (
        ("outcome_cannot", "Outcome: cannot be resolved"),
        ("outcome_partly", "Outcome: partly resolved"),
    ):
        page = client.get(reverse("reports:cases"), {**query, "figure": figure}).content.decode()
        assert f"<title>{label}" in page and "…cannot" not in page and "…partly" not in page
