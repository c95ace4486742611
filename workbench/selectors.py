"""What each role's workbench counts. Every count is the query its list runs, so the number
on the workbench and the length of the list behind it are the same."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Case
from cases.queues import QUEUES, UNFINISHED
from meetings.models import Meeting, MeetingState
from reports import monthly, periods


def queue_counts(scope, keys, role, now=None) -> dict:
    """The named queues over the user's places, each {"key", "label", "count"}, split into
    what this home's person can act on ("to_do") and what waits for someone else ("waiting",
    labelled with who). Counted in one query among the unfinished cases (cases/queues.py),
    each queue's count filtered by its own condition: a home with one more queue asks the
    database nothing more. The escalations waiting are counted apart, from their side: a
    case closed while its escalation waited still counts."""
    now = now or timezone.now()
    cases = scope.narrow(Case.objects.all())
    among_unfinished = [key for key in keys if QUEUES[key].unfinished_only]
    counted = cases.filter(state__in=UNFINISHED).aggregate(
        **{
            key: Count("pk", filter=QUEUES[key].condition(scope.user_id, now))
            for key in among_unfinished
        }
    )
    for key in set(keys) - set(among_unfinished):  # the escalations: few, found from their side
        counted[key] = cases.filter(QUEUES[key].condition(scope.user_id, now)).count()
    split = {"to_do": [], "waiting": []}
    for key in keys:
        queue = QUEUES[key]
        split["to_do" if queue.is_to_do_for(role) else "waiting"].append(
            {"key": key, "label": queue.label_for(role), "count": counted[key]}
        )
    return split


def overdue_by_community(scope, now=None) -> list[dict]:
    """The overdue queue split by community, most first: where the street should look."""
    overdue = QUEUES["overdue"].condition(scope.user_id, now or timezone.now())
    return list(
        scope.narrow(Case.objects.filter(overdue))
        .values("community_id", "community__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "community__name")
    )


def month_so_far(scope, today=None) -> dict:
    """This month's 三率 so far over the user's places, as the report computes them."""
    today = today or timezone.localdate()
    period = periods.month_period(today)
    place = scope.q(Case) or Q()
    return {
        "period": period,
        "total": monthly.compute(place, "street_id", period, overdue=False)["total"],
    }


def next_freeze(today=None):
    """When this month's report is frozen: 00:30 on the 1st (the beat schedule's time)."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return timezone.make_aware(datetime.combine(first, time(0, 30)))


def meetings_between(scope, start, end):
    return (
        scope.narrow(Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end))
        .exclude(state=MeetingState.CANCELLED)
        .select_related("community")
        .order_by("starts_at")[:10]
    )


def invitations(scope, now=None, limit=5):
    """The next meetings the user may read without running them: those they are invited to,
    whichever community holds them, and those with their grids' cases on the agenda. A meeting
    already opened or closed is not a next one, even when it was opened before its hour."""
    now = now or timezone.now()
    return (
        scope.readable(Meeting.objects.filter(starts_at__gte=now, state=MeetingState.SCHEDULED))
        .select_related("community")
        .order_by("starts_at")[:limit]
    )


def this_week(now=None):
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return start, start + timedelta(days=7)
