"""What the meetings app adds to the case page (registered in MeetingsConfig.ready)."""

from .forms import EmergencyForm
from .workflow import emergency_refusal


def emergency_panel(scope, user, case) -> dict:
    """紧急事项即时协商: an officer calls a session from an urgent, accepted case's page."""
    if emergency_refusal(scope, user, case):
        return {}
    return {"emergency_form": EmergencyForm(prefix="emergency")}
