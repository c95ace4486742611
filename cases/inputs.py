"""What each case move and action needs, as typed values.

Pages bind their forms into these; the API and the hotline build them directly. Either way the
workflow checks them again (`cases/workflow.py`), so no caller can skip a rule.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User

from grids.models import Contact


@dataclass(frozen=True)
class Note:
    """A move that needs nothing but an optional note (propose, start, 议)."""

    note: str = ""


@dataclass(frozen=True)
class Reason:
    """A move that must say why (decline, handle directly). Declining also says what the
    resident is told (`explanation`, shown on their status page): the staff form asks for it;
    a partner's API call may leave it out, and the resident then reads the stage alone."""

    note: str
    explanation: str = ""


@dataclass(frozen=True)
class Ownership:
    """Accept or assign: who owns the case and by when they answer for it."""

    owner: User
    response_deadline: datetime
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """决: the plan a deliberation meeting decided."""

    plan: str
    note: str = ""


@dataclass(frozen=True)
class Resolution:
    """解单: the outcome, what was done and how it was explained to residents."""

    outcome: str
    note: str
    explanation_method: str
    explanation: str
    referral: str = ""


@dataclass(frozen=True)
class Visit:
    """查单: the follow-up visit, the resident's satisfaction and photos of the result."""

    satisfaction: str
    note: str
    photos: tuple = ()


@dataclass(frozen=True)
class Reopening:
    """The resident is not satisfied: back to 接单, or to the meeting again (再协商)."""

    back_to: str
    note: str


@dataclass(frozen=True)
class NewTask:
    """One piece of the decided plan (办): a user or an outside contact does it by a date."""

    title: str
    due_date: date
    owner_user: User | None = None
    owner_contact: Contact | None = None


@dataclass(frozen=True)
class EscalationAnswer:
    comment: str
    new_deadline: datetime
