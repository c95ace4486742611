"""Filing an Open311 request: where it is, who sent it, and where it waits when nobody knows.

GeoReport v2 asks only for a service and a location; a name and phone are optional. So:

- the location is a unit's or building's code (`address_id`), an address in words
  (`address_string`) or `lat`/`long`. A code must be one of the key's street (else 404); an
  address that matches no building of the street, or a lat/long alone, goes to the street's
  inbox on 系统对接, where staff choose the grid, as they do for unplaceable hotline orders.
  The request's code is given at once, and stays the case's code once it is placed;
- a request with no phone we can call (none given, or not a mainland number) is accepted
  with no contact: its 查单 is made by a visit, and the answer's `service_notice` says so;
- the rest are the residents' form's checks: the text, the photos, the per-phone daily limit.

Photos of a request that waits are kept in the storage until it is placed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.intake import save_new_case
from cases.models import Case, Category, Channel, Urgency, new_tracking_code
from cases.photos import CleanPhoto
from common.phones import is_valid_phone, normalise_phone, phone_digits
from common.ratelimit import allow

from . import places
from .models import ExternalRef, InboxOrder, Source

NO_NAME = "匿名"  # stored as data, like retention's 已匿名


class Refused(Exception):
    """A request refused with its HTTP status and what is wrong, in the client's language."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Filed:
    code: str
    notice: str
    created: bool = True


def category_of(code):
    code = str(code or "").strip()
    if not code.isdigit() or len(code) > 9:
        return None
    return Category.objects.filter(pk=int(code), is_active=True).first()


def earlier(partner, key: str) -> Filed | None:
    """What this partner filed with this Idempotency-Key before: a case, or one waiting."""
    if not key:
        return None
    ref = ExternalRef.objects.filter(partner=partner, external_id=key).select_related("case")
    ref = ref.first()
    if ref is not None:
        return Filed(ref.case.tracking_code, "", created=False)
    row = InboxOrder.objects.filter(partner=partner, order_number=key).first()
    if row is not None:
        return Filed(row.payload["tracking_code"], "", created=False)
    return None


def file(scope, partner, values: dict, urgency: str, photos: list, key: str) -> Filed:
    """File one checked request; raises Refused for a 4xx."""
    category = category_of(values["service_code"])
    if category is None:
        raise Refused(_("service_code: no such service; GET services lists them."), 404)
    place = _place(scope, values)
    name = " ".join(
        part.strip() for part in (values.get("last_name"), values.get("first_name")) if part
    ).strip()
    phone = normalise_phone(values.get("phone") or "")
    notices = []
    if not is_valid_phone(phone):
        phone = ""
        notices.append(_("No phone number we can call: the follow-up will be a visit."))
    if phone and not allow(
        f"submit:phone:{phone_digits(phone)}",
        settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY,
        86400,
    ):
        raise Refused(_("This phone has sent several requests today."), 429)
    resident = {"name": (name or NO_NAME)[:50], "phone": phone}
    reference = {
        "media_url": values.get("media_url", ""),
        "lat": values.get("lat"),
        "long": values.get("long"),
    }
    try:
        if place is None:
            notices.insert(0, _("The street will place this request on a building first."))
            code = _wait(partner, category, values, resident, urgency, reference, photos, key)
        else:
            code = _open_case(
                partner, place, category, values, resident, urgency, reference, photos, key
            )
    except IntegrityError:  # the same key sent twice at once: the first one's request
        found = earlier(partner, key)
        if found is None:
            raise
        return found
    return Filed(code, " ".join(notices))


def _place(scope, values):
    """The unit or building; None when the street must place it (words or lat/long)."""
    if values.get("address_id"):
        place = places.by_code(scope, values["address_id"])
        if place is None:
            raise Refused(_("address_id: no such unit or building in this street."), 404)
        return place
    if (values.get("address_string") or "").strip():
        return places.by_words(scope, values["address_string"])
    if values.get("lat") is not None and values.get("long") is not None:
        return None
    raise Refused(
        _("Give the location: address_id (a unit's or building's code), address_string, ")
        + _("or lat and long together.")
    )


def _open_case(partner, place, category, values, resident, urgency, reference, photos, key):
    case = Case(
        **places.case_place(place),
        category=category,
        description=values["description"],
        resident_name=resident["name"],
        resident_phone=resident["phone"],
        channel=Channel.ONLINE,
        urgency=urgency,
    )
    with transaction.atomic():
        save_new_case(case, photos, user=partner.service_user)
        ExternalRef.objects.create(
            case=case,
            partner=partner,
            source=Source.OPEN311,
            external_id=key or case.tracking_code,
            **reference,
        )
    return case.tracking_code


def _wait(partner, category, values, resident, urgency, reference, photos, key):
    code = new_tracking_code()
    address = (values.get("address_string") or "").strip()
    payload = {
        "source": "open311",
        "tracking_code": code,
        "category": category.name,
        "category_id": category.pk,
        "content": values["description"],
        # What the inbox page shows staff to place it by.
        "address": address or f"{reference['lat']}, {reference['long']}",
        "address_string": address,
        "resident_name": resident["name"],
        "resident_phone": resident["phone"],
        "urgency": urgency,
        **reference,
        "photos": [],
    }
    with transaction.atomic():
        for number, photo in enumerate(photos):
            name = default_storage.save(
                f"open311-inbox/{code}-{number}.{photo.extension}", ContentFile(photo.content)
            )
            payload["photos"].append(
                {"name": name, "extension": photo.extension, "content_type": photo.content_type}
            )
        InboxOrder.objects.create(partner=partner, order_number=key or code, payload=payload)
    return code


def place_waiting(row: InboxOrder, grid, category, user) -> Case:
    """Staff placed a waiting request on a grid: it becomes a case under the code it was given.
    The caller holds the row locked."""
    payload = row.payload
    case = Case(
        grid=grid,
        building=None,
        unit=None,
        category=category,
        description=payload["content"],
        resident_name=payload["resident_name"],
        resident_phone=payload["resident_phone"],
        channel=Channel.ONLINE,
        urgency=payload.get("urgency") or Urgency.ROUTINE,
        tracking_code=payload["tracking_code"],
    )
    photos = []
    for photo in payload["photos"]:
        with default_storage.open(photo["name"]) as stored:
            photos.append(CleanPhoto(stored.read(), photo["extension"], photo["content_type"]))
    save_new_case(case, photos, user=user)
    ExternalRef.objects.create(
        case=case,
        partner=row.partner,
        source=Source.OPEN311,
        external_id=row.order_number,
        media_url=payload.get("media_url") or "",
        lat=payload.get("lat"),
        long=payload.get("long"),
    )
    names = [photo["name"] for photo in payload["photos"]]
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return case
