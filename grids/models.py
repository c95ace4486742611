"""The hierarchy 街道 → 社区 → 网格 → 楼栋 → 单元 and the people attached to it.

Every row hangs off a street, so one installation can serve a whole district or city.
"""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.phones import mask_phone, validate_phone


class Street(models.Model):
    scope_paths = {"street": "id"}
    name = models.CharField(_("name"), max_length=50, unique=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    # How the street counts time, in working days by the Chinese calendar.
    response_working_days = models.PositiveSmallIntegerField(
        _("working days to accept a new case"), default=1
    )
    follow_up_working_days = models.PositiveSmallIntegerField(
        _("working days from resolution to the follow-up visit"), default=7
    )
    # An urgent case is accepted within hours, counted on the clock (weekends too).
    urgent_response_hours = models.PositiveSmallIntegerField(
        _("hours to accept an urgent case"),
        default=4,
        db_default=4,  # rows written by COPY (bench/seed.py) get it too
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    # PIPL: how long a closed case keeps the resident's name and phone (cases/retention.py).
    retention_months = models.PositiveSmallIntegerField(
        _("months a closed case keeps the resident's name and phone"),
        default=36,
        db_default=36,  # rows written by COPY (bench/seed.py) get it too
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    # Cases at one place within this many days of each other make a recurring problem
    # (recurring/rules.py).
    recurring_window_days = models.PositiveSmallIntegerField(
        _("days within which cases at one place count as one recurring problem"),
        default=90,
        db_default=90,  # rows written by COPY (bench/seed.py) get it too
        validators=[MinValueValidator(7), MaxValueValidator(365)],
    )
    # Open311 is read by anyone: a request's description (its phone and ID numbers masked)
    # and the explanation given on closing are shown only where the street chooses so.
    open311_public_descriptions = models.BooleanField(
        _("show descriptions in public Open311 reads"),
        default=False,
        db_default=False,  # rows written by COPY (bench/seed.py) get it too
        help_text=_("Phone and ID numbers in them are masked; names of residents never shown."),
    )

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Community(models.Model):
    scope_paths = {"street": "street_id", "community": "id"}
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["street_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="community_name_per_street"),
        ]

    def __str__(self):
        return self.name


class Grid(models.Model):
    scope_paths = {"street": "community__street_id", "community": "community_id", "grid": "id"}
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=50)
    party_group_name = models.CharField(_("Party group"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_per_community"),
        ]

    def __str__(self):
        return grid_label(self.community.name, self.name)


def grid_label(community_name: str, name: str) -> str:
    """How a grid is named: with its community (lists read the two names)."""
    return f"{community_name} · {name}"


def new_public_code() -> str:
    """The code in a building's or unit's QR link: random, so links cannot be guessed in turn."""
    return secrets.token_urlsafe(6)


class Building(models.Model):
    scope_paths = {
        "street": "grid__community__street_id",
        "community": "grid__community_id",
        "grid": "grid_id",
    }
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid")
    )
    estate = models.CharField(_("estate"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=50)
    public_code = models.CharField(
        max_length=12, unique=True, default=new_public_code, editable=False
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid_id", "estate", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "estate", "name"], name="building_name_per_grid"
            ),
        ]

    def __str__(self):
        return building_label(self.estate, self.name)


def building_label(estate: str, name: str) -> str:
    """How a building is named: its estate, then its name (lists read the two columns)."""
    return f"{estate}{name}" if estate else name


class Unit(models.Model):
    scope_paths = {
        "street": "building__grid__community__street_id",
        "community": "building__grid__community_id",
        "grid": "building__grid_id",
    }
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building")
    )
    name = models.CharField(_("name"), max_length=50)
    public_code = models.CharField(
        max_length=12, unique=True, default=new_public_code, editable=False
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["building", "name"], name="unit_name_per_building"),
        ]

    def __str__(self):
        return unit_label(str(self.building), self.name)


def unit_label(building_label: str, name: str) -> str:
    """How a unit is named: after its building."""
    return f"{building_label} {name}"


class ContactKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party group member")
    UNIT_LEADER = "unit_leader", _("unit leader")
    RESIDENT_REP = "resident_rep", _("resident representative")
    PROPERTY_MANAGER = "property_manager", _("property manager")
    COMMITTEE = "committee", _("owners' or property committee")
    OUTSIDE_BODY = "outside_body", _("outside body")


class Contact(models.Model):
    """A person the community works with who usually has no login.

    The place fields say where the person belongs: a unit leader to a unit, a Party group
    member to a grid, a property manager to a community, a water company to the street.
    The narrower fields imply the wider ones, which are stored so that scope filters need
    no joins.
    """

    scope_paths = {"street": "street_id", "community": "community_id", "grid": "grid_id"}

    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone])
    organisation = models.CharField(_("organisation"), max_length=80, blank=True)
    is_leader = models.BooleanField(_("group leader"), default=False)
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="contacts",
        null=True,
        blank=True,
        verbose_name=_("community"),
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        related_name="contacts",
        null=True,
        blank=True,
        verbose_name=_("grid"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="contacts",
        null=True,
        blank=True,
        verbose_name=_("unit"),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(kind="unit_leader"),
                name="one_unit_leader_per_unit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="unit_leader") | Q(unit__isnull=False),
                name="unit_leader_has_unit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="party_member") | Q(grid__isnull=False),
                name="party_member_has_grid",
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "kind"]),
            models.Index(fields=["community", "kind"]),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def masked_phone(self):
        return mask_phone(self.phone)


class ImportBatch(models.Model):
    """One uploaded sheet: checked first, applied only when clean. Kept as a record of who
    imported what and when."""

    class Status(models.TextChoices):
        REFUSED = "refused", _("has errors")
        CHECKED = "checked", _("checked, ready to import")
        APPLIED = "applied", _("imported")

    scope_paths = {"street": "street_id"}

    street = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))
    uploaded_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(editable=False)
    create_places = models.BooleanField(_("create missing communities and grids"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.file_name
