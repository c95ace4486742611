"""Status to a partner's webhook: the outbox's sender for the partner channel
(OUTBOX_SENDERS), called with no transaction open (outbox/dispatch.py).

The message's destination names the partner ("partner:<id>"); its status URL and signing
secret are read when it goes out, so a URL staff corrected is used by the next retry. The
Idempotency-Key header carries the message's key: the partner takes a repeat once. Where the
server may connect is decided by interop/outbound.py.
"""

import json
import logging

from django.conf import settings
from django.utils.translation import gettext_noop

from outbox.senders import Undelivered

from . import outbound, signing
from .models import Partner

logger = logging.getLogger("youjie.hotline")

# What staff see when a message did not go through, whatever the reason: a reason per port or
# per failure would let the status URL map the network (interop/outbound.py). The reason
# itself goes to the server's log. Stored in English, shown in the reader's language.
UNREACHABLE = gettext_noop("The hotline platform refused the message or could not be reached.")
NO_STATUS_URL = gettext_noop("No status URL is set for this partner.")


def destination(partner) -> str:
    return f"partner:{partner.pk}"


def partner_of(message) -> Partner:
    return Partner.objects.get(pk=int(message.destination.removeprefix("partner:")))


def post(message) -> None:
    """Returns once the partner took the message (2xx); raises Undelivered otherwise."""
    partner = partner_of(message)
    if not partner.outbound_url:
        raise Undelivered(NO_STATUS_URL)
    body = json.dumps(message.payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": message.idempotency_key,
        **signing.headers(partner.webhook_secret, body),
    }
    try:
        status = outbound.post(partner.outbound_url, body, headers, settings.OUTBOX_TIMEOUT_SECONDS)
    except outbound.Unreachable as reason:
        logger.warning("hotline message %s not delivered: %s", message.pk, reason)
        raise Undelivered(UNREACHABLE) from None
    if not 200 <= status < 300:
        logger.warning("hotline message %s not delivered: HTTP %s", message.pk, status)
        raise Undelivered(UNREACHABLE)
