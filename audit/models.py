"""The access log (PIPL): every time residents' personal data was seen, searched, exported or
anonymised, by whom, when, and in which street. Rows are append-only (a database trigger)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.models import AppendOnly
from common.phones import mask_phone
from grids.models import Street


class Kind(models.TextChoices):
    PHONE_VIEWED = "phone_viewed", _("phone number viewed")
    PHONE_SEARCH = "phone_search", _("search by full phone number")
    PHONE_SEARCH_REFUSED = "phone_search_refused", _("phone search refused (limit)")
    CASE_EXPORT = "case_export", _("case list exported")
    ANONYMISED = "anonymised", _("resident anonymised")
    LOG_EXPORT = "log_export", _("access log exported")


class AccessEvent(AppendOnly):
    # Street staff read their street's rows; community and grid roles read none.
    scope_paths = {"street": "street_id"}

    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    # Empty for the retention task's own anonymisations.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # Empty only for a superuser's action across streets: superusers read those.
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The number searched for (digits), shown masked on the page and in the log's export.
    phone = models.CharField(max_length=30, blank=True)
    count = models.PositiveIntegerField(_("cases"), null=True, blank=True)
    detail = models.CharField(_("details"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["street", "-at", "-id"]),
            # The people a street's log names (the filter's choices), from the index alone.
            models.Index(fields=["street", "user"], name="access_event_people"),
        ]

    def __str__(self):
        return f"{self.kind} {self.user_id} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def counted(self) -> str:
        """The count in words of what it counts: an export of the log counts its entries,
        every other entry cases."""
        if self.count is None:
            return ""
        if self.kind == Kind.LOG_EXPORT:
            return ngettext("%(n)s entry", "%(n)s entries", self.count) % {"n": self.count}
        return ngettext("%(n)s case", "%(n)s cases", self.count) % {"n": self.count}
