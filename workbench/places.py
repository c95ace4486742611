"""The places a user holds, with the counts and the people each browse page shows: one query
each, however many places. They join the hierarchy (grids) to who holds which role (accounts),
so they live above both."""

from django.db.models import Prefetch

from accounts.models import Role, RoleKind
from common.queries import count_of
from grids.models import Building, Community, Contact, ContactKind, Grid, Street, Unit

UNIT_LEADERS = Contact.objects.filter(kind=ContactKind.UNIT_LEADER)


def _roles(kind):
    return Role.objects.filter(kind=kind, user__is_active=True).select_related("user")


def streets(scope):
    return scope.narrow(Street.objects.all()).annotate(
        community_count=count_of(Community.objects.all(), "street"),
        grid_count=count_of(Grid.objects.all(), "community__street"),
        unit_count=count_of(Unit.objects.all(), "building__grid__community__street"),
        unit_leader_count=count_of(UNIT_LEADERS, "street"),
    )


def communities(scope):
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


def grids(scope):
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


def buildings(scope):
    return (
        scope.narrow(Building.objects.all())
        .select_related("grid__community")
        .annotate(
            unit_count=count_of(Unit.objects.all(), "building"),
            unit_leader_count=count_of(UNIT_LEADERS, "unit__building"),
        )
    )


def units_with_leaders(scope, building):
    return scope.narrow(building.units.all()).prefetch_related(
        Prefetch("contacts", UNIT_LEADERS, to_attr="leaders")
    )


def contacts(scope):
    return scope.narrow(Contact.objects.all())


def street_staff(street: Street):
    return _roles(RoleKind.STREET_STAFF).filter(street=street)
