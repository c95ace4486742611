"""Scoped reads of the hierarchy, with the counts each browse page shows (one query each)."""

from django.db.models import Prefetch, Q

from accounts.models import Role, RoleKind
from accounts.scope import Scope
from common.queries import count_of

from .models import Building, Community, Contact, ContactKind, Grid, Street, Unit

UNIT_LEADERS = Contact.objects.filter(kind=ContactKind.UNIT_LEADER)


def _roles(kind):
    return Role.objects.filter(kind=kind, user__is_active=True).select_related("user")


def streets(scope: Scope):
    return scope.narrow(Street.objects.all()).annotate(
        community_count=count_of(Community.objects.all(), "street"),
        grid_count=count_of(Grid.objects.all(), "community__street"),
        unit_count=count_of(Unit.objects.all(), "building__grid__community__street"),
        unit_leader_count=count_of(UNIT_LEADERS, "street"),
    )


def communities(scope: Scope):
    return (
        scope.narrow(Community.objects.all())
        .select_related("street")
        .annotate(
            grid_count=count_of(Grid.objects.all(), "community"),
            building_count=count_of(Building.objects.all(), "grid__community"),
            unit_count=count_of(Unit.objects.all(), "building__grid__community"),
            unit_leader_count=count_of(UNIT_LEADERS, "community"),
        )
        .prefetch_related(
            Prefetch("role_set", _roles(RoleKind.COMMUNITY_OFFICER), to_attr="officers")
        )
    )


def grids(scope: Scope):
    return (
        scope.narrow(Grid.objects.all())
        .select_related("community__street")
        .annotate(
            building_count=count_of(Building.objects.all(), "grid"),
            unit_count=count_of(Unit.objects.all(), "building__grid"),
            unit_leader_count=count_of(UNIT_LEADERS, "grid"),
            party_member_count=count_of(
                Contact.objects.filter(kind=ContactKind.PARTY_MEMBER), "grid"
            ),
        )
        .prefetch_related(Prefetch("role_set", _roles(RoleKind.GRID_WORKER), to_attr="workers"))
    )


def buildings(scope: Scope):
    return (
        scope.narrow(Building.objects.all())
        .select_related("grid__community")
        .annotate(
            unit_count=count_of(Unit.objects.all(), "building"),
            unit_leader_count=count_of(UNIT_LEADERS, "unit__building"),
        )
    )


def units_with_leaders(scope: Scope, building: Building):
    return scope.narrow(building.units.all()).prefetch_related(
        Prefetch("contacts", UNIT_LEADERS, to_attr="leaders")
    )


def contacts(scope: Scope):
    return scope.narrow(Contact.objects.all())


def street_staff(street: Street):
    return _roles(RoleKind.STREET_STAFF).filter(street=street)


# Who outside the staff can take on a task of a case at this place: the community's own
# contacts (committees, property managers), the grid's Party group members, unit leaders and
# resident representatives (the seed's 单元长 collects the fees), and the street's outside
# bodies (the water company).
TASK_CONTACT_KINDS_IN_GRID = (
    ContactKind.PARTY_MEMBER,
    ContactKind.UNIT_LEADER,
    ContactKind.RESIDENT_REP,
)


def task_contacts(case):
    return Contact.objects.filter(
        Q(community_id=case.community_id, grid__isnull=True)
        | Q(grid_id=case.grid_id, kind__in=TASK_CONTACT_KINDS_IN_GRID)
        | Q(street_id=case.street_id, community__isnull=True)
    ).order_by("kind", "name")
