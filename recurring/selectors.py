"""Reads of recurring problems: lists, one problem with its cases, the report's hot spots and
"did it work". Every list is one or two queries whatever its length; reports count in the
database."""

from datetime import datetime, time, timedelta

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cases.categories import category_label
from cases.models import Case

from .models import Member, Problem, Status
from .rules import CAME_BACK_DAYS, JOINABLE, MIN_CASES

SHOWN = (
    "street",
    "community",
    "grid__community",
    "building",
    "unit",
    "category",
    "agenda_item__meeting",
)


def shown(queryset):
    """Problems with what their title and place need, in one query."""
    return queryset.select_related(*SHOWN)


def listed(scope, statuses=(Status.OPEN,)):
    """The problems in the user's places that are worth showing, newest activity first."""
    return shown(
        scope.narrow(Problem.objects.filter(status__in=statuses, case_count__gte=MIN_CASES))
    ).order_by("-activity_at", "-id")


def for_workbench(scope, level: str, limit=5):
    """An officer's community's open problems, or a grid worker's grid's, newest activity
    first (the grid worker's only on his grids, even if he holds more elsewhere)."""
    problems = listed(scope)
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
    member = (
        Member.objects.filter(case_id=case.pk, problem__case_count__gte=MIN_CASES)
        .select_related(*(f"problem__{name}" for name in SHOWN))
        .first()
    )
    if member is None or not scope.holds(member.problem):
        return None
    return member.problem


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
def hot_spots(place: Q, months: list) -> dict:
    """Grid × category: how many recurring problems had a case in each of the 12 months.

    A problem counts in a month when one of its cases was logged then; dismissed problems
    are not problems and do not count. One grouped query; the table is built from its rows.
    """
    start = timezone.make_aware(datetime.combine(months[0], time.min))
    rows = (
        Member.objects.filter(
            problem__in=Problem.objects.filter(place, case_count__gte=MIN_CASES).exclude(
                status=Status.DISMISSED
            ),
            case__created_at__gte=start,
        )
        .annotate(month=TruncMonth("case__created_at"))
        .values(
            "problem__grid_id",
            "problem__grid__name",
            "problem__community__name",
            "problem__category__name",
            "month",
        )
        .annotate(n=Count("problem_id", distinct=True))
    )
    table = {}
    index = {month: i for i, month in enumerate(months)}
    for row in rows:
        month = row["month"]
        month = timezone.localtime(month).date() if hasattr(month, "hour") else month
        position = index.get(month.replace(day=1))
        if position is None:
            continue
        key = (row["problem__grid_id"], row["problem__category__name"])
        cell = table.setdefault(
            key,
            {
                "grid": f"{row['problem__community__name']} {row['problem__grid__name']}",
                "grid_id": row["problem__grid_id"],
                "category": category_label(row["problem__category__name"]),
                "trend": [0] * len(months),
            },
        )
        cell["trend"][position] += row["n"]
    cells = list(table.values())
    for cell in cells:
        cell["this_month"] = cell["trend"][-1]
        cell["year"] = sum(cell["trend"])
        cell["spark"] = sparkline(cell["trend"])
        cell["numbers"] = " ".join(str(n) for n in cell["trend"])
    cells.sort(key=lambda c: (-c["this_month"], -c["year"], c["grid"], c["category"]))
    return {"cells": cells[:HOT_SPOTS_SHOWN], "more": max(0, len(cells) - HOT_SPOTS_SHOWN)}


HOT_SPOTS_SHOWN = 20  # the hottest grid × category pairs; the rest are counted
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """Twelve months as a line of bars, readable on a phone without a chart."""
    peak = max(values) or 1
    return "".join(" " if v == 0 else BARS[min(7, round(v / peak * 7))] for v in values)


def monthly_topic_candidates(place: Q, period, limit=3) -> list:
    """每月一题: the categories with the most recurring problems across the place this month
    (a problem counts when one of its cases was logged in the month)."""
    return [
        {
            "category": category_label(row["category__name"]),
            "problems": row["problems"],
            "cases": row["cases"],
        }
        for row in Problem.objects.filter(place, case_count__gte=MIN_CASES)
        .exclude(status=Status.DISMISSED)
        .filter(
            members__case__created_at__gte=period.start,
            members__case__created_at__lt=period.end,
        )
        .values("category__name")
        .annotate(problems=Count("pk", distinct=True), cases=Count("members", distinct=True))
        .order_by("-problems", "-cases", "category__name")[:limit]
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
