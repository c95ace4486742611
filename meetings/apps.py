from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = _("Deliberation meetings")

    def ready(self):
        # Imported here: models and forms can be loaded only once the apps are ready.
        from cases import panels
        from cases.retention import register_free_text

        from .models import AgendaItem
        from .panels import EMERGENCY, emergency_panel

        # What a meeting wrote about a case is masked with it when its resident is anonymised.
        register_free_text(AgendaItem, ["discussion", "plan", "public_wording"])
        # The case page offers an emergency session for an urgent case.
        panels.register(emergency_panel, forms=[EMERGENCY])
