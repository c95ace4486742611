"""Who sends each channel: a function of an app above this one, named in OUTBOX_SENDERS
(config/settings/base.py), so the outbox imports none of them.

A sender is called with the message and no transaction open (outbox/dispatch.py refuses to
call it inside one): it may talk to a mail server or a partner for as long as its timeout. It
returns when the receiver took the message, and raises otherwise: `Undelivered` with what
staff are told, or any other error, whose text is kept.
"""

from django.conf import settings
from django.utils.module_loading import import_string


class Undelivered(Exception):
    """The receiver did not take the message; the text is what staff read."""


def sender_for(channel: str):
    return import_string(settings.OUTBOX_SENDERS[channel])
