"""Who holds which role where: the one home of these questions.

Pages offer owners and hosts from here, reminders and notices find whom to tell from here,
so a deactivated account or a removed role drops out of all of them at once.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import Role, RoleKind


def _active_roles(**lookup) -> QuerySet:
    return Role.objects.filter(user__is_active=True, **lookup)


def _users(roles: QuerySet) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=roles.values("user_id"))
        .order_by("first_name", "username")
    )


def possible_owners(case) -> QuerySet:
    """Who may own a case or one of its tasks: the community's officers and the grid's workers."""
    return _users(
        _active_roles().filter(
            Q(kind=RoleKind.COMMUNITY_OFFICER, community_id=case.community_id)
            | Q(kind=RoleKind.GRID_WORKER, grid_id=case.grid_id)
        )
    )


# The data owners_in_scope() reads: its version changes with any of these rows (apps.py).
PEOPLE = "people-and-roles"


def owners_in_scope(scope) -> QuerySet:
    """Whom an officer may give cases to in a bulk move: officers and grid workers of the
    communities (or the street) the officer holds."""
    return _users(
        _active_roles()
        .filter(Q(community_id__in=scope.community_ids) | Q(street_id__in=scope.street_ids))
        .exclude(kind=RoleKind.STREET_STAFF)
    )


def officers_of(community_ids) -> QuerySet:
    return _users(
        _active_roles(kind=RoleKind.COMMUNITY_OFFICER, community_id__in=list(community_ids))
    )


def _users_by_place(kind, place: str, ids) -> dict:
    """{place id: [user, ...]} of the active holders of `kind` roles at those places."""
    users = defaultdict(list)
    roles = _active_roles(kind=kind, **{f"{place}_id__in": list(ids)})
    for role in roles.select_related("user").order_by("user_id"):
        users[getattr(role, f"{place}_id")].append(role.user)
    return dict(users)


def officers_by_community(community_ids) -> dict:
    """{community id: [officer, ...]}, officers in the order of their ids."""
    return _users_by_place(RoleKind.COMMUNITY_OFFICER, "community", community_ids)


def workers_by_grid(grid_ids) -> dict:
    """{grid id: [grid worker, ...]}."""
    return _users_by_place(RoleKind.GRID_WORKER, "grid", grid_ids)


def street_staff_of(street_id) -> QuerySet:
    return _users(_active_roles(kind=RoleKind.STREET_STAFF, street_id=street_id))


def first_officer_by_community(community_ids) -> dict:
    """{community id: user id} of the officer who hosts the monthly session by default."""
    return {
        community_id: officers[0].pk
        for community_id, officers in officers_by_community(community_ids).items()
    }
