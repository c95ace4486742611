from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Street


class FrozenReport(models.Model):
    """Last month's figures as published on the 1st; later edits show beside them, not in them."""

    scope_paths = {"street": "street_id"}

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="frozen_reports")
    month = models.DateField()
    frozen_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    class Meta:
        verbose_name = _("frozen monthly report")
        verbose_name_plural = _("frozen monthly reports")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["street", "month"], name="one_frozen_report_per_month")
        ]

    def __str__(self):
        return f"{self.street} {self.month:%Y-%m}"


# The figures every report counts, one column each; additive, so a place's month is the sum of
# its rows. What each means is in reports/figures.py; reports/rollups.py writes them.
class Figures(models.Model):
    received = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    accepted_on_time = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    outcome_resolved = models.IntegerField(default=0)
    outcome_partly = models.IntegerField(default=0)
    outcome_cannot = models.IntegerField(default=0)
    outcome_not_needed = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basically = models.IntegerField(default=0)
    with_satisfaction = models.IntegerField(default=0)
    hotline_visits = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)

    class Meta:
        abstract = True


FIGURE_COLUMNS = [field.name for field in Figures._meta.fields]


class CaseMonth(Figures):
    """What one case counts for in one month, derived from its history (never edited by hand).

    Rewritten in the transaction of every history row the case gets, so it always equals what
    the history says; PlaceMonth is its sum. The median needs each case's days, so they are
    kept here rather than summed.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    street_id = models.IntegerField()
    community_id = models.IntegerField()
    grid_id = models.IntegerField()
    category_id = models.IntegerField()
    channel = models.CharField(max_length=20)
    seconds_to_resolve = models.FloatField(null=True)  # when the case was resolved that month

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "month"], name="one_case_month_per_case")
        ]
        indexes = [
            # The median of a month: the resolutions of a street (or all) as one index range.
            models.Index(
                fields=["month", "street_id", "community_id", "grid_id"],
                include=["seconds_to_resolve", "channel"],
                condition=models.Q(resolved=1),
                name="case_month_resolutions",
            ),
        ]

    def __str__(self):
        return f"{self.case_id} {self.month:%Y-%m}"


class Level(models.TextChoices):
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


class PlaceMonth(Figures):
    """A place's month in figures, by category and channel: the sum of its CaseMonth rows.

    One row set per level (street, community, grid), so the whole city's month is about a
    hundred streets' rows and a street's month its communities' rows, however many cases.
    """

    month = models.DateField()
    level = models.CharField(max_length=10, choices=Level.choices)
    place_id = models.IntegerField()
    street_id = models.IntegerField()
    community_id = models.IntegerField(null=True)
    grid_id = models.IntegerField(null=True)
    category_id = models.IntegerField()
    channel = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "level", "place_id", "category_id", "channel"],
                name="one_place_month_per_key",
            )
        ]
        indexes = [
            # The 12-month trend reads two figures of a year of rows: from the index alone.
            models.Index(
                fields=["level", "month", "street_id"],
                include=["received", "resolved"],
                name="place_month_by_street",
            )
        ]

    def __str__(self):
        return f"{self.level} {self.place_id} {self.month:%Y-%m}"


class MonthToken(models.Model):
    """What a past month's figures were last worked out from: a token replaced in the
    transaction of every change to the month's case months or problem months, so a figure
    worked out from the month can be kept under the token it was read at (reports/kept.py)."""

    month = models.DateField(unique=True)
    token = models.CharField(max_length=16)

    def __str__(self):
        return f"{self.month:%Y-%m} {self.token}"
