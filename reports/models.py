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
