"""Writing the access log: one row per street the event concerns."""

from accounts.models import Role

from .models import AccessEvent, Kind


def streets_of(scope) -> list:
    """The streets an action in the user's places concerns: each street the user holds a role
    in (an officer's or grid worker's street too); [None] for a superuser without roles."""
    if scope.user_id is None:
        return [None]
    streets = sorted(
        set(Role.objects.filter(user_id=scope.user_id).values_list("street_id", flat=True))
    )
    return streets or [None]


def record(kind: Kind, user, streets, *, case=None, phone="", count=None, detail=""):
    AccessEvent.objects.bulk_create(
        AccessEvent(
            kind=kind,
            user=user,
            street_id=street_id,
            case=case,
            phone=phone,
            count=count,
            detail=detail[:1000],
        )
        for street_id in streets
    )
