"""A case (议题/工单) is one resident request; its history of moves is append-only.

The states and the moves between them belong to `cases/workflow.py`, not to this module.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import AppendOnly
from common.phones import mask_phone, validate_phone
from grids.models import Building, Community, Contact, Grid, Street, Unit

from .categories import category_label


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    PROPOSED = "proposed", _("proposed")
    DELIBERATING = "deliberating", _("deliberating")
    DECIDED = "decided", _("decided")
    IN_PROGRESS = "in_progress", _("in progress")
    # "resolved" is also an outcome (已解决); the state is 已解单.
    RESOLVED = "resolved", pgettext_lazy("case state", "resolved")
    VERIFIED = "verified", _("verified")
    DECLINED = "declined", _("declined")


class Channel(models.TextChoices):
    ONLINE = "online", _("online form")
    VISIT = "visit", _("door-to-door round")
    PHONE = "phone", _("phone")
    WECHAT_GROUP = "wechat_group", _("grid WeChat group")
    WALK_IN = "walk_in", _("walk-in")
    HOTLINE = "12345", _("12345 city hotline")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("routine")
    URGENT = "urgent", _("urgent")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("resolved")
    PARTLY = "partly", _("partly resolved")
    CANNOT = "cannot", _("cannot be resolved")
    NOT_NEEDED = "not_needed", _("no longer needed")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("not satisfied")


class ExplanationMethod(models.TextChoices):
    HOME_VISIT = "home_visit", _("home visit")
    NOTICE_BOARD = "notice_board", _("notice board")
    GROUP_CHAT = "group_chat", _("group chat")
    PHONE = "phone", _("phone")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self):

        return category_label(self.name)


TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone


def new_tracking_code() -> str:
    return "YJ" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


OPEN_STATES = (
    State.SUBMITTED,
    State.ACCEPTED,
    State.PROPOSED,
    State.DELIBERATING,
    State.DECIDED,
    State.IN_PROGRESS,
)
# Open and not linked as a repeat: the cases that can be overdue (partial indexes below).
OPEN_AND_NOT_A_REPEAT = models.Q(duplicate_of__isnull=True, state__in=list(OPEN_STATES))


class Case(models.Model):
    scope_paths = {
        "street": "street_id",
        "community": "community_id",
        "grid": "grid_id",
        # A partner's key sees the cases it brought (interop.ExternalRef).
        "partner": "external__partner_id",
    }

    tracking_code = models.CharField(
        _("tracking code"), max_length=12, unique=True, default=new_tracking_code, editable=False
    )
    resident_name = models.CharField(_("resident's name"), max_length=50)
    resident_phone = models.CharField(
        _("resident's phone"), max_length=20, validators=[validate_phone]
    )
    # The place: a grid always; a building or unit when known. Wider places are stored so
    # that scope filters and reports need no joins.
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="cases", verbose_name=_("grid")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("building"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("unit"),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    description = models.TextField(_("description"), max_length=2000)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.SUBMITTED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    # Until accepted: the time by which an officer must accept; afterwards: the owner's deadline.
    response_deadline = models.DateTimeField(_("response deadline"), null=True, blank=True)
    # Empty for a request a resident sent through the public form.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="logged_cases",
        verbose_name=_("logged by"),
    )
    # A default rather than auto_now_add: cases logged on paper are entered with their date.
    created_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # What the moves recorded; the history keeps who and when.
    plan = models.TextField(_("plan"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    # The response time set when the case was logged; kept as it was for the response rate.
    accept_by = models.DateTimeField(_("to be accepted by"), null=True, blank=True, editable=False)
    # Stamped by the moves, so reports and reminders read one column instead of the history.
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    # When the grid worker's follow-up visit (查单) is due: working days after resolution.
    follow_up_due = models.DateTimeField(_("follow-up due"), null=True, blank=True, editable=False)
    # The logging form's own id: the same form sent twice (a double tap, a retry on a weak
    # connection) makes one case.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # When the resident's name and phone were replaced (retention or on request, PIPL);
    # the case itself stays, with its place, dates and history, for the statistics.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "state", "-created_at"]),
            models.Index(fields=["community", "state", "-created_at"]),
            models.Index(fields=["street", "-created_at"]),
            models.Index(fields=["community", "-created_at"], name="case_community_newest"),
            # The whole city's newest first (Open311's requests.json, a superuser's list): the
            # first thousand from the index, not a sort of the last 90 days' cases.
            models.Index(fields=["-created_at", "-id"], name="case_city_newest"),
            models.Index(fields=["street", "response_deadline"]),  # the report's overdue count
            models.Index(fields=["grid", "category", "state"]),
            models.Index(fields=["state", "response_deadline"]),
            models.Index(fields=["state", "follow_up_due"]),
            # The overdue counts of the workbench: a street's or community's open cases past
            # their deadline, read as one small index range however many cases are closed.
            models.Index(
                fields=["street", "response_deadline"],
                condition=OPEN_AND_NOT_A_REPEAT,
                name="case_open_street_deadline",
            ),
            models.Index(
                fields=["community", "response_deadline"],
                condition=OPEN_AND_NOT_A_REPEAT,
                name="case_open_community_deadline",
            ),
            # The open month's report takes off what is not yet due (reports/figures.py,
            # not_yet_due): the city's unresolved deadlines still ahead, one index range
            # rather than a read of every case (a million: 92 ms, twice per report).
            models.Index(
                fields=["response_deadline"],
                condition=models.Q(resolved_at__isnull=True, duplicate_of__isnull=True),
                name="case_unresolved_deadline",
            ),
            # The list filtered by state and category: counted from the index.
            models.Index(fields=["street", "state", "category"], name="case_street_state_category"),
            # The search box finds a resident by exact name (cases/filters.py); the text of
            # descriptions has its own index of characters (cases/search.py, PostgreSQL only).
            models.Index(fields=["resident_name"], name="case_resident_name"),
        ]

    def __str__(self):
        return f"{self.tracking_code} {self.category}"

    @property
    def masked_phone(self):
        return mask_phone(self.resident_phone)

    @property
    def place(self):
        return self.unit or self.building or self.grid

    @property
    def no_contact(self) -> bool:
        """The resident left no number to call (an anonymous Open311 request): the follow-up
        (查单) is made by a visit. An anonymised case is not this: its number was removed."""
        return not self.resident_phone and self.anonymised_at is None


class CaseEvent(AppendOnly):
    # PROTECT: a case is never deleted, and its history never goes with it.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    move = models.CharField(_("move"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    # Empty when the resident acted (the public form, a rating).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The case's place, copied when the row is written (a case never changes place): the
    # reports count a street's, community's or grid's history from this table alone instead of
    # joining each of the month's events to its case.
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+", db_index=False)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["move", "at"]),  # the whole city's report
            # A street's, community's or grid's report: each figure reads the period's events
            # of one move (accept, resolve, verify…) in that place as one index range.
            models.Index(fields=["street", "move", "at"]),
            models.Index(fields=["community", "move", "at"]),
            models.Index(fields=["grid", "move", "at"]),
        ]

    def __str__(self):
        return f"{self.case_id} {self.move} {self.from_state}→{self.to_state}"

    @property
    def changed_state(self) -> bool:
        """Whether this entry moved the case (the history shows the new state)."""
        return self.from_state != self.to_state

    def save(self, *args, **kwargs):
        if self.street_id is None and self.case_id is not None:
            self.street_id = self.case.street_id
            self.community_id = self.case.community_id
            self.grid_id = self.case.grid_id
        super().save(*args, **kwargs)

    @classmethod
    def of(cls, case, **fields):
        """A history row of `case`, with the case's place (bulk_create does not call save)."""
        return cls(
            case=case,
            street_id=case.street_id,
            community_id=case.community_id,
            grid_id=case.grid_id,
            **fields,
        )


def overdue_condition(now) -> models.Q:
    """Open past its deadline: the one test of the list, the queues, the workbench and the
    reminders. A linked repeat (duplicate_of set) follows its original, is closed with it
    (cases/workflow.py `close_repeats`) and is never overdue on its own."""
    return models.Q(state__in=OPEN_STATES, response_deadline__lt=now, duplicate_of__isnull=True)


def photo_path(photo, filename):
    # The resident's file name is never used: it may hold a name, a path or markup.
    return f"case-photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{photo.extension}"


class PhotoStage(models.TextChoices):
    REPORT = "report", _("when logged")
    FOLLOW_UP = "follow_up", _("follow-up visit")


class CasePhoto(models.Model):
    scope_paths = {
        "street": "case__street_id",
        "community": "case__community_id",
        "grid": "case__grid_id",
    }

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_path)
    extension = models.CharField(max_length=4)
    content_type = models.CharField(max_length=20)
    stage = models.CharField(
        _("taken"), max_length=10, choices=PhotoStage.choices, default=PhotoStage.REPORT
    )
    uploaded_by = models.ForeignKey(  # empty: the resident's own photo
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.case_id}/{self.pk}.{self.extension}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class Task(models.Model):
    """One piece of the decided plan (办): who does it and by when."""

    scope_paths = CasePhoto.scope_paths

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_tasks",
        verbose_name=_("owner (user)"),
    )
    owner_contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_tasks",
        verbose_name=_("owner (outside contact)"),
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    drop_reason = models.CharField(_("why dropped"), max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_user__isnull=False, owner_contact__isnull=True)
                | models.Q(owner_user__isnull=True, owner_contact__isnull=False),
                name="task_has_one_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="dropped", drop_reason=""),
                name="dropped_task_has_reason",
            ),
        ]
        # "Tasks due this week" (cases/queues.py): the open tasks due by Sunday are few, so
        # the officer's count starts from them rather than testing each case of the community.
        indexes = [
            models.Index(
                fields=["due_date", "case"], condition=models.Q(status="open"), name="task_open_due"
            )
        ]

    def __str__(self):
        return self.title

    @property
    def owner(self):
        return self.owner_user or self.owner_contact

    @property
    def is_overdue(self):
        return self.status == TaskStatus.OPEN and self.due_date < timezone.localdate()


class Escalation(models.Model):
    """督办: an overdue case flagged to the street, and the street's answer."""

    scope_paths = CasePhoto.scope_paths

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    reason = models.TextField(_("why"), max_length=1000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("street's comment"), max_length=1000, blank=True)
    new_deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["raised_at", "id"]
        constraints = [
            # At most one unanswered escalation per case: pressing twice flags once.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_escalation_per_case",
            )
        ]

    def __str__(self):
        return f"{self.case_id} {timezone.localtime(self.raised_at):%Y-%m-%d}"


class ResidentRating(models.Model):
    """The resident's own rating after the follow-up visit, given once from the lookup page."""

    scope_paths = CasePhoto.scope_paths

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("resident's rating")
        verbose_name_plural = _("residents' ratings")

    def __str__(self):
        return f"{self.case_id} {self.satisfaction}"
