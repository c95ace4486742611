"""What the meetings app adds to the case page (registered in MeetingsConfig.ready)."""

from .forms import EmergencyForm
from .workflow import emergency_refusal

EMERGENCY = "emergency"  # its form's name (prefix) on the case page


def emergency_panel(scope, user, case, drawn, opened) -> dict:
    """紧急事项即时协商: an officer calls a session from an urgent, accepted case's page. Its
    form sent back refused comes back as it was sent, its errors beside its fields, in its
    panel opened."""
    if emergency_refusal(scope, user, case):
        return {}
    form = drawn.get(EMERGENCY) or EmergencyForm(prefix=EMERGENCY)
    return {"emergency_form": form, "emergency_open": form.is_bound or opened == EMERGENCY}


# What other apps say of an agenda item on the meeting page: the recurring problems app says
# which items stand for a recurring problem, and how many cases. Registered in their
# AppConfig.ready, so that this app never imports them.
AGENDA_NOTES = []


def register_agenda_note(note):
    """`note(scope, items)` returns {item id: {"text": ..., "url": ... or ""}} in one query
    whatever the number of items, and asks nothing when there are none."""
    if note not in AGENDA_NOTES:
        AGENDA_NOTES.append(note)


def agenda_notes(scope, items) -> dict:
    """{item id: [note, ...]} for the meeting page's agenda."""
    notes = {}
    for note in AGENDA_NOTES:
        for item_id, said in note(scope, items).items():
            notes.setdefault(item_id, []).append(said)
    return notes
