"""The meeting's rules, in one place: scheduling, people, agenda, the 四步 inside a session,
minutes and closing.

scheduled ──open──▶ held ──approve minutes (host)──▶ approved ──close──▶ closed
    └──cancel (reason)

Opening a session moves its agenda cases from 提 to 议; recording a decision moves a case to
决 (through `cases.workflow.perform`, with the meeting noted in the case's history); a deferred
item goes to the community's next session (再协商). Every change locks the meeting row first,
so two officers pressing the same button produce one change.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, RoleKind
from accounts.scope import Scope
from accounts.selectors import first_officer_by_community
from cases import workflow as case_workflow
from cases.inputs import Decision, Note
from cases.models import Case, CaseEvent, State, Urgency
from cases.workflow import MoveRefused
from common.people import display_name
from grids.models import Community, Contact, ContactKind

from . import checks, history, selectors
from .inputs import (
    Attendance,
    Cancellation,
    Deferral,
    EmergencySession,
    Guest,
    Invitation,
    ItemDecision,
    Minutes,
    NewMeeting,
    Rescheduling,
)
from .models import (
    AgendaItem,
    ItemStatus,
    Kind,
    Meeting,
    MeetingState,
    Participant,
    ParticipantKind,
    Venue,
)
from .monthly import MONTHLY_DAY, month_of, monthly_start

CHANGE_LABELS = {
    "scheduled": gettext_lazy("scheduled"),
    "moved": gettext_lazy("moved"),
    "cancelled": gettext_lazy("cancelled"),
    "invited": gettext_lazy("people invited"),
    "listed": gettext_lazy("people listed for attendance (the meeting had begun: no invitations)"),
    "guest": gettext_lazy("a guest added"),
    "attendance": gettext_lazy("attendance recorded"),
    "agenda": gettext_lazy("cases put on the agenda"),
    "carried": gettext_lazy("cases carried with an agenda item"),
    "removed": gettext_lazy("a case taken off the agenda"),
    "opened": gettext_lazy("opened"),
    "decided": gettext_lazy("a decision recorded"),
    "deferred": gettext_lazy("an item deferred"),
    "approved": gettext_lazy("minutes approved"),
    "closed": gettext_lazy("closed"),
}
OPEN_MEETING = (MeetingState.SCHEDULED, MeetingState.HELD)
REPORTED = (MeetingState.APPROVED, MeetingState.CLOSED)  # states with a closing report
AGENDA_STATES = (State.PROPOSED, State.DELIBERATING)


# Who may do what, and when: the one home of the meeting page's buttons ------------------
def is_officer_for(scope: Scope, meeting: Meeting) -> bool:
    return scope.is_superuser or (
        meeting.community_id in scope.community_ids or meeting.street_id in scope.street_ids
    )


def opens_at(meeting: Meeting) -> datetime:
    """The earliest moment a session may be opened: a little before it starts, so the room
    can be set up, never hours before (its 议, 决 and minutes would predate the meeting)."""
    return meeting.starts_at - timedelta(minutes=settings.MEETING_OPENS_MINUTES_BEFORE)


def _too_early(meeting, user, now=None):
    if (now or timezone.now()) < opens_at(meeting):
        return _(
            "This meeting starts at %(start)s; it can be opened from %(opens)s, not before."
        ) % {
            "start": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
            "opens": timezone.localtime(opens_at(meeting)).strftime("%H:%M"),
        }
    return None


# Someone told of a meeting a little after its start can still come (a session called for
# now); later than this, nobody is invited to it or told that a case "will be" deliberated.
LATE_ARRIVAL = timedelta(minutes=15)


def too_late_to_come(meeting: Meeting, now=None) -> bool:
    """Whether the meeting began too long ago to ask anyone to come: its invitations are not
    sent (the people are only listed, for its attendance), and notices about it speak of it in
    the past (notifications/events.py, the public page)."""
    return (now or timezone.now()) > meeting.starts_at + LATE_ARRIVAL


def _approvable(meeting, user):
    """The host approves minutes that are written: no button offers to approve nothing."""
    if meeting.host_id != user.pk:
        return _("Only the host approves the minutes.")
    if not meeting.minutes.strip():
        return _("Write the minutes before approving them.")
    return None


@dataclass(frozen=True)
class Rule:
    """When an action is possible: the meeting's states (with the refusal otherwise, naming
    the state) and any further condition, which returns why not or None."""

    states: tuple
    refused: str
    condition: Callable | None = field(default=None)


SCHEDULED, HELD = (MeetingState.SCHEDULED,), (MeetingState.HELD,)
CHANGING_AGENDA = gettext_lazy("A %(state)s meeting's agenda cannot change.")
INVITING = gettext_lazy("People cannot be invited to a %(state)s meeting.")
RECORDING = gettext_lazy("Items are recorded while the meeting is held, not when it is %(state)s.")
MEETING_RULES = {
    "edit": Rule(SCHEDULED, gettext_lazy("A %(state)s meeting cannot be moved.")),
    "open": Rule(SCHEDULED, gettext_lazy("A %(state)s meeting cannot be opened."), _too_early),
    "cancel": Rule(SCHEDULED, gettext_lazy("A %(state)s meeting cannot be cancelled.")),
    "invite": Rule(OPEN_MEETING, INVITING),
    "guest": Rule(OPEN_MEETING, INVITING),
    # Who came is known once people are coming in: from when the session can be opened.
    "attendance": Rule(
        OPEN_MEETING,
        gettext_lazy("Attendance of a %(state)s meeting cannot change."),
        _too_early,
    ),
    "agenda": Rule(OPEN_MEETING, CHANGING_AGENDA),
    "minutes": Rule(HELD, gettext_lazy("The minutes of a %(state)s meeting are final.")),
    "approve": Rule(
        HELD,
        gettext_lazy("Only a held meeting's minutes can be approved (it is %(state)s)."),
        _approvable,
    ),
    "close": Rule(
        (MeetingState.APPROVED,),
        gettext_lazy("Close a meeting after its minutes are approved (it is %(state)s)."),
    ),
}
ITEM_RULES = {
    "decide": Rule(HELD, RECORDING),
    "defer": Rule(HELD, RECORDING),
    "remove": Rule(SCHEDULED, CHANGING_AGENDA),
}


def refusal(scope: Scope, user, meeting: Meeting, action: str, item=None) -> str | None:
    """Why `action` (on the meeting, or on one of its agenda items) is not possible now, or
    None when it is. Readers of a meeting who do not run it may do nothing."""
    if not is_officer_for(scope, meeting):
        return _("Only the community's officers run its meetings.")
    rule = ITEM_RULES[action] if item is not None else MEETING_RULES[action]
    if meeting.state not in rule.states:
        return str(rule.refused) % {"state": meeting.get_state_display()}
    if item is not None and item.status != ItemStatus.PENDING:
        return _("This item is already %(status)s.") % {"status": item.get_status_display()}
    return rule.condition(meeting, user) if rule.condition else None


@dataclass(frozen=True)
class Actions:
    """What one user may do now on one meeting: the meeting's actions, and each agenda
    item's. The meeting page draws every button and form from this, and nothing else."""

    meeting: frozenset
    items: dict

    def on(self, item) -> frozenset:
        return self.items.get(item.pk, frozenset())


def available_actions(scope: Scope, user, meeting: Meeting, items=None) -> Actions:
    items = list(meeting.items.all()) if items is None else items
    return Actions(
        meeting=frozenset(
            name for name in MEETING_RULES if refusal(scope, user, meeting, name) is None
        ),
        items={
            item.pk: frozenset(
                name for name in ITEM_RULES if refusal(scope, user, meeting, name, item) is None
            )
            for item in items
        },
    )


def has_notice(item: AgendaItem) -> bool:
    """A decided item has a public notice (公示), read by everyone who may read the meeting."""
    return item.status == ItemStatus.DECIDED


def _check(scope: Scope, user, meeting: Meeting, action: str, item=None):
    """The same rule again, under the meeting's lock."""
    reason = refusal(scope, user, meeting, action, item)
    if reason:
        raise MoveRefused(reason)


def _expect(inputs, kind):
    # A programming error, not a user's: the pages always build the right inputs.
    if not isinstance(inputs, kind):
        raise TypeError(f"expected {kind.__name__}, not {type(inputs).__name__}")


def _invalid(errors: dict):
    if errors:
        raise MoveRefused(_("Please correct the fields below."), errors=errors)


class StaleVersion(MoveRefused):
    """Someone saved the meeting after this user opened the form: nothing is saved, and the
    page shows the user's text with the current version, so saving again is a deliberate
    choice, never a silent overwrite."""

    def __init__(self, current_version: int):
        super().__init__(
            _(
                "Someone else saved this meeting after you opened the form; your changes are "
                "not saved. Check the current version, then save again if yours should "
                "replace it."
            )
        )
        self.current_version = current_version


def _unless_changed(meeting: Meeting, version):
    if version != meeting.version:
        raise StaleVersion(meeting.version)


def _locked(scope: Scope, meeting_id) -> Meeting:
    meeting = scope.narrow(Meeting.objects.select_for_update()).filter(pk=meeting_id).first()
    if meeting is None:
        raise MoveRefused(_("This meeting does not exist or is outside your places."))
    return meeting


# Every change to a meeting below is written by history.record, which follows it with what it
# causes (meetings/consequences.py: the invitations' notices).
_record = history.record


# Monthly sessions (每月17日固定协商), on the day meetings/monthly.py gives -----------------
def schedule_monthly_sessions(month: date, communities=None) -> int:
    """Create each community's session on the 17th of `month`; returns how many were new.

    Idempotent: a partial unique index allows one monthly session per community and month, and
    the insert skips rows that exist, so a second run (or a second machine) creates nothing.
    A 17th on a weekend or holiday keeps its date; the community may move it to the working
    day before or after it (meetings/monthly.py).
    """
    month = month.replace(day=1)
    communities = list(communities if communities is not None else Community.objects.all())
    hosts = first_officer_by_community([c.pk for c in communities])
    before = Meeting.objects.filter(kind=Kind.MONTHLY, month=month).count()
    Meeting.objects.bulk_create(
        [
            Meeting(
                street_id=community.street_id,
                community=community,
                kind=Kind.MONTHLY,
                month=month,
                starts_at=monthly_start(month),
                venue_kind=Venue.ROOM,
                address=f"{community.name}会议室",
                host_id=hosts.get(community.pk),
            )
            for community in communities
        ],
        ignore_conflicts=True,
    )
    return Meeting.objects.filter(kind=Kind.MONTHLY, month=month).count() - before


def months_to_schedule(today: date) -> list[date]:
    """This month's session until its 17th has passed, and always next month's."""
    this_month = today.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    return ([this_month] if today.day <= MONTHLY_DAY else []) + [next_month]


def next_session(meeting_or_community, after: datetime) -> Meeting:
    """The community's next monthly session after `after`, created if it is not there yet."""
    community = getattr(meeting_or_community, "community", meeting_or_community)
    month = timezone.localtime(after).date().replace(day=1)
    for _attempt in range(3):
        candidate = (
            Meeting.objects.filter(
                community=community,
                kind=Kind.MONTHLY,
                starts_at__gt=after,
                state=MeetingState.SCHEDULED,
            )
            .order_by("starts_at")
            .first()
        )
        if candidate:
            return candidate
        schedule_monthly_sessions(month, [community])
        month = (month + timedelta(days=32)).replace(day=1)
    raise MoveRefused(_("There is no next session to defer to; schedule one first."))


# Creating and moving meetings ----------------------------------------------------------
def create_meeting(scope: Scope, user, new: NewMeeting) -> Meeting:
    with transaction.atomic():
        _expect(new, NewMeeting)
        meeting = Meeting(
            street_id=new.community.street_id,
            community=new.community,
            kind=new.kind,
            starts_at=new.starts_at,
            venue_kind=new.venue_kind,
            address=new.address,
            host=new.host,
            created_by=user,
        )
        if not is_officer_for(scope, meeting):
            raise MoveRefused(_("Only the community's officers run its meetings."))
        _invalid(checks.new_meeting(new))
        if meeting.kind == Kind.MONTHLY:
            meeting.month = month_of(meeting.starts_at)
        try:
            with transaction.atomic():
                meeting.save()
        except IntegrityError:
            raise MoveRefused(
                _("This community already has its monthly session for that month.")
            ) from None
        _record(meeting, "scheduled", user)
    return meeting


def change_meeting(scope: Scope, user, meeting_id, moved: Rescheduling) -> Meeting:
    """Move a scheduled meeting (date, venue, host); the change is recorded with before/after."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "edit")
        _expect(moved, Rescheduling)
        _unless_changed(meeting, moved.version)
        _invalid(checks.rescheduling(meeting, moved))
        before = {
            "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
            "venue": meeting.get_venue_kind_display(),
            "address": meeting.address,
        }
        meeting.starts_at = moved.starts_at
        meeting.venue_kind = moved.venue_kind
        meeting.address = moved.address
        meeting.host = moved.host
        meeting.version += 1
        meeting.save()
        after = {
            "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
            "venue": meeting.get_venue_kind_display(),
            "address": meeting.address,
        }
        _record(meeting, "moved", user, details={"before": before, "after": after})
    return meeting


def cancel_meeting(scope: Scope, user, meeting_id, cancellation: Cancellation) -> Meeting:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "cancel")
        _expect(cancellation, Cancellation)
        _invalid(checks.cancellation(cancellation))
        reason = cancellation.reason
        meeting.state = MeetingState.CANCELLED
        meeting.cancel_reason = reason
        meeting.save()
        # Its cases stay 提 and are offered to the next session; whoever they concern hears
        # that this meeting is off (notifications/events.py), so their codes go in the row.
        pending = meeting.items.filter(status=ItemStatus.PENDING)
        codes = list(pending.values_list("case__tracking_code", flat=True))
        pending.delete()
        _record(meeting, "cancelled", user, reason, details={"cases": codes})
    return meeting


# Emergency sessions (紧急事项即时协商) ------------------------------------------------------
def emergency_refusal(scope: Scope, user, case) -> str | None:
    """Why this user cannot call an emergency session for this case now, or None. An officer
    calls one at once for an urgent, accepted case; one such session at a time, so its people
    are invited once."""
    if case.urgency != Urgency.URGENT:
        return _("An emergency session is for an urgent case.")
    if case.state not in (State.ACCEPTED, State.PROPOSED) or not case_workflow.officer(
        scope, user, case
    ):
        return _("An emergency session is called by an officer for an accepted urgent case.")
    if AgendaItem.objects.filter(
        case=case, meeting__kind=Kind.EMERGENCY, meeting__state__in=OPEN_MEETING
    ).exists():
        return _("An emergency session for this case is already called; see the case page.")
    return None


def call_emergency_session(scope: Scope, user, case_id, session: EmergencySession) -> Meeting:
    """One action: a session today or tomorrow, the case on its agenda, people invited."""
    with transaction.atomic():
        case = scope.narrow(Case.objects.select_for_update()).filter(pk=case_id).first()
        if case is None:
            raise MoveRefused(_("This case does not exist or is outside your places."))
        refused = emergency_refusal(scope, user, case)
        if refused:
            raise MoveRefused(refused)
        _expect(session, EmergencySession)
        _invalid(checks.emergency_session(session))
        meeting = Meeting.objects.create(
            street_id=case.street_id,
            community_id=case.community_id,
            kind=Kind.EMERGENCY,
            starts_at=session.starts_at,
            venue_kind=session.venue_kind,
            address=session.address or str(case.building or case.grid),
            host=user,
            created_by=user,
        )
        _record(meeting, "scheduled", user, case.tracking_code)
        if case.state == State.ACCEPTED:
            case_workflow.perform(
                scope, user, case.pk, "propose", Note(), meeting={"meeting": meeting.pk}
            )
        AgendaItem.objects.create(meeting=meeting, case=case, position=1)
        invited = _invite(
            meeting, [k for k in ParticipantKind.values if k not in ("guest", "outside_body")]
        )
        # Whom the case concerns (its grid workers, its unit's leaders) is invited by the
        # notice that names it, the others of its grid and building by the invitation: each
        # person hears once.
        told = _to_the_meeting(meeting, [case], user)
        meeting.notified = told + mark_notified(meeting, user, invited)
    return meeting


# People ---------------------------------------------------------------------------------
def _people_of(meeting: Meeting, kind: str):
    """(name, organisation, user, contact) for one group of the hierarchy's people.

    Party members, grid workers and resident representatives come from the grids of the
    agenda's cases (the whole community when the agenda is empty); unit leaders from the
    agenda's buildings; property managers from the community.
    """
    cases = Case.objects.filter(agenda_items__meeting=meeting)
    grid_ids = list(cases.values_list("grid_id", flat=True).distinct())
    grids = Q(grid_id__in=grid_ids) if grid_ids else Q(community_id=meeting.community_id)
    if kind == ParticipantKind.GRID_WORKER:
        roles = Role.objects.filter(kind=RoleKind.GRID_WORKER, user__is_active=True).filter(
            Q(grid_id__in=grid_ids) if grid_ids else Q(community_id=meeting.community_id)
        )
        return [
            (display_name(role.user), "", role.user, None) for role in roles.select_related("user")
        ]
    contacts = Contact.objects.filter(street_id=meeting.street_id)
    if kind == ParticipantKind.PARTY_MEMBER:
        contacts = contacts.filter(grids, kind=ContactKind.PARTY_MEMBER)
        if not grid_ids:
            contacts = contacts.filter(is_leader=True)
    elif kind == ParticipantKind.UNIT_LEADER:
        buildings = list(cases.exclude(building=None).values_list("building_id", flat=True))
        contacts = contacts.filter(kind=ContactKind.UNIT_LEADER, unit__building_id__in=buildings)
    elif kind == ParticipantKind.RESIDENT_REP:
        contacts = contacts.filter(grids, kind=ContactKind.RESIDENT_REP)
    elif kind == ParticipantKind.PROPERTY_MANAGER:
        contacts = contacts.filter(
            community_id=meeting.community_id,
            kind__in=[ContactKind.PROPERTY_MANAGER, ContactKind.COMMITTEE],
        )
    else:
        return []
    return [(c.name, c.organisation, None, c) for c in contacts]


def _contact_participant(meeting: Meeting, kind, contact: Contact) -> Participant:
    """A person of the street's contacts (a unit leader, an outside body) on the list."""
    return Participant(
        meeting=meeting,
        kind=kind,
        name=contact.name,
        organisation=contact.organisation,
        contact=contact,
    )


def _invite(meeting: Meeting, kinds, outside_bodies=()) -> int:
    rows = [
        Participant(meeting=meeting, kind=kind, name=name, organisation=org, user=u, contact=c)
        for kind in kinds
        for name, org, u, c in _people_of(meeting, kind)
    ] + [
        _contact_participant(meeting, ParticipantKind.OUTSIDE_BODY, body) for body in outside_bodies
    ]
    return _listed(meeting, rows)


def _listed(meeting: Meeting, rows) -> int:
    """Put the people on the meeting's list, each once; returns how many were new."""
    before = meeting.participants.count()
    Participant.objects.bulk_create(rows, ignore_conflicts=True)
    return meeting.participants.count() - before


def invite(scope: Scope, user, meeting_id, invitation: Invitation) -> int:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "invite")
        _expect(invitation, Invitation)
        _invalid(checks.invitation(meeting, invitation))
        added = _invite(meeting, invitation.kinds, invitation.outside_bodies)
        if added:
            mark_notified(meeting, user, added)
    return added


def add_guest(scope: Scope, user, meeting_id, guest: Guest) -> Participant:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "guest")
        _expect(guest, Guest)
        _invalid(checks.guest(guest))
        added = Participant.objects.create(
            meeting=meeting,
            kind=ParticipantKind.GUEST,
            name=guest.name,
            organisation=guest.organisation,
        )
        _record(meeting, "guest", user, guest.name)
    return added


def record_attendance(scope: Scope, user, meeting_id, attendance: Attendance) -> Meeting:
    """Who came, and who agreed to be named on public notices (opt-in, per person). Ids of
    people not invited to this meeting are left out."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "attendance")
        _expect(attendance, Attendance)
        _invalid(checks.attendance(attendance))
        names = dict(meeting.participants.values_list("pk", "name"))
        attended = set(attendance.attended) & names.keys()
        named = set(attendance.named) & attended
        absent = (set(attendance.named) & names.keys()) - attended
        _invalid(checks.named_only_if_present(sorted(names[pk] for pk in absent)))
        decided = meeting.items.filter(status=ItemStatus.DECIDED).select_related("case")
        _invalid(checks.attendance_covers_votes(len(attended), decided))
        meeting.participants.update(attended=False, named_in_public=False)
        meeting.participants.filter(pk__in=attended).update(attended=True)
        meeting.participants.filter(pk__in=named).update(named_in_public=True)
        _record(meeting, "attendance", user, details={"attended": len(attended)})
    return meeting


def mark_notified(meeting: Meeting, actor, invited: int | None = None) -> int:
    """Invitations go out once per person: the invitation of `invited` people (all those
    waiting when not given) is recorded, its consequences tell the people not told yet (bell,
    e-mail, SMS: meetings/consequences.py), and those told are marked. Returns how many were
    told now; with nobody waiting, nothing is recorded.

    Nobody is invited to a meeting that began too long ago (`too_late_to_come`: one recorded
    after it was held, say): the people are listed, for its attendance, and told nothing."""
    waiting = list(
        meeting.participants.filter(notified_at__isnull=True).select_related("user", "contact")
    )
    if not waiting:
        return 0
    people = len(waiting) if invited is None else invited
    if too_late_to_come(meeting):
        if people:
            _record(meeting, "listed", actor, details={"people": people})
        return 0
    told = _record(meeting, "invited", actor, details={"people": people}, participants=waiting)
    meeting.participants.filter(pk__in=told).update(notified_at=timezone.now())
    return len(told)


def _list_concerned(meeting: Meeting, cases) -> tuple[int, list]:
    """Whom cases going to the meeting concern is put on its list: the grid workers of their
    grids and the leaders of their units (meetings/selectors.concerned_by). Returns how many
    were new, and those of them not told of the meeting yet."""
    workers, leaders = selectors.concerned_by(cases)
    users = {u.pk: u for grid_workers in workers.values() for u in grid_workers}
    contacts = {c.pk: c for unit_leaders in leaders.values() for c in unit_leaders}
    rows = [
        Participant(meeting=meeting, kind=ParticipantKind.GRID_WORKER, name=display_name(u), user=u)
        for u in users.values()
    ] + [
        _contact_participant(meeting, ParticipantKind.UNIT_LEADER, leader)
        for leader in contacts.values()
    ]
    added = _listed(meeting, rows)
    waiting = list(
        meeting.participants.filter(notified_at__isnull=True)
        .filter(Q(user_id__in=list(users)) | Q(contact_id__in=list(contacts)))
        .select_related("user", "contact")
    )
    return added, waiting


def _to_the_meeting(meeting: Meeting, cases, actor, change: str = "agenda") -> int:
    """Cases go to the meeting (`change`: put on its agenda, or carried with another case's
    item): the change is recorded, and whom they concern is invited by it, in one notice per
    person however many of the cases concern them. The grid workers of their grids and the
    leaders of their units are listed, and the notice that names their matters is their
    invitation; the residents who raised them hear too (notifications.events.agenda_added).
    Those told are marked told; returns how many.

    Nobody is invited to a meeting that began too long ago (`too_late_to_come`): the people
    are listed, for its attendance, and hear that the cases were taken to it."""
    added, waiting = _list_concerned(meeting, cases)
    details = {"cases": [case.tracking_code for case in cases]}
    if too_late_to_come(meeting):
        _record(meeting, change, actor, details=details)
        if added:
            _record(meeting, "listed", actor, details={"people": added})
        return 0
    told = _record(meeting, change, actor, details=details, participants=waiting)
    meeting.participants.filter(pk__in=told).update(notified_at=timezone.now())
    return len(told)


def carry_to_meeting(scope: Scope, user, meeting_id, case_ids: Iterable[int]) -> int:
    """Cases that go to a session with an agenda item not their own (a recurring problem's,
    recurring/services.py): the change is recorded, and whom they concern is invited and told
    as the item's own case's people are, in the same notice while it has not left (one per
    person). Returns how many participants were told now."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "agenda")
        cases = list(
            Case.objects.filter(pk__in=list(case_ids), community_id=meeting.community_id)
            .select_related("grid", "category")
            .order_by("created_at", "pk")
        )
        return _to_the_meeting(meeting, cases, user, "carried") if cases else 0


# The agenda -----------------------------------------------------------------------------
def _carried_by_items():
    """The history rows of cases that went to a session with an item not their own (a
    recurring problem's), each with that item's id (`item_id`)."""
    return (
        CaseEvent.objects.filter(move__in=("propose", "deliberate"))
        .filter(details__has_key="agenda_item")
        .annotate(item_id=Cast(KT("details__agenda_item"), BigIntegerField()))
    )


def on_an_agenda() -> Q:
    """A case that waits for a meeting: on an agenda by an item of its own, or carried by
    another's (a recurring problem's cases go with its one item, and their history names
    that item)."""
    pending = AgendaItem.objects.filter(status=ItemStatus.PENDING)
    carried = _carried_by_items().filter(case=OuterRef("pk"), item_id__in=pending.values("pk"))
    return Q(Exists(pending.filter(case=OuterRef("pk")))) | Q(Exists(carried))


# How long a session sits: a case logged later than this after the meeting's start did not
# exist while it sat, so its agenda (entered afterwards, or on a meeting left unopened) can't
# hold it; a case logged during the session can still be brought in.
SITTING = timedelta(hours=3)


def logged_by_the_end(meeting: Meeting) -> datetime:
    """The latest a case may have been logged to go on `meeting`'s agenda (`SITTING`)."""
    return meeting.starts_at + SITTING


def offered_cases(meeting: Meeting):
    """The community's 提 (and 再协商) cases that wait for a session, for the next one: not
    one on an agenda already (`on_an_agenda`), nor one logged after the meeting sat."""
    return (
        Case.objects.filter(
            community_id=meeting.community_id,
            state__in=AGENDA_STATES,
            created_at__lte=logged_by_the_end(meeting),
        )
        .exclude(on_an_agenda())
        .select_related("grid", "category")
        .order_by("created_at")
    )


def add_to_agenda(scope: Scope, user, meeting_id, case_ids: Iterable[int]) -> int:
    """Put the community's cases waiting for deliberation on the meeting's agenda, all or none;
    returns how many. On a meeting being held, each one goes to 议 at once."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "agenda")
        wanted = set(case_ids)
        if not all(isinstance(pk, int) for pk in wanted):
            raise TypeError("add_to_agenda takes case ids (int)")
        if not wanted:
            raise MoveRefused(_("Tick at least one case."))
        cases = list(offered_cases(meeting).filter(pk__in=wanted).select_for_update(of=("self",)))
        if len(cases) != len(wanted):
            _refuse_cases_logged_after(meeting, wanted)
            raise MoveRefused(
                _("Only the community's cases waiting for deliberation can be added.")
            )
        position = meeting.items.count()
        for offset, case in enumerate(cases, start=1):
            AgendaItem.objects.create(meeting=meeting, case=case, position=position + offset)
            if meeting.state == MeetingState.HELD and case.state == State.PROPOSED:
                _deliberate(scope, user, meeting, case)
        # One notice per person the cases concern, their invitation (events.agenda_added).
        _to_the_meeting(meeting, cases, user)
    return len(cases)


def _refuse_cases_logged_after(meeting: Meeting, wanted) -> None:
    """Name the case that came too late for the meeting, where that is why it can't join."""
    late = (
        Case.objects.filter(pk__in=wanted, community_id=meeting.community_id)
        .filter(created_at__gt=logged_by_the_end(meeting))
        .order_by("created_at")
        .first()
    )
    if late is not None:
        raise MoveRefused(
            _(
                "%(code)s was logged on %(logged)s, after this meeting of %(start)s sat; "
                "put it on a later session's agenda."
            )
            % {
                "code": late.tracking_code,
                "logged": timezone.localtime(late.created_at).strftime("%Y-%m-%d %H:%M"),
                "start": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
            }
        )


def remove_from_agenda(scope: Scope, user, meeting_id, item_id) -> None:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        item = _item_of(meeting, item_id)
        _check(scope, user, meeting, "remove", item)
        code = item.case.tracking_code
        # A recurring problem's item carries its other cases: they leave the agenda with it.
        carried = list(
            _carried_by_items()
            .filter(item_id=item.pk)
            .exclude(case_id=item.case_id)
            .values_list("case__tracking_code", flat=True)
            .distinct()
        )
        item.delete()
        _record(meeting, "removed", user, code, details={"carried": carried})


def _deliberate(scope, user, meeting, case):
    case_workflow.perform(
        scope, user, case.pk, "deliberate", Note(), meeting={"meeting": meeting.pk}
    )


# The session ----------------------------------------------------------------------------
def open_meeting(scope: Scope, user, meeting_id) -> Meeting:
    """The session starts: its 提 cases move to 议."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "open")
        meeting.state = MeetingState.HELD
        meeting.held_at = timezone.now()
        meeting.save()
        for item in meeting.items.select_related("case").filter(case__state=State.PROPOSED):
            _deliberate(scope, user, meeting, item.case)
        _record(meeting, "opened", user)
    return meeting


def _item_of(meeting, item_id) -> AgendaItem:
    item = meeting.items.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise MoveRefused(_("This item is not on this meeting's agenda."))
    return item


def _locked_item(scope, user, meeting_id, item_id, action):
    meeting = _locked(scope, meeting_id)
    item = _item_of(meeting, item_id)
    _check(scope, user, meeting, action, item)
    return meeting, item


def record_decision(scope: Scope, user, meeting_id, item_id, decision: ItemDecision) -> AgendaItem:
    """决: the plan, the vote, who is responsible, and the tasks; the case moves to decided.

    All or nothing: a task refused (its owner not of the case's places, a date passed) refuses
    the decision, its message keyed `task<n>-<field>` for the decision's n-th task."""
    with transaction.atomic():
        meeting, item = _locked_item(scope, user, meeting_id, item_id, "decide")
        _expect(decision, ItemDecision)
        attendees = meeting.participants.filter(attended=True).count()
        errors = checks.item_decision(decision, attendees)
        errors.update(checks.public_wording_names_nobody(decision, item.case.resident_name))
        _invalid(errors)
        for field in (
            "discussion",
            "plan",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "responsible",
            "public_wording",
        ):
            setattr(item, field, getattr(decision, field))
        item.status = ItemStatus.DECIDED
        item.decided_at = timezone.now()
        item.save()
        link = {"meeting": meeting.pk, "agenda_item": item.pk}
        case_decision = Decision(plan=decision.plan, note=decision.discussion)
        case_workflow.perform(scope, user, item.case_id, "decide", case_decision, meeting=link)
        # The decided tasks take the same path as any other: checked, with a history row.
        for number, task in enumerate(decision.tasks):
            try:
                case_workflow.add_task(scope, user, item.case_id, task, meeting=link)
            except MoveRefused as refused:
                errors = {f"task{number}-{k}": v for k, v in refused.errors.items()}
                raise MoveRefused(str(refused), errors=errors) from None
        votes = [item.votes_for, item.votes_against, item.votes_abstain]
        _record(meeting, "decided", user, item.case.tracking_code, {"votes": votes})
    return item


def defer_item(scope: Scope, user, meeting_id, item_id, deferral: Deferral) -> AgendaItem:
    """再协商: the discussion is kept and the case goes on the next session's agenda."""
    with transaction.atomic():
        meeting, item = _locked_item(scope, user, meeting_id, item_id, "defer")
        _expect(deferral, Deferral)
        _invalid(checks.deferral(deferral))
        item.discussion = deferral.discussion
        item.status = ItemStatus.DEFERRED
        item.save()
        following = next_session(meeting, max(meeting.starts_at, timezone.now()))
        following = Meeting.objects.select_for_update().get(pk=following.pk)
        _item, added = AgendaItem.objects.get_or_create(
            meeting=following,
            case_id=item.case_id,
            defaults={"position": following.items.count() + 1},
        )
        if added:  # whoever the case concerns hears of its next session, and is invited
            _to_the_meeting(following, [item.case], user)
        _record(meeting, "deferred", user, item.case.tracking_code, {"to_meeting": following.pk})
    return item


def save_minutes(scope: Scope, user, meeting_id, minutes: Minutes) -> Meeting:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "minutes")
        _expect(minutes, Minutes)
        _unless_changed(meeting, minutes.version)
        _invalid(checks.minutes(minutes))
        meeting.minutes = minutes.text
        meeting.version += 1
        meeting.save(update_fields=["minutes", "version"])
    return meeting


def approve_minutes(scope: Scope, user, meeting_id) -> Meeting:
    """The host makes the minutes final; every item must be decided or deferred first."""
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "approve")
        if not meeting.minutes.strip():
            raise MoveRefused(_("Write the minutes before approving them."))
        if meeting.items.filter(status=ItemStatus.PENDING).exists():
            raise MoveRefused(_("Decide or defer every agenda item before approving the minutes."))
        meeting.state = MeetingState.APPROVED
        meeting.minutes_approved_at = timezone.now()
        meeting.save()
        _record(meeting, "approved", user)
    return meeting


def close_meeting(scope: Scope, user, meeting_id) -> Meeting:
    with transaction.atomic():
        meeting = _locked(scope, meeting_id)
        _check(scope, user, meeting, "close")
        meeting.state = MeetingState.CLOSED
        meeting.closed_at = timezone.now()
        meeting.save()
        _record(meeting, "closed", user)
    return meeting
