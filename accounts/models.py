"""A user holds a role at a place: street staff at a street, an officer at a community,
a grid worker at one or more grids (one row per grid)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Grid, Street


class RoleKind(models.TextChoices):
    STREET_STAFF = "street_staff", _("street staff")
    COMMUNITY_OFFICER = "community_officer", _("community officer")
    GRID_WORKER = "grid_worker", _("grid worker")


# The level of the hierarchy at which each kind of role is held.
LEVEL_OF_KIND = {
    RoleKind.STREET_STAFF: "street",
    RoleKind.COMMUNITY_OFFICER: "community",
    RoleKind.GRID_WORKER: "grid",
}


class Role(models.Model):
    scope_paths = {"street": "street_id", "community": "community_id", "grid": "grid_id"}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("role"), max_length=20, choices=RoleKind.choices)
    # The wider places are stored with the narrower one so that scope checks need no joins.
    street = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("grid")
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "street"],
                condition=Q(kind="street_staff"),
                name="street_staff_once_per_street",
            ),
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(kind="community_officer"),
                name="officer_once_per_community",
            ),
            models.UniqueConstraint(
                fields=["user", "grid"],
                condition=Q(kind="grid_worker"),
                name="grid_worker_once_per_grid",
            ),
            models.CheckConstraint(
                name="role_place_matches_kind",
                condition=(
                    Q(kind="street_staff", community__isnull=True, grid__isnull=True)
                    | Q(kind="community_officer", community__isnull=False, grid__isnull=True)
                    | Q(kind="grid_worker", community__isnull=False, grid__isnull=False)
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.place}"

    @property
    def place(self):
        return self.grid or self.community or self.street

    def clean(self):
        """Fill the wider places from the narrower one, so an admin picks only one."""
        if self.grid_id:
            self.community = self.grid.community
        if self.community_id:
            self.street = self.community.street
        if self.kind == RoleKind.STREET_STAFF:
            self.community = self.grid = None
        elif self.kind == RoleKind.COMMUNITY_OFFICER:
            self.grid = None
            if not self.community_id:
                raise ValidationError({"community": _("A community officer needs a community.")})
        elif self.kind == RoleKind.GRID_WORKER and not self.grid_id:
            raise ValidationError({"grid": _("A grid worker needs a grid.")})
