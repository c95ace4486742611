"""What the problem page's actions need, as typed values (the forms bind into these)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionChoice:
    """Where a problem goes: the community's next monthly session (17th), or a new emergency
    session at `starts_at`."""

    kind: str  # meetings.models.Kind: "monthly" or "emergency"
    starts_at: datetime | None = None
    venue_kind: str = ""
    address: str = ""
