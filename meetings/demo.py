"""A year of deliberation meetings in the demo street, built together with its cases.

Every community holds its session on the 17th of each month (12 in the year) and emergency
sessions for urgent matters; about 139 are held. The cases demo asks `DemoSessions.slot()` where
each deliberated case is taken up, so its history links to the meeting that decided it.
"""

import random
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, RoleKind
from accounts.selectors import first_officer_by_community
from grids.models import Contact, ContactKind

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
from .monthly import MONTHLY_DAY, MONTHLY_TIME

VENUES = [Venue.ROOM, Venue.BENCH, Venue.PAVILION, Venue.ROOM, Venue.ON_SITE]


class DemoSessions:
    def __init__(self, street, now=None, rng_seed=20260117):
        self.street = street
        self.now = now or timezone.now()
        self.rng = random.Random(rng_seed)
        self.communities = {c.pk: c for c in street.communities.all()}
        self.hosts = first_officer_by_community(list(self.communities))
        self.monthly = {}  # (community_id, month) -> Meeting
        self.items = []  # (meeting, case, status, plan)
        self._create_monthly()

    def _create_monthly(self):
        first = (self.now - timedelta(days=365)).date().replace(day=1)
        months, month = [], first
        while month <= (self.now + timedelta(days=40)).date():
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        rows = []
        for community in self.communities.values():
            for month in months:
                starts = timezone.make_aware(
                    datetime.combine(month.replace(day=MONTHLY_DAY), MONTHLY_TIME)
                )
                if starts < self.now - timedelta(days=365):
                    continue
                rows.append(
                    Meeting(
                        street=self.street,
                        community=community,
                        kind=Kind.MONTHLY,
                        month=month,
                        starts_at=starts,
                        venue_kind=self.rng.choice(VENUES),
                        address=f"{community.name}会议室",
                        host_id=self.hosts.get(community.pk),
                        # Scheduled a month ahead, and never later than now: next month's
                        # session was scheduled today, not on a day still to come.
                        created_at=min(starts - timedelta(days=30), self.now),
                    )
                )
        for meeting in Meeting.objects.bulk_create(rows):
            self.monthly[(meeting.community_id, meeting.month)] = meeting

    def slot(self, case, after, urgent):
        """(meeting id, start) of the session that takes the case up after `after`."""
        if urgent:
            starts = (after + timedelta(hours=self.rng.randint(2, 20))).replace(
                minute=30, second=0, microsecond=0
            )
            meeting = Meeting.objects.create(
                street=self.street,
                community_id=case.community_id,
                kind=Kind.EMERGENCY,
                starts_at=starts,
                venue_kind=self.rng.choice([Venue.BENCH, Venue.ON_SITE, Venue.PAVILION]),
                address="",
                host_id=self.hosts.get(case.community_id),
                created_by_id=self.hosts.get(case.community_id),
                created_at=after,
            )
            return meeting.pk, meeting.starts_at
        candidates = sorted(
            (
                m
                for (community_id, _m), m in self.monthly.items()
                if community_id == case.community_id and m.starts_at > after
            ),
            key=lambda m: m.starts_at,
        )
        meeting = candidates[0]
        return meeting.pk, meeting.starts_at

    def record(self, meeting_id, case, status, plan=""):
        self.items.append((meeting_id, case, status, plan))

    def finish(self):
        """Agenda items, participants, minutes and states, once the cases have their ids."""
        now = self.now
        meetings = {m.pk: m for m in Meeting.objects.filter(street=self.street)}
        positions = {}
        items = []
        self._participants(meetings)
        present = dict(
            Participant.objects.filter(meeting__street=self.street, attended=True)
            .values_list("meeting")
            .annotate(n=Count("id"))
            .order_by()
        )
        for meeting_id, case, status, plan in self.items:
            positions[meeting_id] = positions.get(meeting_id, 0) + 1
            votes_for, votes_against, votes_abstain = self._votes(present.get(meeting_id, 0))
            items.append(
                AgendaItem(
                    meeting_id=meeting_id,
                    case_id=case.pk,
                    position=positions[meeting_id],
                    status={"decided": ItemStatus.DECIDED, "deferred": ItemStatus.DEFERRED}.get(
                        status, ItemStatus.PENDING
                    ),
                    discussion="网格员、居民代表、物业共同讨论，听取居民意见"
                    if status != "pending"
                    else "",
                    plan=plan,
                    votes_for=votes_for if status == "decided" else 0,
                    votes_against=votes_against if status == "decided" else 0,
                    votes_abstain=votes_abstain if status == "decided" else 0,
                    responsible="社区党委、网格员、物业" if status == "decided" else "",
                    public_wording=f"经议事协商会讨论决定：{plan}。" if plan else "",
                    decided_at=meetings[meeting_id].starts_at + timedelta(minutes=40)
                    if status == "decided"
                    else None,
                )
            )
        AgendaItem.objects.bulk_create(items)
        held = []
        for meeting in meetings.values():
            if meeting.starts_at < now:
                meeting.state = MeetingState.CLOSED
                meeting.held_at = meeting.starts_at
                meeting.minutes_approved_at = meeting.starts_at + timedelta(days=1)
                meeting.closed_at = meeting.starts_at + timedelta(days=2)
                meeting.minutes = (
                    f"{meeting.community.name}召开议事协商会，围绕居民反映的问题逐项协商，"
                    "形成方案并明确责任人和完成时限。"
                )
                held.append(meeting)
        Meeting.objects.bulk_update(
            held, ["state", "held_at", "minutes_approved_at", "closed_at", "minutes"]
        )
        self.counts = {
            "meetings": len(meetings),
            "meetings held": len(held),
            "agenda items": len(items),
        }

    def _votes(self, present: int) -> tuple[int, int, int]:
        """For, against and abstaining among those present, as the workflow would take them:
        at most one vote each, and more for than against (some leave before the vote)."""
        rng = self.rng
        against = rng.randint(0, present // 4)
        abstain = rng.randint(0, present // 4)
        left = rng.randint(0, present // 5)
        return present - against - abstain - left, against, abstain

    def summary(self) -> dict:
        return getattr(self, "counts", {})

    def _participants(self, meetings):
        rng = self.rng
        case_grids = {}
        for meeting_id, case, _status, _plan in self.items:
            case_grids.setdefault(meeting_id, set()).add(case.grid_id)
        workers = {
            r.grid_id: r.user
            for r in Role.objects.filter(
                street=self.street, kind=RoleKind.GRID_WORKER
            ).select_related("user")
        }
        contacts = list(
            Contact.objects.filter(street=self.street).exclude(kind=ContactKind.UNIT_LEADER)
        )
        kinds = {
            ContactKind.PARTY_MEMBER: ParticipantKind.PARTY_MEMBER,
            ContactKind.RESIDENT_REP: ParticipantKind.RESIDENT_REP,
            ContactKind.PROPERTY_MANAGER: ParticipantKind.PROPERTY_MANAGER,
            ContactKind.COMMITTEE: ParticipantKind.PROPERTY_MANAGER,
            ContactKind.OUTSIDE_BODY: ParticipantKind.OUTSIDE_BODY,
        }
        rows = []
        for meeting in meetings.values():
            # The agenda's grids send their people; every session has the community's own.
            grid_ids = case_grids.get(meeting.pk, set())
            people = [
                c
                for c in contacts
                if (
                    c.grid_id in grid_ids
                    and c.kind in (ContactKind.PARTY_MEMBER, ContactKind.RESIDENT_REP)
                )
                or (c.grid_id is None and c.community_id == meeting.community_id)
                or (
                    c.kind == ContactKind.PARTY_MEMBER
                    and c.is_leader
                    and c.community_id == meeting.community_id
                    and rng.random() < 0.25
                )
            ]
            if meeting.kind == Kind.EMERGENCY and rng.random() < 0.4:
                people += [c for c in contacts if c.kind == ContactKind.OUTSIDE_BODY][:1]
            past = meeting.starts_at < self.now
            for contact in people:
                came = past and rng.random() < 0.85
                rows.append(
                    Participant(
                        meeting=meeting,
                        kind=kinds[contact.kind],
                        contact=contact,
                        name=contact.name,
                        organisation=contact.organisation,
                        attended=came,
                        named_in_public=came and rng.random() < 0.5,
                        notified_at=meeting.created_at,
                    )
                )
            for grid_id in grid_ids:
                user = workers.get(grid_id)
                if user:
                    rows.append(
                        Participant(
                            meeting=meeting,
                            kind=ParticipantKind.GRID_WORKER,
                            user=user,
                            name=user.first_name or user.username,
                            attended=past,
                            notified_at=meeting.created_at,
                        )
                    )
        Participant.objects.bulk_create(rows, ignore_conflicts=True)
