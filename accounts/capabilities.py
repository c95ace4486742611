"""What a role lets its holder do, at the place where the role is held (DESIGN.md §14).

A capability is never asked of the user ("is street staff anywhere?") but of a place: a clerk
of 万青路街道 who is also the grid worker of a grid in 友谊街道 may export 万青路街道's cases
and no case of that grid. `Scope.granting(capability)` keeps only the places where one of the
user's roles grants it, and every check loads its rows, or the one object, through that.
"""

from enum import StrEnum

from .models import RoleKind


class Capability(StrEnum):
    EXPORT_CASES = "export_cases"  # a sheet of cases with residents' names and phones
    ANONYMISE = "anonymise"  # erase a resident's name and phone for good
    READ_ACCESS_LOG = "read_access_log"  # who saw which personal information
    MANAGE_PARTNERS = "manage_partners"  # hotline and Open311 partners, keys, their inbox
    IMPORT_PLACES = "import_places"  # the hierarchy and its people from a sheet
    ADMINISTER = "administer"  # accounts, roles, places and contacts in the admin
    BULK_MOVES = "bulk_moves"  # accept or assign several cases at once
    RUN_MEETINGS = "run_meetings"  # the meeting pages; call an emergency session
    SEE_OVERDUE = "see_overdue"  # the overdue page, by the reminders' rules
    # Dismiss or split a recurring problem, take it to a session, close its cases together.
    RECURRING_PROBLEMS = "recurring_problems"


OFFICERS = frozenset(
    {
        Capability.BULK_MOVES,
        Capability.RUN_MEETINGS,
        Capability.SEE_OVERDUE,
        Capability.RECURRING_PROBLEMS,
    }
)

GRANTS: dict[str, frozenset] = {
    RoleKind.STREET_STAFF: frozenset(Capability),
    RoleKind.COMMUNITY_OFFICER: OFFICERS,
    RoleKind.GRID_WORKER: frozenset(),
}


def kinds_granting(capability: Capability) -> frozenset:
    return frozenset(kind for kind, granted in GRANTS.items() if capability in granted)
