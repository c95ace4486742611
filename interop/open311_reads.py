"""What an Open311 read shows of a request, and to whom.

GeoReport v2 reads need no key: anyone may list requests and read one. They show public
fields only, and the resident's name, phone and e-mail never. What else a read shows depends
on whose request it is:

- anyone: the request's code, service, state, dates, place (its unit or building), and its
  lat/long rounded to about 100 m;
- where the street chooses (`Street.open311_public_descriptions`): the description, the
  explanation given on closing and the media link too, with numbers masked;
- the partner that filed it, reading with its key: all of that whatever the street chose,
  its exact lat/long, and the requests still waiting in the street's inbox to be placed.

Numbers are masked wherever free text leaves through Open311, the filing partner's own reads
included, as on every page residents read (`common.phones.redact_phones`): a mobile however
grouped (spaces, dashes, dots, full-width digits) shows as 138****1234, a landline keeps its
area code and last 4, a local number its last 4, and IDs, cards and other runs of 9 or more
digits their first 3 and last 2.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Category, State
from common.phones import redact_phones
from grids.models import Building, Community, Grid, Unit, building_label, grid_label, unit_label
from residents import public

from .models import InboxOrder, PartnerKind

CLOSED = (State.RESOLVED, State.VERIFIED, State.DECLINED)
MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
PUBLIC_COORDINATE_DECIMALS = 3  # about 100 m: the street, not the door

# What a read needs of a case: its own columns, its street's choice and the partner's
# reference; the names of its category and places come by id (`_names`).
SHOWN = (
    "pk",
    "tracking_code",
    "state",
    "description",
    "created_at",
    "updated_at",
    "response_deadline",
    "category_id",
    "community_id",
    "grid_id",
    "building_id",
    "unit_id",
    "street__open311_public_descriptions",
    "external__partner_id",
    "external__media_url",
    "external__lat",
    "external__long",
)


def requests_seen_by(partner):
    """Every request a read may list: all cases; what each shows is decided per request."""
    return Case.objects.all()


def shown(cases, limit, partner=None) -> list:
    """The first `limit` cases as Open311 shows them to this partner (None: the public),
    from their columns, then their names by id and their history, in a few small queries."""
    cases = list(cases.values(*SHOWN)[:limit])
    rows = public.stage_rows([case["pk"] for case in cases])
    names = _names(cases)
    partner_id = partner.pk if partner else None
    return [as_open311(case, names, rows[case["pk"]], partner_id) for case in cases]


def status_notes(created_at, stage_rows, explained: bool) -> str:
    """The stage reached, or the explanation given to residents where it may be shown."""
    stages = public.stages_of(created_at, stage_rows)
    explanation = next((s.get("explanation") for s in reversed(stages) if s.get("explanation")), "")
    if explained and explanation:
        return redact_phones(str(explanation))
    return str(stages[-1]["label"])


def _coordinate(value, exact: bool):
    if value is None:
        return None
    return float(value) if exact else round(float(value), PUBLIC_COORDINATE_DECIMALS)


def as_open311(case: dict, names: dict, stage_rows, partner_id=None) -> dict:
    own = partner_id is not None and case["external__partner_id"] == partner_id
    told = own or case["street__open311_public_descriptions"]
    updated = max(case["updated_at"], case["created_at"])
    community = names["communities"][case["community_id"]]
    if case["unit_id"]:
        place, code = names["units"][case["unit_id"]]
    elif case["building_id"]:
        place, code = names["buildings"][case["building_id"]]
    else:
        place, code = grid_label(community, names["grids"][case["grid_id"]]), ""
    closed = case["state"] in CLOSED
    return {
        "service_request_id": case["tracking_code"],
        "status": "closed" if closed else "open",
        "status_notes": status_notes(case["created_at"], stage_rows, told),
        "service_name": names["categories"][case["category_id"]],
        "service_code": str(case["category_id"]),
        "description": redact_phones(case["description"]) if told else "",
        "agency_responsible": community,
        "service_notice": "",
        "requested_datetime": case["created_at"].isoformat(),
        "updated_datetime": updated.isoformat(),
        "expected_datetime": case["response_deadline"].isoformat()
        if case["response_deadline"] and not closed
        else None,
        "address": f"{community} {place}",
        "address_id": code,
        "zipcode": "",
        "lat": _coordinate(case["external__lat"], own),
        "long": _coordinate(case["external__long"], own),
        "media_url": (case["external__media_url"] or "") if told else "",
    }


def _names(cases) -> dict:
    """The names of these cases' categories and places, and their places' public codes."""

    def ids(key, where=lambda case: True):
        return {case[key] for case in cases if where(case)} - {None}

    units = {
        pk: (unit_label(building_label(estate, building), name), code)
        for pk, name, code, estate, building in Unit.objects.filter(
            pk__in=ids("unit_id")
        ).values_list("pk", "name", "public_code", "building__estate", "building__name")
    }
    buildings = {
        pk: (building_label(estate, name), code)
        for pk, estate, name, code in Building.objects.filter(
            pk__in=ids("building_id", lambda case: not case["unit_id"])
        ).values_list("pk", "estate", "name", "public_code")
    }
    grids = dict(
        Grid.objects.filter(
            pk__in=ids("grid_id", lambda case: not case["building_id"])
        ).values_list("pk", "name")
    )
    return {
        "categories": dict(
            Category.objects.filter(pk__in=ids("category_id")).values_list("pk", "name")
        ),
        "communities": dict(
            Community.objects.filter(pk__in=ids("community_id")).values_list("pk", "name")
        ),
        "grids": grids,
        "buildings": buildings,
        "units": units,
    }


# Requests still in the street's inbox: only the partner that filed them sees them.


def waiting(partner) -> list[dict]:
    """This partner's requests that wait in its street's inbox to be placed, newest first."""
    if partner is None or partner.kind != PartnerKind.APP:
        return []
    rows = (
        InboxOrder.objects.filter(partner=partner, case__isnull=True)
        .select_related("partner__street")
        .order_by("-received_at", "-id")
    )
    return [as_waiting(row, row.partner.street.name) for row in rows[:MAX_RESULTS]]


def as_waiting(row: InboxOrder, street: str) -> dict:
    payload = row.payload
    return {
        "service_request_id": payload["tracking_code"],
        "status": "open",
        "status_notes": _("Waiting for the street to place it on a building."),
        "service_name": payload["category"],
        "service_code": str(payload["category_id"]),
        "description": redact_phones(payload["content"]),
        "agency_responsible": street,
        "service_notice": "",
        "requested_datetime": row.received_at.isoformat(),
        "updated_datetime": row.received_at.isoformat(),
        "expected_datetime": None,
        "address": payload.get("address_string", ""),
        "address_id": "",
        "zipcode": "",
        "lat": payload.get("lat"),
        "long": payload.get("long"),
        "media_url": payload.get("media_url", ""),
    }


def one(code: str, partner=None) -> list:
    """The request with this code as a one-item list, or an empty list."""
    found = shown(requests_seen_by(partner).filter(tracking_code=code), 1, partner)
    if found or partner is None:
        return found
    return [r for r in waiting(partner) if r["service_request_id"] == code][:1]


# The date window of a list: the last 90 days unless asked, and never more than 90 days.


def _utc(moment: datetime) -> datetime:
    """The moment in UTC; one beyond the calendar's ends (year 1 at +05:00) is its end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year < 2
            else datetime.max.replace(tzinfo=UTC)
        )


def _shift(moment: datetime, by: timedelta) -> datetime:
    try:
        return moment + by
    except OverflowError:
        return (
            datetime.max.replace(tzinfo=UTC)
            if by > timedelta(0)
            else datetime.min.replace(tzinfo=UTC)
        )


def window(start, end, now=None) -> tuple[datetime, datetime | None]:
    """(from, until) of a list; `until` None: up to now. Raises ValueError when the end is
    before the start."""
    start = _utc(start) if start else None
    end = _utc(end) if end else None
    if start is None and end is None:
        return (now or timezone.now()) - WINDOW, None
    if start is None:
        return _shift(end, -WINDOW), end
    if end is None:
        return start, _shift(start, WINDOW)
    if end < start:
        raise ValueError("end before start")
    return start, min(end, _shift(start, WINDOW))


def in_window(cases, start, end):
    cases = cases.filter(created_at__gte=start)
    return cases if end is None else cases.filter(created_at__lte=end)


def waiting_in_window(rows: list[dict], start, end) -> list[dict]:
    def inside(row):
        at = datetime.fromisoformat(row["requested_datetime"])
        return at >= start and (end is None or at <= end)

    return [row for row in rows if inside(row)]
