"""Sending SMS: an interface with a console backend; a carrier's gateway plugs in here."""

import sys

from django.conf import settings
from django.utils.module_loading import import_string


class ConsoleSmsBackend:
    """Prints each message, as Django's console email backend does."""

    def send(self, phone: str, text: str, message_id: str) -> None:
        sys.stdout.write(f"SMS to {phone} [{message_id}]: {text}\n")
        sys.stdout.flush()


def backend():
    return import_string(settings.SMS_BACKEND)()
