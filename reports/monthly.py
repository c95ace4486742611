"""The report's figures for a calendar month, read from the rollups (reports/rollups.py).

A month of the whole city is then a hundred streets' rows, and a street's month its
communities' rows, whatever the number of cases. A year to date, and a place the rollups
cannot express (a partner's cases), are counted from the history as before (figures.py): a
case counts once in a period, and a year's "accepted" is not the sum of its months'.
"""

import statistics
from collections import defaultdict

from django.db import connection, connections
from django.db.models import Count, Q, Sum
from django.utils import timezone

from cases.categories import category_label
from cases.models import Case, Category, Channel

from . import figures, kept
from .models import FIGURE_COLUMNS, CaseMonth, Level, PlaceMonth

# The place columns a rollup row carries, finest last: a filter on a grid needs grid rows.
PLACE_LEVELS = {
    "street_id": Level.STREET,
    "community_id": Level.COMMUNITY,
    "grid_id": Level.GRID,
}
FINENESS = [Level.STREET, Level.COMMUNITY, Level.GRID]
SUMS = {column: Sum(column) for column in FIGURE_COLUMNS}


def level_for(place: Q, group: str | None = None) -> str | None:
    """The coarsest rollup level that has every column `place` and `group` name; None when the
    filter names anything else."""
    names = set()
    if not _place_columns(place, names):
        return None
    if group is not None:
        if group not in PLACE_LEVELS:
            return None
        names.add(group)
    levels = [PLACE_LEVELS[name] for name in names] or [Level.STREET]
    return max(levels, key=FINENESS.index).value


def _place_columns(place: Q, names: set) -> bool:
    for child in place.children:
        if isinstance(child, Q):
            if not _place_columns(child, names):
                return False
            continue
        lookup, value = child
        if lookup == "pk__in" and not list(value):
            continue  # "nothing", as the scope writes an empty start; false on rollups too
        column = lookup.removesuffix("__in")
        if column not in PLACE_LEVELS:
            return False
        names.add(column)
    return True


def compute(place: Q, group: str, period, channel=None, overdue=True) -> dict:
    """figures.compute's result: from the rollups for a month, else from the history.
    `overdue=False` leaves that figure out (a page that shows the rest saves its query)."""
    level = level_for(place, group) if period.month else None
    if level is None:
        return figures.compute(place, group, period, channel)
    rows = PlaceMonth.objects.filter(place, level=level, month=period.month)
    if channel:
        rows = rows.filter(channel=channel)
    # A past month's figures, the median's sort of every resolution above all, are kept.
    sql, params = rows.values(group).order_by().query.sql_with_params()
    return kept.kept(
        "month",
        [period.month],
        (group, overdue, sql, params),
        lambda: _from_rollups(rows, place, group, period, channel, overdue),
        using=rows.db,
    )


def _from_rollups(rows, place, group, period, channel, overdue) -> dict:
    medians = _medians(place, group, period, channel)
    by_place = {}
    for row in rows.values(group).annotate(**SUMS):
        by_place[row[group]] = {name: row[name] or 0 for name in FIGURE_COLUMNS}
    if overdue:
        _take_off_not_yet_due(by_place, place, group, period, channel)
    else:
        for counts in by_place.values():
            counts.pop("overdue", None)
    result = {"rows": {}, "total": defaultdict(int)}
    for key, counts in by_place.items():
        if not any(counts.values()):
            continue  # moves that cancelled out: the history shows no row for the place
        for name in counts:
            result["total"][name] += counts[name]
        result["rows"][key] = figures.with_rates(counts, medians.get(key))
    result["total"] = figures.with_rates(result["total"], medians.get("total"))
    return result


def _take_off_not_yet_due(by_place, place, group, period, channel):
    """In a month not over, a deadline still ahead is not overdue (figures.not_yet_due)."""
    waiting = figures.not_yet_due(place, period)
    if waiting is None:
        return
    if channel:
        waiting = waiting.filter(channel=channel)
    for row in waiting.values(group).annotate(n=Count("id")).order_by():
        if row[group] in by_place:
            by_place[row[group]]["overdue"] -= row["n"]


def _medians(place, group, period, channel) -> dict:
    resolutions = CaseMonth.objects.filter(place, month=period.month, resolved=1)
    if channel:
        resolutions = resolutions.filter(channel=channel)
    if connection.vendor == "postgresql":
        # Each place's median and the overall one in one pass: GROUP BY ROLLUP, whose extra
        # row (the place NULL, which no case month has) is the total.
        grouped = resolutions.values(group).annotate(m=figures.Median("seconds_to_resolve"))
        sql, params = grouped.order_by().query.sql_with_params()
        head, _, grouping = sql.rpartition(" GROUP BY ")
        # On the database the queryset reads from: the replica in a report read from it.
        with connections[resolutions.db].cursor() as cursor:
            cursor.execute(f"{head} GROUP BY ROLLUP ({grouping})", params)
            return {
                "total" if key is None else key: None if m is None else m / 86400
                for key, m in cursor.fetchall()
            }
    durations = defaultdict(list)  # the embedded SQLite default has no median of its own
    for key, seconds in resolutions.values_list(group, "seconds_to_resolve"):
        durations[key].append(seconds / 86400)
        durations["total"].append(seconds / 86400)
    return {key: statistics.median(values) for key, values in durations.items()}


def any_counted(place: Q, period, channel) -> bool:
    """Whether any case of `channel` counts in a figure of the period at the place: the
    rollups' months, or the cases themselves for a place they cannot express."""
    level = level_for(place)
    if level is None:
        return Case.objects.filter(place, channel=channel).exists()
    start = timezone.localtime(period.start).date().replace(day=1)
    end = timezone.localtime(period.end).date()
    return PlaceMonth.objects.filter(
        place, level=level, month__gte=start, month__lt=end, channel=channel
    ).exists()


def breakdown(place: Q, period) -> dict:
    """figures.breakdown's result: cases received in the period by category and by channel."""
    level = level_for(place) if period.month else None
    if level is None:
        return figures.breakdown(place, period)
    received = PlaceMonth.objects.filter(place, level=level, month=period.month)

    def by(column):
        return list(
            received.values_list(column)
            .annotate(n=Sum("received"))
            .filter(n__gt=0)
            .order_by("-n", column)
        )

    sql, params = received.query.sql_with_params()
    counts = kept.kept(  # a past month's counts, kept; the names are read in the page's language
        "breakdown",
        [period.month],
        (sql, params),
        lambda: {"categories": by("category_id"), "channels": by("channel")},
        using=received.db,
    )
    names = dict(Category.objects.values_list("pk", "name"))
    channels = dict(Channel.choices)
    return {
        "categories": [(category_label(names[pk]), n) for pk, n in counts["categories"]],
        "channels": [(channels.get(key, key), n) for key, n in counts["channels"]],
    }


def trend(place: Q, months) -> dict | None:
    """{month: (received, resolved)} over `months`; None when the place needs the history."""
    level = level_for(place)
    if level is None:
        return None
    rows = (
        PlaceMonth.objects.filter(place, level=level, month__gte=months[0], month__lte=months[-1])
        .values("month")
        .annotate(received=Sum("received"), resolved=Sum("resolved"))
    )
    sql, params = rows.query.sql_with_params()
    return kept.kept(  # twelve past months' are kept; a year up to the open month is not
        "trend",
        list(months),
        (sql, params),
        lambda: {row["month"]: (row["received"], row["resolved"]) for row in rows},
        using=rows.db,
    )
