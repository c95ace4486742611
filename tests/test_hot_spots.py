"""The street report's hot spots: grid × category, ranked by this month's recurring problems,
then the year's, with each pair's 12 months; the rest counted, never listed."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from recurring import selectors, services
from recurring.grouping import group_cases
from recurring.models import Problem
from reports.periods import twelve_months_to
from tests.factories import BuildingFactory

from .recurring_helpers import case_at

pytestmark = pytest.mark.django_db


def months():
    return twelve_months_to(timezone.localdate().replace(day=1))


def at(month_index, part=0.5):
    """A moment in the report's month `month_index` (-1: this month) that is already past:
    `part` of the way from the month's start to its end, or to now in this month."""
    start = timezone.make_aware(
        timezone.datetime.combine(months()[month_index], timezone.datetime.min.time())
    )
    end = timezone.now() if month_index == -1 else start + timedelta(days=28)
    return start + (end - start) * part


def this_months_report():
    """The report of the month the hot spots' newest column is (the default is last month)."""
    return reverse("reports:report") + f"?month={months()[-1]:%Y-%m}"


def logged(grid, building, moment, kind="水电气暖"):
    return case_at(grid, 0, building, kind=kind, now=moment + timedelta(hours=1))


@pytest.fixture
def city(places, personas):
    """Three pairs: 富南第1网格's taps dripped in three months; 春光第1网格's benches broke
    at two buildings this month; 春光第2网格's lift stopped twice two months ago. A fourth
    problem, dismissed, is not a problem."""
    fn1, cg1, cg2 = places.fn1, places.cg1, places.cg2
    for index in (-3, -2, -1):
        logged(fn1, places.buildings[fn1], at(index))
        logged(fn1, places.buildings[fn1], at(index, 0.6))
    second = BuildingFactory(grid=cg1, estate="金苑小区", name="2号楼")
    for building in (places.buildings[cg1], second):
        logged(cg1, building, at(-1, 0.2), kind="设施维修")
        logged(cg1, building, at(-1, 0.3), kind="设施维修")
    logged(cg2, places.buildings[cg2], at(-3), kind="设施维修")
    logged(cg2, places.buildings[cg2], at(-3, 0.7), kind="设施维修")
    other = BuildingFactory(grid=cg2, estate="春光苑", name="5号楼")
    logged(cg2, other, at(-1, 0.2))
    logged(cg2, other, at(-1, 0.4))
    group_cases()
    dismissed = Problem.objects.get(building=other)
    officer = personas.officer_chunguang
    services.dismiss(Scope.for_user(officer), officer, dismissed.pk, "同一户")
    return places


def test_pairs_rank_by_this_month_then_the_year_and_show_their_twelve_months(city):
    found = selectors.hot_spots(Q(street=city.street), months())
    rows = [(c["grid"], c["category"], c["this_month"], c["year"]) for c in found["cells"]]
    assert rows == [
        ("春光社区 春光第1网格", "设施维修", 2, 2),
        ("富南社区 富南第1网格", "水电气暖", 1, 3),
        ("春光社区 春光第2网格", "设施维修", 0, 1),
    ]
    assert found["cells"][1]["trend"] == [0] * 9 + [1, 1, 1]
    assert found["cells"][2]["trend"] == [0] * 9 + [1, 0, 0]
    assert found["more"] == 0


def test_only_the_hottest_are_listed_and_the_rest_are_counted(city, monkeypatch):
    monkeypatch.setattr(selectors, "HOT_SPOTS_SHOWN", 2)
    found = selectors.hot_spots(Q(street=city.street), months())
    assert [c["this_month"] for c in found["cells"]] == [2, 1]
    assert found["more"] == 1


def test_the_report_page_says_how_many_more_pairs_it_left_out(city, personas, login, monkeypatch):
    monkeypatch.setattr(selectors, "HOT_SPOTS_SHOWN", 1)
    page = login(personas.street_staff).get(this_months_report()).content.decode()
    assert "另有 2 个网格和类别的反复出现问题较少。" in page
    assert page.count('data-testid="hot-spot-card"') == 1


def test_a_community_officer_sees_only_his_communitys_hot_spots(city, personas, login):
    page = login(personas.officer_funan).get(this_months_report()).content.decode()
    assert "富南第1网格" in page and "春光第1网格" not in page


def test_the_report_reads_the_same_queries_for_four_problems_or_thirty(
    city, personas, login, django_assert_max_num_queries
):
    client = login(personas.street_staff)

    def queries():
        # Worked out each time: what the report keeps (reports/kept.py) would answer the
        # second reading of an unchanged month with fewer queries.
        cache.clear()
        with django_assert_max_num_queries(80) as captured:
            assert client.get(this_months_report()).status_code == 200
        return len(captured.captured_queries)

    first = queries()
    for n in range(27):
        building = BuildingFactory(grid=city.fn1, estate="金苑小区", name=f"{n + 10}号楼")
        logged(city.fn1, building, at(-2, 0.3), kind="设施维修")
        logged(city.fn1, building, at(-2, 0.5), kind="设施维修")
    group_cases()
    assert queries() == first


def test_the_monthly_topic_candidates_count_this_months_problems_and_their_cases(city):
    topics = selectors.monthly_topic_candidates(Q(street=city.street), months()[-1])
    assert [(t["category"], t["problems"], t["cases"]) for t in topics] == [
        ("设施维修", 2, 4),
        ("水电气暖", 1, 2),  # the dismissed problem's two cases are not counted
    ]
