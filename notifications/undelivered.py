"""What a user should know about their own notices that could not be sent: an e-mail address
that bounces or a mobile the gateway refuses, shown on their channel page so they can mend it.
(A partner's undelivered messages are on the integration page, interop/messages_out.py.)"""

from datetime import timedelta

from django.utils import timezone

from outbox.models import Channel, Message, State

from .dispatch import source_of

RECENT_DAYS = 30


def undelivered_to(user, limit: int = 5) -> list[Message]:
    """The user's notices of the last RECENT_DAYS that the outbox gave up on, newest first,
    each with its notice's title in the language the user reads (`shown_title`)."""
    recent = user.notifications.filter(
        created_at__gte=timezone.now() - timedelta(days=RECENT_DAYS)
    ).order_by("-created_at")[:500]
    notices = {source_of(notification): notification for notification in recent}
    failed = list(
        Message.objects.filter(
            source__in=list(notices), state=State.FAILED, channel__in=[Channel.EMAIL, Channel.SMS]
        ).order_by("-created_at", "-id")[:limit]
    )
    for message in failed:
        message.shown_title = notices[message.source].shown_title
    return failed
