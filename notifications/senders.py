"""A notification's e-mail and SMS: the outbox's senders for these two channels
(OUTBOX_SENDERS). The outbox calls them with no transaction open (outbox/dispatch.py).

The message's payload is the notice (title, text, link) as it was put into words in the
recipient's language when it fanned out (dispatch._message); the link is made whole with
SITE_URL when it goes out.
"""

from django.conf import settings
from django.core.mail import EmailMessage

from . import sms


def message_id(message) -> str:
    # Stable per message: a mail server or client drops a repeat of the same Message-ID.
    return f"<{message.idempotency_key}@{settings.REMINDER_MESSAGE_DOMAIN}>"


def _link(payload) -> str:
    url = payload.get("url", "")
    return settings.SITE_URL.rstrip("/") + url if url else ""


def send_email(message) -> None:
    payload = message.payload
    text = "\n\n".join(part for part in (payload.get("body", ""), _link(payload)) if part)
    EmailMessage(
        subject=payload["title"],
        body=text,
        to=[message.destination],
        headers={"Message-ID": message_id(message)},
    ).send()


def send_sms(message) -> None:
    text = f"{message.payload['title']} {_link(message.payload)}".strip()
    sms.backend().send(message.destination, text, message_id(message))
