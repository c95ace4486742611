"""Partners (a resident app, the city's 12345 hotline), their API keys, each call they made,
the cases they brought, the hotline orders nobody could place yet, and the extension requests
sent to the hotline (its status messages are rows of the outbox: interop/messages_out.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import AppendOnly
from grids.models import Street


class PartnerKind(models.TextChoices):
    APP = "app", _("resident app (Open311)")
    HOTLINE = "hotline", _("12345 hotline")


class Partner(models.Model):
    """One outside system, scoped to one street. It acts through its own service account,
    which has no role and no password: see interop/keys.py for the scope it is given."""

    scope_paths = {"street": "street_id"}

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=PartnerKind.choices)
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="+", verbose_name=_("street")
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner"
    )
    # The hotline: the shared secret signing each message both ways, and where status goes.
    webhook_secret = models.CharField(max_length=64, blank=True)
    outbound_url = models.URLField(_("status URL"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["street", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="partner_name_per_street")
        ]

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """A key is shown once; only its SHA-256 is kept (keys are 256 random bits, so a fast
    hash is enough: there is nothing to guess from)."""

    scope_paths = {"street": "partner__street_id"}

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="keys")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class ApiCall(AppendOnly):
    """Every API and webhook call, with the key (or hotline) that made it."""

    scope_paths = {"street": "partner__street_id"}

    key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    address = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "-at"])]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"


class UnidentifiedCall(models.Model):
    """A call no key or signature vouches for: a missing, wrong or revoked key, an unsigned or
    badly signed hotline message, a read of the open endpoints. Anyone can make one, so these
    are not a partner's append-only log: they are kept `UNIDENTIFIED_CALLS_KEEP_DAYS` and at
    most `UNIDENTIFIED_CALLS_KEEP_ROWS` rows (interop/calls.py)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    address = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"


class Source(models.TextChoices):
    OPEN311 = "open311", _("Open311")
    HOTLINE = "hotline", _("12345 hotline")


class ExternalRef(models.Model):
    """What an outside system knows a case by: the Open311 client's key or the hotline's order
    number (unique per partner: a redelivery finds the case instead of making another)."""

    scope_paths = {
        "street": "case__street_id",
        "community": "case__community_id",
        "grid": "case__grid_id",
    }

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="external")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(max_length=10, choices=Source.choices)
    external_id = models.CharField(_("order number"), max_length=64)
    # An Open311 client's media_url: kept as a link, never fetched by the server.
    media_url = models.URLField(max_length=500, blank=True)
    # Where an Open311 client said the problem is (WGS84), as it was sent.
    lat = models.FloatField(null=True, blank=True)
    long = models.FloatField(null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    sign_deadline = models.DateTimeField(_("sign by"), null=True, blank=True)
    finish_deadline = models.DateTimeField(_("finish by"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"], name="one_case_per_external_id"
            )
        ]

    def __str__(self):
        return f"{self.partner_id}:{self.external_id}"


class InboxOrder(models.Model):
    """A hotline order whose address the street could not place: staff choose the grid."""

    scope_paths = {"street": "partner__street_id"}

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="inbox")
    order_number = models.CharField(_("order number"), max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "order_number"], name="one_inbox_row_per_order"
            )
        ]

    def __str__(self):
        return self.order_number


class OutboxKind(models.TextChoices):
    SIGN = "sign", _("signed")
    RETURN = "return", _("returned")
    EXTENSION = "extension", _("extension request")
    FINISH = "finish", _("finished")


class ExtensionRequest(models.Model):
    """A 延期申请 sent to the hotline (its message is in the outbox), and when the hotline's
    answer came back: one request at a time waits for an answer on a case."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    # Sent messages leave the outbox after OUTBOX_KEEP_DAYS; the request and its answer stay.
    message = models.ForeignKey(
        "outbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["case"], name="extension_waiting", condition=models.Q(answered_at=None)
            )
        ]

    def __str__(self):
        return f"{self.case_id} {timezone.localtime(self.requested_at):%Y-%m-%d}"


class ReceivedMessage(models.Model):
    """Each hotline message id, taken once: a replay inside the signature window is refused."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "message_id"], name="message_id_once")
        ]

    def __str__(self):
        return self.message_id
