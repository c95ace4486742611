from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Reminders and notifications")

    def ready(self):
        # A case's changes reach this app through cases/consequences.py; the meetings
        # workflow announces its invitations, and this app decides who is told.
        from meetings import signals as meeting_signals

        from . import events

        meeting_signals.participants_invited.connect(events.on_participants_invited)
