from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Reminders and notifications")

    def ready(self):
        # The workflows announce their events; this app decides who is told of each.
        from cases import signals as case_signals
        from meetings import signals as meeting_signals

        from . import events

        case_signals.case_assigned.connect(events.on_case_assigned)
        case_signals.task_assigned.connect(events.on_task_assigned)
        case_signals.escalation_raised.connect(events.on_escalation_raised)
        case_signals.escalation_answered.connect(events.on_escalation_answered)
        meeting_signals.participants_invited.connect(events.on_participants_invited)
