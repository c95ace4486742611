"""Reads of the hierarchy that other apps build on."""

from django.db.models import Q

from .models import Contact, ContactKind

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
