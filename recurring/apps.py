from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecurringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recurring"
    verbose_name = _("Recurring problems")

    def ready(self):
        # The case page names the recurring problem a case belongs to, and the logging page
        # says which one a new case would join; registered here so that cases and meetings
        # never import this app.
        from cases import panels
        from meetings import panels as meeting_panels

        from .panels import agenda_note, case_panel, logging_note

        panels.register(case_panel)
        panels.register_logging_note(logging_note)
        # The meeting page says which agenda item stands for a recurring problem.
        meeting_panels.register_agenda_note(agenda_note)
