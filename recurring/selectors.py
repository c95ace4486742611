"""Reads of recurring problems: lists, one problem with its cases, the report's hot spots and
"did it work". Every list is one or two queries whatever its length; reports count in the
database."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models import Case as Case_
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.categories import category_label
from cases.models import Case
from meetings.workflow import on_an_agenda

from .models import Member, Problem, ProblemMonth, Status
from .rules import CAME_BACK_DAYS, CARRIED_STATES, JOINABLE, MIN_CASES

# What a problem's title, place and meeting need. The places every problem has are joined; the
# ones it may lack (building, unit with its building, agenda item) are fetched after it, one
# query each (a unit names its building: without it, one query per problem). Joined
# all together as LEFT JOINs they took PostgreSQL 5 ms to plan on every workbench, case page
# and report (8 ms under load); four inner joins plan in 0.3 ms.
JOINED = ("street", "community", "grid__community", "category")
FETCHED_AFTER = ("building", "unit__building", "agenda_item__meeting")


def shown(queryset):
    """Problems with what their title and place need, in a constant number of queries."""
    return queryset.select_related(*JOINED).prefetch_related(*FETCHED_AFTER)


def listed(scope, statuses=(Status.OPEN,)):
    """The problems in the user's places that are worth showing, newest activity first."""
    return shown(
        scope.narrow(Problem.objects.filter(status__in=statuses, case_count__gte=MIN_CASES))
    ).order_by("-activity_at", "-id")


def carriable_cases():
    """The cases a problem's session would take with it: open and not yet in a session's
    hands (rules.CARRIED_STATES, on no agenda waiting: meetings.workflow.on_an_agenda says
    what that is, by an item of their own or carried by another's)."""
    return Case.objects.filter(state__in=CARRIED_STATES).exclude(on_an_agenda())


def for_workbench(scope, level: str, limit=5):
    """An officer's community's open problems, or a grid worker's grid's, newest activity
    first (the grid worker's only on his grids, even if he holds more elsewhere): those with
    a case that can still go to a session (`carriable_cases`), what a home's "waiting to
    be taken to a session" means. A problem whose cases are all in a session's hands, being
    handled or closed stays on the problems' list and in the report."""
    can_go = carriable_cases().filter(recurring_member__problem=OuterRef("pk"))
    problems = listed(scope).filter(Exists(can_go))
    if level == "grid":
        problems = problems.filter(grid_id__in=scope.grid_ids)
    elif level == "community":
        problems = problems.filter(community_id__in=scope.community_ids)
    return list(problems[:limit])


def members(problem):
    return list(
        problem.members.select_related(
            "case", "case__category", "case__building", "case__unit"
        ).order_by("case__created_at", "case_id")
    )


def problem_of_case(scope, case):
    """The problem a case page names, if it counts and the user holds its place.

    The member's problem id first (0.2 ms to plan), as most case pages name no problem; joined
    with the problem and its places it took PostgreSQL 5–9 ms to plan on every case page."""
    problem_id = (
        Member.objects.filter(case_id=case.pk, problem__case_count__gte=MIN_CASES)
        .values_list("problem_id", flat=True)
        .first()
    )
    if problem_id is None:
        return None
    problem = shown(Problem.objects.filter(pk=problem_id)).first()
    if problem is None or not scope.holds(problem):
        return None
    return problem


def problems_a_new_case_would_join(scope, case) -> list:
    """The problem a case at this place and of this category would join tonight (the category
    rule; the description is not typed yet when the place and category are chosen)."""
    found = scope.narrow(
        Problem.objects.filter(
            grid_id=case.grid_id,
            building_id=case.building_id,
            category_id=case.category_id,
            status__in=JOINABLE,
            case_count__gte=MIN_CASES,
        )
    )
    window = timedelta(days=case.grid.community.street.recurring_window_days)
    found = found.filter(last_at__gte=timezone.now() - window)
    return list(shown(found).order_by("-last_at", "id")[:1])


# The report ------------------------------------------------------------------------------
def hot_spots(place: Q, months: list, keep=None) -> dict:
    """Grid × category: how many recurring problems had a case in each of the 12 months.

    `place` is a filter on the problems' places (street, community, grid), which their months
    carry too. A problem counts in a month when one of its cases was logged then; dismissed
    problems are not problems and have no months. The database ranks the pairs (this month's
    count, then the year's, then by place) and returns the shown ones with the number of all
    pairs; their trends and names come from a second query. A city of 50,000 pairs reads
    twenty rows back, as a street of fifty does.

    `keep(name, key, compute)`, when given, may keep the ranking (ids and counts, no words)
    for as long as the months stay as they are (the reports keep a past month's).
    """
    counted = ProblemMonth.objects.filter(place, month__gte=months[0], month__lte=months[-1])
    ranking = (
        counted.values("community_id", "grid_id", "category_id")
        .annotate(
            this_month=Count("pk", filter=Q(month=months[-1])),
            year=Count("pk"),
            pairs=Window(Count("*")),  # every pair, counted before the LIMIT
        )
        .order_by("-this_month", "-year", "community_id", "grid_id", "category_id")[
            :HOT_SPOTS_SHOWN
        ]
    )
    if keep is None:
        ranked = list(ranking)
    else:
        ranked = keep("hot_spots", ranking.query.sql_with_params(), lambda: list(ranking))
    if not ranked:
        return {"cells": [], "more": 0}
    trends, names = {}, {}
    for grid, category, month, grid_name, community_name, category_name, n in (
        counted.filter(
            grid_id__in={row["grid_id"] for row in ranked},
            category_id__in={row["category_id"] for row in ranked},
        )
        .values_list(
            "grid_id", "category_id", "month", "grid__name", "community__name", "category__name"
        )
        .annotate(n=Count("pk"))
        .order_by()
    ):
        trends[grid, category, month] = n
        names[grid, category] = (f"{community_name} {grid_name}", category_label(category_name))
    cells = []
    for row in ranked:
        key = (row["grid_id"], row["category_id"])
        trend = [trends.get((*key, month), 0) for month in months]
        cells.append(
            {
                "grid": names[key][0],
                "grid_id": row["grid_id"],
                "category": names[key][1],
                "trend": trend,
                "this_month": row["this_month"],
                "year": row["year"],
                "spark": sparkline(trend),
                "numbers": " ".join(str(n) for n in trend),
            }
        )
    return {"cells": cells, "more": ranked[0]["pairs"] - len(ranked)}


HOT_SPOTS_SHOWN = 20  # the hottest grid × category pairs; the rest are counted
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """Twelve months as a line of bars, readable on a phone without a chart."""
    peak = max(values) or 1
    return "".join(" " if v == 0 else BARS[min(7, round(v / peak * 7))] for v in values)


def monthly_topic_candidates(place: Q, month, limit=3, keep=None) -> list:
    """每月一题: the categories with the most recurring problems across the place in `month`
    (its first day): a problem counts when one of its cases was logged in the month. Read
    from the problems' months, as the hot spots are (`place` filters them). `keep`, as for
    the hot spots, may keep the rows (stored names, labelled in the reader's language here)."""
    ranking = (
        ProblemMonth.objects.filter(place, month=month)
        .values("category__name")
        .annotate(problems=Count("*"), cases=Sum("cases"))  # from the topics index alone
        .order_by("-problems", "-cases", "category__name")[:limit]
    )
    if keep is None:
        rows = list(ranking)
    else:
        rows = keep("topics", ranking.query.sql_with_params(), lambda: list(ranking))
    return [
        {
            "category": category_label(row["category__name"]),
            "problems": row["problems"],
            "cases": row["cases"],
        }
        for row in rows
    ]


def came_back(place: Q, since, limit=20) -> list:
    """Did it work: each problem taken to a session since `since`, with the cases of its kind
    logged at its place within CAME_BACK_DAYS of the session's decision (or of the day it was
    taken there, before a decision). One query."""
    decided = Coalesce(F("agenda_item__decided_at"), F("deliberated_at"))
    back = (
        Case.objects.filter(
            grid_id=OuterRef("grid_id"),
            category_id=OuterRef("category_id"),
            created_at__gt=OuterRef("decided"),
            created_at__lte=OuterRef("watch_until"),
            duplicate_of__isnull=True,
        )
        .annotate(place=Coalesce("building_id", 0))
        .filter(place=OuterRef("place"))
        .exclude(recurring_member__problem_id=OuterRef("pk"))
        .order_by()
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    problems = shown(
        Problem.objects.filter(place, status=Status.DELIBERATED, deliberated_at__gte=since)
        .annotate(decided=decided, place=Coalesce("building_id", 0))
        .annotate(watch_until=F("decided") + timedelta(days=CAME_BACK_DAYS))
        .annotate(came_back=Coalesce(Subquery(back), 0))
    ).order_by("-deliberated_at", "-id")[:limit]
    now = timezone.now()
    return [
        {
            "problem": problem,
            "decided": problem.decided,
            "came_back": problem.came_back,
            "watching": problem.watch_until > now,
        }
        for problem in problems
    ]


def carried_by_items(scope, item_ids) -> list:
    """The problems the agenda items carry, each with `openable`: whether the user may open
    its page (the user's places reach it). One query; none without items."""
    if not item_ids:
        return []
    reach = scope.q(Problem)
    openable = (
        Value(True)
        if reach is None
        else Case_(When(reach, then=Value(True)), default=Value(False), output_field=BooleanField())
    )
    # The cases that went to the session with the item, not the problem's solved ones.
    carried = Count("members", filter=Q(members__carried=True))
    return list(
        Problem.objects.filter(agenda_item_id__in=item_ids)
        .annotate(openable=openable, carried=carried)
        .only("pk", "agenda_item_id")
    )
