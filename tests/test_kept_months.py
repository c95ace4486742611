"""A past month's dearest figures, the median days to resolve and the hot spots' ranking, are
worked out once and kept until a change to the month replaces its token; the open month, and
a month not yet settled, are worked out every time. Kept or not, the page shows the same."""

from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.scope import Scope
from cases import workflow
from cases.inputs import Resolution
from cases.models import Case
from recurring.grouping import group_cases
from reports import kept, rollups
from reports.models import MonthToken
from reports.periods import twelve_months_to
from reports.tasks import freeze_last_month
from tests.factories import BuildingFactory, CaseFactory

from .moves import taken_on
from .recurring_helpers import category

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = "2026-10", "2026-11"
MEDIAN = "PERCENTILE_CONT"
RANKING = "COUNT(*) OVER ()"
SUMS = 'SUM("reports_placemonth"'
TOPICS = 'COUNT(*) AS "problems"'


def local(*parts):
    return timezone.make_aware(datetime(*parts))


def resolved_in_october(officer, grid, logged_day, resolved_day, building=None, kind="设施维修"):
    """A case logged and resolved in October through the workflow, as the officer did then."""
    scope = Scope.for_user(officer)
    logged = local(2026, 10, logged_day, 9, 0)
    with time_machine.travel(logged, tick=False):
        case = CaseFactory(grid=grid, building=building, category=category(kind), created_at=logged)
        taken_on(officer, case)
    with time_machine.travel(local(2026, 10, resolved_day, 9, 0), tick=False):
        workflow.perform(
            scope,
            officer,
            case.pk,
            "resolve",
            Resolution(
                outcome="resolved",
                note="换了新的",
                explanation_method="phone",
                explanation="电话告知",
            ),
        )
    return case


def read(client, month, marker):
    """The report page of `month`, and how many of its queries carry `marker`."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/reports/", {"month": month})
    assert response.status_code == 200
    return response, sum(marker in query["sql"] for query in captured.captured_queries)


@pytest.fixture
def october(places, personas):
    """Two communities' cases resolved in October: 春光 in 2 and 4 days, 富南 in 10."""
    officer_cg, officer_fn = personas.officer_chunguang, personas.officer_funan
    resolved_in_october(officer_cg, places.cg1, 5, 7)
    resolved_in_october(officer_cg, places.cg2, 6, 10)
    moved = resolved_in_october(officer_fn, places.fn1, 8, 18)
    return moved


def medians(response):
    context = response.context
    return context["total"]["median_days"], {
        row["name"]: row["live"]["median_days"] for row in context["rows"]
    }


@pytest.mark.pinned("2026-11-20T10:00+08:00")
def test_last_months_medians_are_worked_out_once_and_again_after_a_change(
    places, personas, login, october
):
    freeze_last_month()  # the 1st's freeze settles October
    kept.settle(twelve_months_to(date(2026, 9, 1)))  # and a year of freezes the months before
    client = login(personas.street_staff)
    first, sorted_first = read(client, OCTOBER, MEDIAN)
    again, sorted_again = read(client, OCTOBER, MEDIAN)
    assert (sorted_first, sorted_again) == (1, 0)
    assert medians(first) == medians(again) == (4.0, {"春光社区": 3.0, "富南社区": 10.0})
    # The month's counts, its breakdown and its twelve months are kept with it.
    assert read(client, OCTOBER, SUMS)[1] == 0
    assert again.context["total"] == first.context["total"]
    assert again.context["breakdown"] == first.context["breakdown"]
    assert again.context["rows"] == first.context["rows"]
    assert again.context["trend_chart"] == first.context["trend_chart"]

    # The 富南 case's months are worked out again at another place: October's token changes
    # in that transaction, and the next page sorts October again.
    Case.objects.filter(pk=october.pk).update(grid=places.cg1, community=places.chunguang)
    rollups.refresh(october.pk)
    after, sorted_after = read(client, OCTOBER, MEDIAN)
    assert sorted_after == 1
    assert medians(after) == (4.0, {"春光社区": 4.0, "富南社区": None})


@pytest.mark.pinned("2026-11-20T10:00+08:00")
def test_the_open_month_and_a_month_not_frozen_are_worked_out_every_time(
    places, personas, login, october
):
    client = login(personas.street_staff)
    assert not MonthToken.objects.exclude(month=kept.OPEN_MONTHS_PROBLEMS).exists()
    assert [read(client, OCTOBER, MEDIAN)[1] for _ in range(2)] == [1, 1]
    freeze_last_month()
    assert [read(client, OCTOBER, MEDIAN)[1] for _ in range(2)] == [1, 0]
    assert [read(client, NOVEMBER, MEDIAN)[1] for _ in range(2)] == [1, 1]


@pytest.mark.pinned("2026-11-01T00:30+08:00")
def test_a_month_is_kept_only_once_it_has_been_over_for_an_hour(places, personas, login, october):
    """A change written in October's last minute may still be committing at midnight."""
    freeze_last_month()
    assert [read(login(personas.street_staff), OCTOBER, MEDIAN)[1] for _ in range(2)] == [1, 1]
    with time_machine.travel(local(2026, 11, 1, 1, 31), tick=False):
        client = login(personas.street_staff)
        assert [read(client, OCTOBER, MEDIAN)[1] for _ in range(2)] == [1, 0]


def hot_spots(response):
    return [
        (cell["grid"], cell["category"])
        for cell in response.context["recurring"]["hot_spots"]["cells"]
    ]


@pytest.mark.pinned("2026-11-20T10:00+08:00")
def test_last_months_hot_spots_are_kept_until_the_night_finds_a_problem_in_it(
    places, personas, login
):
    """金苑小区's benches broke twice in October: a hot spot of October. On 19 November a tap
    drips again at 富南 where it dripped in October; that night's grouping makes a problem of
    both, and October's hot spots show it from then on."""
    officer = personas.officer_chunguang
    benches = BuildingFactory(grid=places.cg1, estate="金苑小区", name="3号楼")
    resolved_in_october(officer, places.cg1, 3, 4, building=benches)
    resolved_in_october(officer, places.cg1, 12, 13, building=benches)
    taps = places.buildings[places.fn1]
    resolved_in_october(personas.officer_funan, places.fn1, 15, 16, building=taps, kind="水电气暖")
    with time_machine.travel(local(2026, 11, 1, 2, 0), tick=False):
        group_cases()
    kept.settle(twelve_months_to(date(2026, 10, 1)))  # as a year of freezes left them
    client = login(personas.street_staff)
    first, ranked_first = read(client, OCTOBER, RANKING)
    again, ranked_again = read(client, OCTOBER, RANKING)
    assert (ranked_first, ranked_again) == (1, 0)
    assert hot_spots(first) == hot_spots(again) == [("春光社区 春光第1网格", "设施维修")]

    with time_machine.travel(local(2026, 11, 19, 8, 0), tick=False):
        CaseFactory(grid=places.fn1, building=taps, category=category("水电气暖"))
    group_cases()
    after, ranked_after = read(client, OCTOBER, RANKING)
    assert ranked_after == 1
    assert hot_spots(after) == [
        ("春光社区 春光第1网格", "设施维修"),
        ("富南社区 富南第1网格", "水电气暖"),
    ]


@pytest.mark.pinned("2026-11-20T10:00+08:00")
def test_this_months_hot_spots_are_kept_until_the_night_changes_this_months_problems(
    places, personas, login
):
    """The open month's cases move all day, its problems only at night: November's hot spots
    are ranked once and kept, and ranked again when that night's grouping finds a problem in
    November; the month's median, read from its cases, is worked out every time."""
    benches = BuildingFactory(grid=places.cg1, estate="金苑小区", name="3号楼")
    for day in (3, 12):
        with time_machine.travel(local(2026, 11, day, 9, 0), tick=False):
            CaseFactory(grid=places.cg1, building=benches, category=category("设施维修"))
    with time_machine.travel(local(2026, 11, 13, 2, 0), tick=False):
        group_cases()
    kept.settle(twelve_months_to(date(2026, 10, 1)))  # as a year of freezes left them
    client = login(personas.street_staff)
    first, ranked_first = read(client, NOVEMBER, RANKING)
    again, ranked_again = read(client, NOVEMBER, RANKING)
    assert (ranked_first, ranked_again) == (1, 0)
    assert read(client, NOVEMBER, MEDIAN)[1] == 1
    assert hot_spots(first) == hot_spots(again) == [("春光社区 春光第1网格", "设施维修")]

    taps = places.buildings[places.fn1]
    for day in (16, 19):
        with time_machine.travel(local(2026, 11, day, 8, 0), tick=False):
            CaseFactory(grid=places.fn1, building=taps, category=category("水电气暖"))
    assert read(client, NOVEMBER, RANKING)[1] == 0  # logged, not yet grouped: as it was
    group_cases()
    after, ranked_after = read(client, NOVEMBER, RANKING)
    assert ranked_after == 1
    assert set(hot_spots(after)) == {
        ("春光社区 春光第1网格", "设施维修"),
        ("富南社区 富南第1网格", "水电气暖"),
    }


def topics(response):
    return [topic["category"] for topic in response.context["recurring"]["topics"]]


@pytest.mark.pinned("2026-11-20T10:00+08:00")
def test_last_months_topics_are_kept_and_a_renamed_category_is_read_anew(places, personas, login):
    benches = BuildingFactory(grid=places.cg1, estate="金苑小区", name="3号楼")
    for logged, resolved in ((3, 4), (12, 13)):
        resolved_in_october(personas.officer_chunguang, places.cg1, logged, resolved, benches)
    with time_machine.travel(local(2026, 11, 1, 2, 0), tick=False):
        group_cases()
    kept.settle(twelve_months_to(date(2026, 10, 1)))
    client = login(personas.street_staff)
    first, asked_first = read(client, OCTOBER, TOPICS)
    again, asked_again = read(client, OCTOBER, TOPICS)
    assert (asked_first, asked_again) == (1, 0)
    assert topics(first) == topics(again) == ["设施维修"]
    facilities = category("设施维修")
    facilities.name = "公共设施维修"
    facilities.save()
    after, asked_after = read(client, OCTOBER, TOPICS)
    assert asked_after == 1 and topics(after) == ["公共设施维修"]
