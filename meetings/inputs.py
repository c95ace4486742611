"""What each meeting action needs, as typed values.

The meeting pages bind their forms into these (`meetings/forms.py`); another app (such as one
that puts a recurring problem on a session's agenda) builds them directly. Either way the
workflow checks them again (`meetings/workflow.py`), so no caller can skip a rule.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from cases.inputs import NewTask
from grids.models import Community, Contact


@dataclass(frozen=True)
class NewMeeting:
    """A session scheduled by hand: a community's monthly one, or an emergency session."""

    community: Community
    starts_at: datetime
    venue_kind: str
    host: User
    address: str = ""
    kind: str = "monthly"


@dataclass(frozen=True)
class Rescheduling:
    """A scheduled meeting moved: when, where, who hosts. `version` is the meeting's version
    the form was opened on; a meeting saved by someone else since is not overwritten."""

    starts_at: datetime
    venue_kind: str
    host: User
    version: int | None
    address: str = ""


@dataclass(frozen=True)
class Cancellation:
    reason: str


@dataclass(frozen=True)
class EmergencySession:
    """紧急事项即时协商, called from an urgent case: today or tomorrow, at the place."""

    starts_at: datetime
    venue_kind: str
    address: str = ""  # empty: the case's building (or grid)


@dataclass(frozen=True)
class Invitation:
    """Groups of the hierarchy's people (ParticipantKind values) and outside bodies."""

    kinds: tuple[str, ...] = ()
    outside_bodies: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Guest:
    name: str
    organisation: str = ""


@dataclass(frozen=True)
class Attendance:
    """Who came (participant ids), and who of them agreed to be named on public notices."""

    attended: frozenset[int] = frozenset()
    named: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Deferral:
    """再协商: what was discussed; the case goes to the next session."""

    discussion: str


@dataclass(frozen=True)
class ItemDecision:
    """决 on an agenda item: the discussion, the plan, the vote, who answers for it, the
    notice's wording, and the tasks (办) it decided."""

    discussion: str
    plan: str
    votes_for: int
    responsible: str
    votes_against: int = 0
    votes_abstain: int = 0
    public_wording: str = ""
    tasks: tuple[NewTask, ...] = ()


@dataclass(frozen=True)
class Minutes:
    """The draft minutes; `version` as in Rescheduling."""

    text: str
    version: int | None
