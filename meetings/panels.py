"""What the meetings app adds to the case page (registered in MeetingsConfig.ready)."""

from cases.workflow import may_call_emergency_session

from .forms import EmergencyForm
from .workflow import pending_emergency_session


def emergency_panel(scope, user, case) -> dict:
    """紧急事项即时协商: an officer calls a session from an urgent, accepted case's page."""
    if not may_call_emergency_session(scope, user, case) or pending_emergency_session(case):
        return {}
    return {"emergency_form": EmergencyForm(prefix="emergency")}
