"""议事协商会: the monthly 17th sessions and emergency sessions, their people, agenda and minutes.

The states and the rules for moving between them belong to `meetings/workflow.py`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from common.models import AppendOnly
from common.phones import MOBILE_RE, normalise_phone
from grids.models import Community, Contact, Street


class Kind(models.TextChoices):
    MONTHLY = "monthly", _("monthly session")
    EMERGENCY = "emergency", _("emergency session")


class Venue(models.TextChoices):
    # 小板凳议事会: neighbours sit down together on small stools in front of their building
    # or in the courtyard, wherever they gather; 现场: the meeting is held where the problem
    # is, by the broken benches or the leaking pipe (the seed's 现场协商会).
    BENCH = "bench", _("small-stool meeting: neighbours sit together outside their building")
    PAVILION = "pavilion", _("courtyard pavilion")
    ROOM = "room", _("community meeting room")
    ONLINE = "online", _("online")
    ON_SITE = "on_site", _("on site: at the place of the problem")


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    HELD = "held", _("held")
    APPROVED = "approved", _("minutes approved")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


class Meeting(models.Model):
    scope_paths = {"street": "street_id", "community": "community_id"}
    # Who may read a meeting without running it (see accounts/scope.py): the people invited
    # to it, and the grid workers whose grid's cases are on its agenda.
    reader_paths = {"user": "participants__user_id", "grid": "items__case__grid_id"}

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The month a monthly session belongs to (its first day): one per community and month,
    # so the scheduler can run twice, or on two machines, and still create one.
    month = models.DateField(null=True, blank=True, editable=False)
    starts_at = models.DateTimeField(_("date and time"))
    venue_kind = models.CharField(_("venue"), max_length=10, choices=Venue.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
        verbose_name=_("host"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    cancel_reason = models.CharField(_("why cancelled"), max_length=500, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=20000)
    minutes_approved_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every edit of the date, venue or minutes: a form opened before someone else
    # saved carries an older number and is refused instead of overwriting their change.
    version = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month"],
                condition=models.Q(kind="monthly"),
                name="one_monthly_session_per_community_and_month",
            )
        ]
        indexes = [
            models.Index(fields=["community", "-starts_at"]),
            models.Index(fields=["street", "-starts_at"]),
            models.Index(fields=["state", "starts_at"]),
        ]

    def __str__(self):
        day = timezone.localtime(self.starts_at).date()
        return f"{self.community} {day:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def where(self) -> str:
        """The kind of venue and, when given, its address, as every page says it."""
        kind = self.get_venue_kind_display()
        return f"{kind} · {self.address}" if self.address else str(kind)


class MeetingChange(AppendOnly):
    """What happened to a meeting: scheduled, moved, held, approved, closed, cancelled."""

    # PROTECT: deleting a meeting does not take its history with it.
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="changes")
    what = models.CharField(max_length=30)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.meeting_id} {self.what}"


class ParticipantKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party group member")
    GRID_WORKER = "grid_worker", _("grid worker")
    UNIT_LEADER = "unit_leader", _("unit leader")
    RESIDENT_REP = "resident_rep", _("resident representative")
    PROPERTY_MANAGER = "property_manager", _("property manager")
    OUTSIDE_BODY = "outside_body", _("outside body")
    GUEST = "guest", _("guest")


class Participant(models.Model):
    scope_paths = {"street": "meeting__street_id", "community": "meeting__community_id"}

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(_("as"), max_length=20, choices=ParticipantKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    organisation = models.CharField(_("organisation"), max_length=80, blank=True)
    attended = models.BooleanField(_("attended"), default=False)
    # Naming attendees on public notices is opt-in, per person.
    named_in_public = models.BooleanField(_("may be named on notices"), default=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_user_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "contact"],
                condition=models.Q(contact__isnull=False),
                name="participant_contact_once",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def reachable(self) -> bool:
        """Whether an invitation can reach them: by their account, or a contact by SMS."""
        if self.user_id:
            return True
        phone = self.contact.phone if self.contact_id else ""
        return bool(MOBILE_RE.match(normalise_phone(phone or "")))


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("on the agenda")
    DECIDED = "decided", _("decided")
    DEFERRED = "deferred", _("deferred")


class AgendaItem(models.Model):
    """A case on a meeting's agenda: the discussion (议) and the decision (决) or deferral."""

    scope_paths = Participant.scope_paths
    # An item (and its public notice) is read by whoever may read its meeting.
    reader_paths = {
        "user": "meeting__participants__user_id",
        "grid": "meeting__items__case__grid_id",
    }

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    discussion = models.TextField(_("discussion"), blank=True, max_length=5000)
    plan = models.TextField(_("plan"), blank=True, max_length=2000)
    votes_for = models.PositiveSmallIntegerField(_("for"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("against"), default=0)
    votes_abstain = models.PositiveSmallIntegerField(_("abstain"), default=0)
    responsible = models.CharField(_("responsible parties"), max_length=300, blank=True)
    public_wording = models.TextField(
        _("notice wording for residents"), blank=True, max_length=2000
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="case_once_per_meeting")
        ]

    def __str__(self):
        return f"{self.meeting_id}/{self.case_id}"
