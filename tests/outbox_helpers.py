"""Reading the outbox in the tests: a notification's e-mail and SMS, and sending one."""

from notifications.dispatch import source_of
from outbox.models import Message


def messages_of(notification):
    """The outbox's messages of one notification (its e-mail and SMS)."""
    return Message.objects.filter(source=source_of(notification))


def notices():
    """Every e-mail and SMS of a notification, whatever the notification."""
    return Message.objects.filter(source__startswith="notification:")
