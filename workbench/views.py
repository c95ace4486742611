"""Each role's home page: its to-do list first, then its places."""

from django.shortcuts import render
from django.utils import timezone

from cases.offline import offline_cacheable
from recurring import selectors as recurring

from . import places, selectors

# What each home counts; cases/queues.py says which of them are the person's own to-dos and
# which wait for someone else (shown apart, saying who).
WORKER_QUEUES = ("follow_up_due", "my_cases", "my_tasks", "to_accept")
OFFICER_QUEUES = (
    "to_accept",
    "overdue",
    "to_deliberate",
    "my_cases",
    "tasks_this_week",
    "escalation_waiting",
)
STREET_QUEUES = ("escalation_waiting", "overdue")


def home(request):
    scope = request.scope
    now = timezone.now()
    context = {"now": now}
    if scope.street_ids or scope.is_superuser:
        context["street"] = {
            "queues": selectors.queue_counts(scope, STREET_QUEUES, "street", now),
            "overdue_by_community": selectors.overdue_by_community(scope, now),
            "month": selectors.month_so_far(scope),
            "next_freeze": selectors.next_freeze(),
        }
        context["streets"] = places.streets(scope)
    elif scope.community_ids:
        week_start, week_end = selectors.this_week(now)
        context["officer"] = {
            "queues": selectors.queue_counts(scope, OFFICER_QUEUES, "officer", now),
            "meetings": list(selectors.meetings_between(scope, week_start, week_end)),
            "recurring": recurring.for_workbench(scope, "community"),
        }
        context["communities"] = places.communities(scope)
    if scope.grid_ids:
        context["worker"] = {
            "queues": selectors.queue_counts(scope, WORKER_QUEUES, "worker", now),
            "meetings": list(selectors.invitations(scope, now)),
            "recurring": recurring.for_workbench(scope, "grid"),
        }
        if not (scope.street_ids or scope.community_ids):
            context["grids"] = places.grids(scope)
    response = render(request, "workbench/home.html", context)
    # Kept by the service worker for this user: the start page without a signal.
    return offline_cacheable(response, request.user) if scope.has_any_place else response
