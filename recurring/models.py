"""A recurring problem (未诉先办): cases that are the same problem in the same place.

Which cases belong together, and why, is decided by `recurring/rules.py` and found by
`recurring/grouping.py`; what staff do with a problem (dismiss, split, take it to a session,
close its cases) lives in `recurring/services.py`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from grids.models import Building, Community, Grid, Street, Unit
from meetings.models import AgendaItem


class Status(models.TextChoices):
    # Said by what waits, not "open": a problem whose cases are all closed may still wait to be
    # taken to a session (its cause is not dealt with) or dismissed.
    OPEN = "open", _("waiting to be taken to a session")
    DISMISSED = "dismissed", _("dismissed")
    DELIBERATED = "deliberated", _("taken to a session")


class JoinRule(models.TextChoices):
    FIRST = "first", _("the first case")
    CATEGORY = "category", _("same category")
    DESCRIPTION = "description", _("descriptions alike")
    SPLIT = "split", _("split off by staff")


class Problem(models.Model):
    scope_paths = {"street": "street_id", "community": "community_id", "grid": "grid_id"}

    # The place every case of the problem shares: a building when they name one, else the
    # grid (cases with no building). The wider places are stored for scope and reports.
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when every case names the same unit: the title is then that precise.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    # The case that started it (a split's oldest case): grouping finds the problem it has
    # just made by this.
    seed_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    # Counts and dates of the member cases, kept by grouping.refresh() in the same statement
    # that changes the members, so lists read one row per problem.
    case_count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(_("first case"))
    last_at = models.DateTimeField(_("latest case"))
    # The newest thing that happened to it (a case joined, dismissed, taken to a session): the
    # workbench lists problems by it.
    activity_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_reason = models.CharField(_("why dismissed"), max_length=500, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The one agenda item that carries the problem: its case is the problem's lead case, and
    # the decision recorded on it applies to every case carried with it (recurring/follow.py).
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deliberated_at = models.DateTimeField(null=True, blank=True)
    deliberated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("recurring problem")
        verbose_name_plural = _("recurring problems")
        ordering = ["-activity_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "-activity_at"]),
            models.Index(fields=["grid", "status", "-activity_at"]),
            models.Index(fields=["street", "status", "-activity_at"]),
            # Grouping looks for a problem at a place: building, else grid.
            models.Index(fields=["building", "status"]),
            models.Index(fields=["grid", "building", "status"]),
        ]

    def __str__(self):
        # The generated title is rules.title() (the templates' |problem_title): it reads the
        # street's window, the place and the category, so it is not built here.
        return f"{self.pk}"

    @property
    def is_dismissed(self) -> bool:
        """Dismissed now (a problem a new case reopened keeps its old dismissal's date)."""
        return self.status == Status.DISMISSED


class Member(models.Model):
    """A case of a problem. A case belongs to one problem at most, ever: so it is in at most
    one open problem, a split stays split, and the nightly grouping only places new cases."""

    scope_paths = {
        "street": "problem__street_id",
        "community": "problem__community_id",
        "grid": "problem__grid_id",
    }

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="members")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="recurring_member")
    joined_at = models.DateTimeField(default=timezone.now)
    # Why the case is in the problem (shown on the page): the rule that placed it.
    rule = models.CharField(max_length=12, choices=JoinRule.choices)
    similarity = models.FloatField(null=True, blank=True)
    # Taken to the session with the problem: the decision and tasks of its agenda item apply.
    carried = models.BooleanField(default=False)

    class Meta:
        ordering = ["case__created_at", "case_id"]

    def __str__(self):
        return f"{self.problem_id}/{self.case_id}"


class ProblemMonth(models.Model):
    """A month (its first day, local time) in which a problem that counts had cases, and how
    many: the report's hot spots count problems per grid × category × month from these rows.

    Only problems worth showing have rows (two cases or more, not dismissed), and each row
    carries the problem's places and category, so the report filters, groups and ranks this
    one table: a whole city's year is about 120,000 small rows, read without a join. Written
    only by grouping.refresh_months(), in the transaction that changes what it counts (the
    members, the counts, a dismissal), so it never disagrees with the problems.
    """

    scope_paths = Problem.scope_paths

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="months")
    # The indexes below lead with the street and the community.
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+", db_index=False)
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    cases = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "month"], name="recurring_month_once")
        ]
        # The report reads a street's or a community's twelve months (the city's: all rows).
        indexes = [
            models.Index(fields=["street", "month"]),
            models.Index(fields=["community", "month"]),
            # 每月一题 of the whole city: one month's rows by category, from the index alone.
            models.Index(
                fields=["month", "category"], include=["cases"], name="problem_month_topics"
            ),
        ]

    def __str__(self):
        return f"{self.problem_id}/{self.month:%Y-%m}"
