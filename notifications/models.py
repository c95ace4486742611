"""Reminders: one row per (rule, object, due moment, recipient), unique in the database.

The row is the in-app notification; each extra channel (email, SMS) is a message in the outbox
(outbox/models.py), whose idempotency key names the notification and the channel. Creating
either twice is impossible, so two beat processes, retries and restarts cannot duplicate a
reminder.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Contact

from . import notices


class Notification(models.Model):
    rule = models.CharField(max_length=30)
    object_key = models.CharField(max_length=40)  # "case:12", "task:5", "meeting:3"
    due_at = models.DateTimeField()
    recipient_key = models.CharField(max_length=30)  # "user:5", "contact:9" or "resident:12"
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The resident who raised a case has neither login nor contact entry: their mobile, for
    # SMS only, blanked when the case is anonymised (events.follow_change).
    phone = models.CharField(max_length=20, blank=True)
    # The title and text as message ids (the catalogue's English source strings) with their
    # parameters, put into words in the reader's language when shown (notices.py).
    title_msgid = models.CharField(max_length=200, blank=True)
    body_msgid = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # The same words as written in the recipient's language: what is shown of a row without a
    # message id (those written before), and what a reader of the table sees.
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once its messages (email, SMS) are in the outbox; the scan fans out only new ones.
    fanned_out = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "object_key", "due_at", "recipient_key"],
                name="one_reminder_per_rule_object_moment_recipient",
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"]),
            models.Index(
                fields=["fanned_out"],
                name="notification_not_fanned_out",
                condition=models.Q(fanned_out=False),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def shown_title(self) -> str:
        """The title in the active language."""
        if not self.title_msgid:
            return self.title
        return notices.render(self.title_msgid, self.params)

    @property
    def shown_body(self) -> str:
        if not self.title_msgid:
            return self.body
        return notices.render(self.body_msgid, self.params)

    def set_words(self, title, body) -> None:
        """Store the title and text (notices.Text) and write them in the recipient's language."""
        shared = title.params.keys() & body.params.keys()
        clash = {name for name in shared if title.params[name] != body.params[name]}
        if clash:
            raise ValueError(f"The title and text give {sorted(clash)} different values.")
        self.title_msgid, self.body_msgid = title.msgid, body.msgid
        self.params = {**body.params, **title.params}
        written_title, self.body = notices.in_language(notices.language_of(self), title, body)
        self.title = written_title[:200]


class ChannelChoice(models.Model):
    """Which channels a user wants besides the bell."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_choice"
    )
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by SMS"), default=False)
    phone = models.CharField(_("mobile for SMS"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("notification channels")
        verbose_name_plural = _("notification channels")

    def __str__(self):
        return str(self.user_id)


class Heartbeat(models.Model):
    """When a periodic job last finished, in the database so that every node sees it.

    The reminder scan writes its row at the end of each run (notifications/heartbeat.py); a
    row older than REMINDER_SCAN_STALE_MINUTES means reminders have stopped going out."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.at}"
