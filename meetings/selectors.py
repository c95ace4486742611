"""Scoped reads of meetings with what their pages show, aggregated in the database."""

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth

from accounts.selectors import workers_by_grid
from common.queries import count_of
from grids.models import Contact, ContactKind

from .models import AgendaItem, Meeting, MeetingState, Participant

HELD_STATES = (MeetingState.HELD, MeetingState.APPROVED, MeetingState.CLOSED)


def meetings(scope):
    """The meetings of the user's places: what the lists, calendar and counts show."""
    return _with_counts(scope.narrow(Meeting.objects.all()))


def readable_meetings(scope):
    """Those, and the meetings the user may read without running them (accounts/scope.py)."""
    return _with_counts(scope.readable(Meeting.objects.all()))


def _with_counts(meetings):
    return meetings.select_related("community", "host").annotate(
        item_count=count_of(AgendaItem.objects.all(), "meeting"),
        attendee_count=count_of(Participant.objects.filter(attended=True), "meeting"),
    )


def held_per_month(scope, year, community=None):
    """Meetings held in `year`, by month, kind and venue: one grouped query."""
    held = scope.narrow(Meeting.objects.filter(state__in=HELD_STATES, starts_at__year=year))
    if community is not None:
        held = held.filter(community=community)
    return (
        held.annotate(month_number=ExtractMonth("starts_at"))
        .values("month_number", "kind", "venue_kind")
        .annotate(n=Count("id"))
        .order_by("month_number")
    )


def attendance_totals(scope, year, community=None):
    held = scope.narrow(Meeting.objects.filter(state__in=HELD_STATES, starts_at__year=year))
    if community is not None:
        held = held.filter(community=community)
    return held.aggregate(
        meetings=Count("id", distinct=True),
        attendees=Count("participants", filter=Q(participants__attended=True)),
    )


def concerned_by(cases) -> tuple[dict, dict]:
    """Whom cases on an agenda concern, besides the residents who raised them: ({grid id: [its
    grid workers]}, {unit id: [its unit leaders]}). They are invited as a case goes on
    (workflow.py) and told of its meeting, its move and its cancellation
    (notifications/events.py). Two queries."""
    leaders = {}
    for contact in Contact.objects.filter(
        kind=ContactKind.UNIT_LEADER, unit_id__in={c.unit_id for c in cases if c.unit_id}
    ):
        leaders.setdefault(contact.unit_id, []).append(contact)
    return workers_by_grid({case.grid_id for case in cases}), leaders
