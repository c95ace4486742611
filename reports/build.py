"""A report as a page shows it: which places, which period, live and frozen figures, charts."""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, Channel
from common.lists import joined
from common.params import id_param
from grids.models import Community, Grid, Street
from recurring import selectors as recurring
from recurring.models import Problem, ProblemMonth

from . import charts, figures, kept, monthly, periods
from .models import FrozenReport


@dataclass
class Level:
    title: str
    place: Q  # which cases
    group: str  # "community_id" or "grid_id": what a row is
    row_names: dict  # row id -> name
    street: Street | None
    community: Community | None = None
    community_ids: list = field(default_factory=list)
    every_community: bool = False  # the whole city: meetings counted without a list of ids
    drills: bool = False  # rows link to a community's grids


def level_for(scope, params) -> Level:
    """The places this user's report covers; a place outside the scope is a 404."""
    community_id = id_param(params, "community", label=_("Community"))
    if community_id:
        community = scope.get(Community.objects.select_related("street"), pk=community_id)
        return _community_level(scope, community)
    if scope.is_superuser and params.get("city"):
        # The whole installation (a city's streets), for the city's own administrators.
        streets = list(Street.objects.order_by("pk"))
        return Level(
            _("All streets"),
            Q(),
            "street_id",
            {s.pk: s.name for s in streets},
            None,
            every_community=True,
        )
    if scope.street_ids or scope.is_superuser:
        street = scope.narrow(Street.objects.all()).order_by("pk").first()
        if street is None:
            raise Http404
        communities = list(street.communities.order_by("pk"))
        return Level(
            street.name,
            Q(street_id=street.pk),
            "community_id",
            {c.pk: c.name for c in communities},
            street,
            community_ids=[c.pk for c in communities],
            drills=True,
        )
    if scope.community_ids:
        community = Community.objects.select_related("street").get(pk=min(scope.community_ids))
        return _community_level(scope, community)
    if scope.grid_ids:
        grids = list(Grid.objects.filter(pk__in=scope.grid_ids).select_related("community"))
        return Level(
            joined(f"{g.community.name} {g.name}" for g in grids),
            Q(grid_id__in=scope.grid_ids),
            "grid_id",
            {g.pk: g.name for g in grids},
            grids[0].community.street if grids else None,
        )
    raise Http404


def _community_level(scope, community):
    grids = list(community.grids.order_by("pk"))
    return Level(
        f"{community.street.name} · {community.name}",
        Q(community_id=community.pk),
        "grid_id",
        {g.pk: g.name for g in grids},
        community.street,
        community=community,
        community_ids=[community.pk],
    )


def build(scope, params) -> dict:
    period = periods.from_query(params)
    if period is None:
        raise Http404
    level = level_for(scope, params)
    place = level.place & scope.q(Case) if scope.q(Case) is not None else level.place
    trend_months = periods.twelve_months_to(period.month or timezone.localdate().replace(day=1))
    # The twelve months' tokens read once: a past month's dearest figures are kept (kept.py).
    with kept.reading(trend_months):
        return _build(scope, level, place, period, trend_months)


def _build(scope, level, place, period, trend_months) -> dict:
    live = monthly.compute(place, level.group, period)
    frozen = _frozen(level, period)
    rows = []
    for row_id, name in level.row_names.items():
        figs = live["rows"].get(row_id) or figures.with_rates({}, None)
        frozen_figs = (frozen["rows"] or {}).get(str(row_id)) if frozen else None
        link = {
            "street_id": {"city": 1, "street": row_id},
            "community_id": {"community": row_id},
            "grid_id": {"grid": row_id},
        }[level.group]
        if level.community is not None:
            link["community"] = level.community.pk
        rows.append({"id": row_id, "name": name, "live": figs, "frozen": frozen_figs, "link": link})
    meetings = (
        figures.meetings_held(None if level.every_community else level.community_ids, period)
        if level.every_community or level.community_ids
        else None
    )
    return {
        "period": period,
        "level": level,
        "total": live["total"],
        "frozen": frozen,
        "rows": rows,
        "meetings": meetings,
        "breakdown": monthly.breakdown(place, period),
        # The city ranks streets on their 12345 orders' 三率: shown beside all cases'.
        "hotline": _hotline(place, level, period),
        "trend_chart": charts.trend(
            trend_months, _trend(place, trend_months), _("Received and resolved, 12 months")
        ),
        "comparison_chart": charts.comparison(
            [(row["name"], row["live"]["resolution_rate"]) for row in rows],
            _("Resolution rate by place"),
            _("resolution rate"),
        ),
        # 未诉先办: hot spots, 每月一题 candidates and whether deliberated problems came back.
        "recurring": _recurring(scope, level, period, trend_months),
        "place": place,
        "place_params": {"community": level.community.pk} if level.community else {},
    }


def _recurring(scope, level, period, months):
    def held(model):  # the report's place, within the user's places (problems and months alike)
        condition = scope.q(model)
        return level.place if condition is None else level.place & condition

    return {
        # Read from the problems' months alone: kept for the open month too (kept.py).
        "hot_spots": recurring.hot_spots(
            held(ProblemMonth), months, keep=kept.problems_keeper(months)
        ),
        "topics": recurring.monthly_topic_candidates(
            held(ProblemMonth), months[-1], keep=kept.problems_keeper(months[-1:])
        ),
        "came_back": recurring.came_back(held(Problem), periods.month_period(months[0]).start),
    }


def _hotline(place, level, period):
    """The 12345 orders' figures, when any counted in the period (one query when none did)."""
    if not monthly.any_counted(place, period, Channel.HOTLINE):
        return None
    return monthly.compute(place, level.group, period, channel=Channel.HOTLINE)["total"]


def _frozen(level, period):
    """The published figures of this month at this level, if the month was frozen."""
    if not period.month or level.street is None:
        return None
    report = FrozenReport.objects.filter(street=level.street, month=period.month).first()
    if report is None:
        return None
    data = report.data
    if level.community is not None:
        total = data["communities"].get(str(level.community.pk))
        return {"at": report.frozen_at, "total": total, "rows": data["grids"]}
    if level.group == "community_id":
        return {"at": report.frozen_at, "total": data["total"], "rows": data["communities"]}
    rows = {str(k): data["grids"].get(str(k)) for k in level.row_names}
    total = next(iter(rows.values())) if len(rows) == 1 else None
    return {"at": report.frozen_at, "total": total, "rows": rows}


def _trend(place, months):
    rolled_up = monthly.trend(place, months)
    if rolled_up is not None:
        return [
            (_("received"), [rolled_up.get(m, (0, 0))[0] for m in months]),
            (_("cases resolved"), [rolled_up.get(m, (0, 0))[1] for m in months]),
        ]
    return _trend_from_history(place, months)


def _trend_from_history(place, months):
    start = periods.month_period(months[0]).start
    end = periods.month_period(months[-1]).end
    received = dict(
        Case.objects.filter(place, created_at__gte=start, created_at__lt=end)
        .annotate(m=TruncMonth("created_at"))
        .values_list("m")
        .annotate(n=Count("id"))
    )
    resolved = dict(
        CaseEvent.objects.filter(place, move="resolve", at__gte=start, at__lt=end)
        .annotate(m=TruncMonth("at"))
        .values_list("m")
        .annotate(n=Count("case", distinct=True))
    )

    def per_month(counts):
        by_month = {
            timezone.localtime(k).date().replace(day=1) if hasattr(k, "hour") else k: v
            for k, v in counts.items()
        }
        return [by_month.get(m, 0) for m in months]

    return [(_("received"), per_month(received)), (_("cases resolved"), per_month(resolved))]


def freeze(street, month) -> tuple[FrozenReport, bool]:
    """Publish a month's figures for the street, its communities and its grids, once."""
    existing = FrozenReport.objects.filter(street=street, month=month).first()
    if existing:
        return existing, False
    period = periods.month_period(month)
    place = Q(street_id=street.pk)
    by_community = monthly.compute(place, "community_id", period)
    by_grid = monthly.compute(place, "grid_id", period)
    data = {
        "total": by_community["total"],
        "communities": {str(k): v for k, v in by_community["rows"].items()},
        "grids": {str(k): v for k, v in by_grid["rows"].items()},
    }
    report, created = FrozenReport.objects.get_or_create(
        street=street, month=month, defaults={"data": data}
    )
    return report, created
