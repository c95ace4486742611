"""The one writer of a meeting's history, and the road to what a change to a meeting causes.

Every change to a meeting (scheduled, moved, people invited or listed, a guest added, cases put
on or taken off the agenda, opened, a decision recorded, an item deferred, minutes approved,
closed, cancelled) is written here as one `MeetingChange`, and nowhere else. Writing
it hands the change to `meetings/consequences.py`, which lists by name everything it causes, in
the same transaction, as `cases/history.py` does for a case. What a meeting does to its cases
(议, 决, tasks) goes through the cases app's workflow and takes the cases' road.
"""

from dataclasses import dataclass, field
from datetime import datetime

from common import replicas

from . import consequences
from .models import Meeting, MeetingChange


@dataclass(frozen=True)
class MeetingChanged:
    """One recorded change to a meeting: which meeting, which change (`MeetingChange.what`),
    who made it, when, and what it carried. `participants` are the people an invitation is
    for: those invited and not told yet."""

    row: MeetingChange
    meeting: Meeting
    change: str
    actor: object
    at: datetime
    note: str = ""
    details: dict = field(default_factory=dict)
    participants: tuple = ()


def record(meeting: Meeting, change: str, actor, note="", details=None, participants=()) -> set:
    """Write the history row of a change and follow its consequences; call it inside the
    transaction that makes the change. Returns the ids of the participants the consequences
    told (an invitation's; empty for other changes)."""
    row = MeetingChange.objects.create(
        meeting=meeting, what=change, actor=actor, note=note, details=details or {}
    )
    replicas.note_write()  # the user's next pages read from the primary (common/replicas.py)
    return consequences.follow(
        MeetingChanged(
            row=row,
            meeting=meeting,
            change=change,
            actor=actor,
            at=row.at,
            note=note,
            details=row.details,
            participants=tuple(participants),
        )
    )
