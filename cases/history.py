"""The one writer of a case's history (DESIGN.md §13).

Every change to a case, whoever makes it (a move, a bulk move, a repeat closing with its
original, a task, an escalation, a resident's submission or rating, the 12345 hotline's order,
extension and 回访, an anonymisation), is written here as one `CaseEvent`, and nowhere else.
Writing it hands the change to `cases/consequences.py`, which lists by name everything the
change causes, in the same transaction: what those write stands or falls with the change. The
one rewrite of history rows there is, anonymisation masking their text, is made here too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from common import replicas

from . import consequences
from .models import Case, CaseEvent


@dataclass(frozen=True)
class CaseChanged:
    """One recorded change: which case, which change (a move's name, or an action such as
    "task_added"), who made it (None for a resident or a partner), when, and what it carried.
    `subject` is the row the change is about, where there is one (the task, the escalation)."""

    event: CaseEvent
    case: Case
    change: str
    from_state: str
    to_state: str
    actor: object
    at: datetime
    note: str = ""
    details: dict = field(default_factory=dict)
    subject: object = None


def record(
    case: Case,
    actor,
    change: str,
    from_state: str,
    to_state: str,
    note: str = "",
    details: dict | None = None,
    subject=None,
) -> CaseEvent:
    """Write the history row of a change and follow its consequences; call it inside the
    transaction that makes the change."""
    event = CaseEvent.objects.create(
        case=case,
        move=change,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        note=note,
        details=details or {},
    )
    replicas.note_write()  # the user's next pages read from the primary (common/replicas.py)
    consequences.follow(
        CaseChanged(
            event=event,
            case=case,
            change=change,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            at=event.at,
            note=note,
            details=event.details,
            subject=subject,
        )
    )
    return event


def load(events: list[CaseEvent]) -> None:
    """Write a made history in bulk (the demo street's year, cases/demo.py): rows for cases
    that were never live, so nothing follows them; the loader rebuilds the rollups after."""
    CaseEvent.objects.bulk_create(events, batch_size=2000)


def mask_text(case: Case, mask: Callable[[str], str]) -> int:
    """Rewrite every text of `case`'s history rows (the note, and each string in the details)
    through `mask`; returns how many rows changed. Anonymisation's one exception to append-only
    history: the database accepts it only inside the transaction that cases/retention.py has
    switched into anonymising, and only for the note and details."""
    changed = 0
    for event in CaseEvent.objects.filter(case=case):
        note, details = mask(event.note), _each_text(event.details, mask)
        if note != event.note or details != event.details:
            CaseEvent.objects.filter(pk=event.pk).update(note=note, details=details)
            changed += 1
    return changed


def _each_text(value, mask):
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_each_text(item, mask) for item in value]
    if isinstance(value, dict):
        return {key: _each_text(item, mask) for key, item in value.items()}
    return value
