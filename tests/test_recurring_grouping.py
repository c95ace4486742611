"""The nightly grouping of recurring problems (recurring/rules.py): which cases belong
together, why, and what staff decisions the next night keeps."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.scope import Scope
from cases.models import Case, State
from recurring import services
from recurring.grouping import group_cases
from recurring.models import Member, Problem, Status
from recurring.rules import title
from tests.factories import BuildingFactory

from .recurring_helpers import case_at

pytestmark = pytest.mark.django_db


def problems():
    return list(
        Problem.objects.select_related("street", "category", "building", "unit", "grid__community")
    )


def test_cases_of_one_kind_at_one_building_within_the_window_are_one_problem(places):
    building = places.buildings[places.fn1]
    cases = [case_at(places.fn1, days, building) for days in (80, 50, 20, 2)]
    group_cases()
    [problem] = problems()
    assert problem.case_count == 4 and problem.status == Status.OPEN
    assert set(problem.members.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert title(problem) == "富南第1网格小区1号楼 水电气暖 · 90天内4次"


def test_another_building_another_category_or_a_case_beyond_the_window_stay_apart(places):
    building = places.buildings[places.fn1]
    other_building = BuildingFactory(grid=places.fn1, estate="金苑小区", name="3号楼")
    case_at(places.fn1, 10, building)
    case_at(places.fn1, 9, other_building)
    case_at(places.fn1, 8, building, kind="邻里纠纷", description="楼上装修噪音太大，晚上也施工")
    case_at(places.fn1, 7)  # the grid only: no building named
    case_at(places.fn1, 200, building, state=State.VERIFIED)  # long before
    group_cases()
    assert problems() == []


def test_a_chain_of_cases_each_within_the_window_of_the_last_is_one_problem(places):
    building = places.buildings[places.fn1]
    for days in (170, 100, 30):  # 70 days apart, the ends 140 days apart
        case_at(places.fn1, days, building, state=State.ACCEPTED)
    group_cases()
    [problem] = problems()
    assert problem.case_count == 3
    assert "140天内3次" in title(problem) or "141天内3次" in title(problem)


def test_repeats_and_declined_cases_do_not_count(places):
    building = places.buildings[places.fn1]
    original = case_at(places.fn1, 30, building)
    case_at(places.fn1, 20, building, duplicate_of=original)
    case_at(places.fn1, 10, building, state=State.DECLINED)
    group_cases()
    assert problems() == []


def test_the_same_words_under_another_category_join_as_descriptions_alike(places):
    building = places.buildings[places.fn1]
    words = "三号楼地下室水管破裂，积水很深"
    case_at(places.fn1, 40, building, description=words)
    case_at(places.fn1, 30, building, description="水龙头坏了")
    filed_elsewhere = case_at(places.fn1, 5, building, kind="安全隐患", description=words)
    group_cases()
    [problem] = problems()
    member = Member.objects.get(case=filed_elsewhere)
    assert member.problem == problem and member.rule == "description"
    assert member.similarity == pytest.approx(1.0)


def test_a_dismissed_problem_stays_dismissed_until_a_new_case_joins(places, personas):
    building = places.buildings[places.fn1]
    case_at(places.fn1, 40, building)
    case_at(places.fn1, 30, building)
    group_cases()
    [problem] = problems()
    services.dismiss(
        Scope.for_user(personas.officer_funan),
        personas.officer_funan,
        problem.pk,
        "各户自家水龙头，非公共问题",
    )
    group_cases()
    problem.refresh_from_db()
    assert problem.status == Status.DISMISSED
    case_at(places.fn1, 0, building)
    group_cases()
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.case_count == 3


def test_a_split_stays_split_the_next_night(places, personas):
    building = places.buildings[places.fn1]
    cases = [case_at(places.fn1, days, building) for days in (60, 40, 20)]
    group_cases()
    [problem] = problems()
    part = services.split(
        Scope.for_user(personas.officer_funan),
        personas.officer_funan,
        problem.pk,
        [cases[0].pk, cases[1].pk],
    )
    group_cases()
    problem.refresh_from_db()
    part.refresh_from_db()
    assert (problem.case_count, part.case_count) == (1, 2)
    assert Member.objects.get(case=cases[0]).problem == part
    # The report counts the part in the months of its two cases from the moment of the
    # split; the case left alone is no problem until another joins it.
    assert _months(part) == Counter(
        timezone.localtime(case.created_at).date().replace(day=1) for case in cases[:2]
    )
    assert _months(problem) == Counter()


def test_running_twice_changes_nothing_and_the_command_says_what_it_did(places, capsys):
    building = places.buildings[places.fn1]
    case_at(places.fn1, 40, building)
    case_at(places.fn1, 30, building)
    call_command("group_recurring")
    assert "1 problems started" in capsys.readouterr().out
    call_command("group_recurring")
    assert "0 cases joined problems, 0 problems started" in capsys.readouterr().out
    assert Problem.objects.count() == 1


def test_the_command_refuses_a_bad_day():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("group_recurring", "--since", "2026-13-40")


# Random case histories ------------------------------------------------------------------
CASE = st.tuples(
    st.integers(0, 2),  # which building (2: the grid only)
    st.sampled_from(["水电气暖", "设施维修"]),
    st.integers(0, 300),  # days ago
    st.sampled_from([State.SUBMITTED, State.ACCEPTED, State.VERIFIED, State.DECLINED]),
)


def _assert_counts_equal_cases():
    for problem in Problem.objects.all():
        created = list(
            Case.objects.filter(recurring_member__problem=problem).values_list(
                "created_at", flat=True
            )
        )
        assert problem.case_count == len(created)
        assert problem.first_at == min(created) and problem.last_at == max(created)
        # The report's months: those of its cases, while it counts (two cases, not dismissed).
        counts = problem.case_count >= 2 and problem.status != Status.DISMISSED
        assert _months(problem) == Counter(
            timezone.localtime(at).date().replace(day=1) for at in created if counts
        )


def _months(problem) -> Counter:
    """The months the report's hot spots read for the problem, with their case counts."""
    return Counter(dict(problem.months.values_list("month", "cases")))


@pytest.mark.timeout(120)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.lists(CASE, max_size=14), later=st.lists(CASE, max_size=6), data=st.data())
def test_any_history_groups_each_case_once_keeps_dismissals_and_counts_its_cases(
    places, personas, first, later, data
):
    with transaction.atomic():
        other = BuildingFactory(grid=places.fn1, estate="金苑小区", name="9号楼")
        buildings = [places.buildings[places.fn1], other, None]
        for where, kind, days, state in first:
            case_at(places.fn1, days, buildings[where], kind=kind, state=state)
        group_cases()
        _assert_counts_equal_cases()
        grouped = list(Member.objects.values_list("case_id", flat=True))
        assert len(grouped) == len(set(grouped))  # a case is in one problem at most
        assert not Member.objects.filter(case__state=State.DECLINED).exists()
        chosen = data.draw(
            st.sets(st.sampled_from(list(Problem.objects.values_list("pk", flat=True)) or [0]))
        )
        dismissed = set()
        for problem in Problem.objects.filter(pk__in=chosen):
            services.dismiss(
                Scope.for_user(personas.officer_funan),
                personas.officer_funan,
                problem.pk,
                "非同一问题",
            )
            dismissed.add(problem.pk)
        before = {p.pk: p.case_count for p in Problem.objects.all()}
        group_cases()  # nothing new: every dismissal holds
        assert (
            set(Problem.objects.filter(status=Status.DISMISSED).values_list("pk", flat=True))
            == dismissed
        )
        for where, kind, days, state in later:
            case_at(places.fn1, min(days, 30), buildings[where], kind=kind, state=state)
        group_cases()
        _assert_counts_equal_cases()
        for problem in Problem.objects.filter(pk__in=dismissed):
            grew = problem.case_count > before[problem.pk]
            assert problem.status == (Status.OPEN if grew else Status.DISMISSED)
        grouped = list(Member.objects.values_list("case_id", flat=True))
        assert len(grouped) == len(set(grouped))
        transaction.set_rollback(True)


def test_the_benchs_grouping_figures_count_what_the_night_looked_at_and_did(places):
    """`make bench` reports the nightly grouping at each size (bench/grouping.py): what the
    first run looked at and started, and a next night that finds nothing new."""
    from bench import grouping

    building = places.buildings[places.fn1]
    for days in (30, 20, 10):
        case_at(places.fn1, days, building)
    case_at(places.fn1, 5, building, kind="邻里纠纷", description="楼上装修噪音太大，晚上也施工")
    figures = grouping.measure()
    assert figures["cases_looked_at"] == 4
    assert figures["first"]["started"] == 1
    assert (figures["next_night"]["joined"], figures["next_night"]["started"]) == (0, 0)
    assert (figures["problems"], figures["cases_in_problems"]) == (1, 3)
    row = grouping.markdown_row(10_000, figures)
    assert row.startswith("| 10,000 | 4 |") and "new problems: 1;" in row


def test_problems_grouped_before_the_months_were_kept_get_them_when_the_site_upgrades(places):
    from importlib import import_module

    from django.apps import apps

    from recurring.models import ProblemMonth

    building = places.buildings[places.fn1]
    for days in (70, 40, 10):
        case_at(places.fn1, days, building)
    group_cases()
    [problem] = problems()
    kept = _months(problem)
    ProblemMonth.objects.all().delete()  # as on a site grouped by the version before
    import_module("recurring.migrations.0002_problem_months").write_months(apps, None)
    assert _months(problem) == kept and sum(kept.values()) == 3
