"""Everything that leaves the process, one row per message: an e-mail, an SMS, a status pushed
to a partner's webhook.

A row is written in the transaction of the change that causes it (a rolled-back change sends
nothing) and sent later by outbox/dispatch.py, with no transaction or lock held. Messages to
the same destination about the same subject go out in the order they were written; each
carries an idempotency key, so a receiver takes a repeat once. The apps above write and read
their own messages through `destination`, `subject` and `source`; this app knows none of them.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    PARTNER = "partner", _("partner's webhook")


class State(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    RETRYING = "retrying", _("retrying")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


UNSENT = (State.PENDING, State.RETRYING)


class Message(models.Model):
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # An e-mail address, a mobile, or "partner:<id>"; blanked when its person is forgotten.
    destination = models.CharField(max_length=254)
    # What the message is about, and so its order: "case:12", "meeting:3". A message never
    # goes out before an earlier unsent one of the same destination and subject.
    subject = models.CharField(max_length=60)
    kind = models.CharField(_("message"), max_length=30)  # "sign", "finish", "unaccepted" …
    # What wrote it ("notification:5", "case:12"), so that app finds its messages again.
    source = models.CharField(max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When it may be tried next: its backoff after a failure, or the end of a worker's lease
    # while it is being sent.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["created_at", "id"]
        indexes = [
            # The beat's scan: what is due, among the few rows not sent yet.
            models.Index(
                fields=["next_attempt_at"], name="outbox_due", condition=Q(state__in=UNSENT)
            ),
            # "An earlier unsent message of the same order", and a partner's page.
            models.Index(
                fields=["destination", "subject", "created_at", "id"], name="outbox_order"
            ),
            models.Index(fields=["source"], name="outbox_source"),
            # /metrics at each scrape: what waits and what failed, by channel.
            models.Index(
                fields=["channel", "created_at"],
                name="outbox_unsent_by_channel",
                condition=~Q(state=State.SENT),
            ),
            # The retention task: sent rows by age.
            models.Index(fields=["sent_at"], name="outbox_sent", condition=Q(state=State.SENT)),
        ]

    def __str__(self):
        return f"{self.channel} {self.kind} {self.idempotency_key}"

    @property
    def may_send_again(self) -> bool:
        """Staff may send a message again once the outbox has given up on it."""
        return self.state == State.FAILED
