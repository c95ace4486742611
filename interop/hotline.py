"""12345 work orders in: a signed webhook, checked whole before anything is saved.

Each message is JSON with a `type`:

- `order`: a new work order. It becomes a case in channel 12345 with the order number and
  the hotline's deadlines (签收 → the case's accept-by time; 办结 → bounds the owner's
  deadline once accepted). A redelivered order (same number) creates nothing and answers
  with the case it made. An address the street cannot place, or a category it does not
  have, waits in the street's inbox, where staff choose the grid and category.
- `extension_answer`: the hotline's answer to a 延期申请.
- `visit`: the hotline's 回访, with the caller's satisfaction; it counts in the 满意率.

Every `message_id` is taken once (a replay inside the window is refused), unknown fields
are refused, and nothing is saved unless the whole message is good.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.scope import Scope
from cases import history
from cases.intake import save_new_case
from cases.models import Case, Category, Channel, Satisfaction, State, Urgency
from common.moments import BadMoment, parse_moment
from common.phones import normalise_phone, validate_phone
from common.text import has_refused_characters

from . import places
from .models import ExtensionRequest, ExternalRef, InboxOrder, ReceivedMessage, Source


class Refused(Exception):
    """A 4xx for the hotline: `status` and a message naming the problem."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Order:
    order_number: str
    category: str
    content: str
    address: str
    caller_name: str
    caller_phone: str
    dispatched_at: datetime
    sign_deadline: datetime
    finish_deadline: datetime


TEXT_LIMITS = {
    "order_number": 64,
    "category": 30,
    "content": 2000,
    "address": 200,
    "caller_name": 50,
    "caller_phone": 20,
    "comment": 500,
    "message_id": 64,
    "type": 20,
    "satisfaction": 20,
}
FIELDS = {
    "order": {
        "type",
        "message_id",
        "order_number",
        "category",
        "content",
        "address",
        "caller_name",
        "caller_phone",
        "dispatched_at",
        "sign_deadline",
        "finish_deadline",
    },
    "extension_answer": {
        "type",
        "message_id",
        "order_number",
        "approved",
        "new_finish_deadline",
        "comment",
    },
    "visit": {"type", "message_id", "order_number", "satisfaction", "comment"},
}
REQUIRED = {
    "order": FIELDS["order"],
    "extension_answer": {"type", "message_id", "order_number", "approved"},
    "visit": {"type", "message_id", "order_number", "satisfaction"},
}


def check_shape(data) -> str:
    """The message's type, after its fields are checked: names, presence, types, lengths."""
    if not isinstance(data, dict):
        raise Refused("the body must be a JSON object")
    kind = data.get("type")
    if kind not in FIELDS:
        raise Refused(f"type must be one of {', '.join(sorted(FIELDS))}")
    unknown = sorted(set(data) - FIELDS[kind])
    if unknown:
        raise Refused(f"unknown fields: {', '.join(unknown)}")
    missing = sorted(REQUIRED[kind] - set(data))
    if missing:
        raise Refused(f"missing fields: {', '.join(missing)}")
    for name, value in data.items():
        if name in TEXT_LIMITS:
            if not isinstance(value, str):
                raise Refused(f"{name} must be a string")
            if len(value) > TEXT_LIMITS[name]:
                raise Refused(f"{name}: at most {TEXT_LIMITS[name]} characters")
            if has_refused_characters(value):
                raise Refused(f"{name}: control characters are not accepted")
    if not data["message_id"].strip() or not data["order_number"].strip():
        raise Refused("message_id and order_number must not be empty")
    return kind


def _moment(data, name) -> datetime:
    try:
        return parse_moment(data.get(name))
    except BadMoment as bad:
        raise Refused(f"{name} must be {bad}") from None


def parse_order(data) -> Order:
    order = Order(
        order_number=data["order_number"].strip(),
        category=data["category"].strip(),
        content=data["content"],
        address=data["address"],
        caller_name=data["caller_name"].strip(),
        caller_phone=normalise_phone(data["caller_phone"]),
        dispatched_at=_moment(data, "dispatched_at"),
        sign_deadline=_moment(data, "sign_deadline"),
        finish_deadline=_moment(data, "finish_deadline"),
    )
    if not order.content.strip() or not order.caller_name:
        raise Refused("content and caller_name must not be empty")
    try:
        validate_phone(order.caller_phone)
    except Exception:  # ValidationError
        raise Refused("caller_phone is not a valid phone number") from None
    if not order.dispatched_at <= order.sign_deadline <= order.finish_deadline:
        raise Refused("dispatched_at ≤ sign_deadline ≤ finish_deadline, please")
    return order


def receive(partner, data) -> tuple[int, dict]:
    """Handle one checked message; (HTTP status, answer). Raises Refused for a 4xx."""
    kind = check_shape(data)
    scope = Scope.for_partner(partner)
    with transaction.atomic():
        # The message id is taken in the same transaction as what it does: a replay waits
        # here for the first and then finds the id taken.
        try:
            with transaction.atomic():
                ReceivedMessage.objects.create(partner=partner, message_id=data["message_id"])
        except IntegrityError:
            raise Refused("this message_id was already received (replay)", 409) from None
        if kind == "order":
            return _order(partner, scope, parse_order(data))
        if kind == "extension_answer":
            return _extension_answer(partner, scope, data)
        return _visit(partner, scope, data)


def _order(partner, scope, order: Order):
    earlier = ExternalRef.objects.filter(partner=partner, external_id=order.order_number).first()
    if earlier is not None:
        return 200, {"result": "duplicate", "case": earlier.case.tracking_code}
    if InboxOrder.objects.filter(partner=partner, order_number=order.order_number).exists():
        return 200, {"result": "duplicate", "case": None, "inbox": True}
    place = places.by_words(scope, order.address)
    category = Category.objects.filter(name=order.category, is_active=True).first()
    try:
        with transaction.atomic():
            if place is None or category is None:
                InboxOrder.objects.create(
                    partner=partner, order_number=order.order_number, payload=order_payload(order)
                )
                return 202, {"result": "inbox", "case": None}
            case = take_order(
                partner, order, places.case_place(place), category, partner.service_user
            )
    except IntegrityError:
        # The same order delivered twice at once: the other delivery made it; this one is
        # refused whole (its message id too), so a later redelivery is answered as a duplicate.
        raise Refused("this order is being received by another delivery; retry", 409) from None
    return 201, {"result": "created", "case": case.tracking_code}


def order_payload(order: Order) -> dict:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in order.__dict__.items()
    }


def order_from_payload(payload: dict) -> Order:
    return Order(
        **{
            name: parse_datetime(value) if name.endswith(("_at", "_deadline")) else value
            for name, value in payload.items()
        }
    )


def take_order(partner, order: Order, place: dict, category, user) -> Case:
    """The order as a case in 点单, with the hotline's deadlines and its number."""
    case = Case(
        **place,
        category=category,
        description=order.content,
        resident_name=order.caller_name,
        resident_phone=order.caller_phone,
        channel=Channel.HOTLINE,
        urgency=Urgency.ROUTINE,
    )
    with transaction.atomic():
        save_new_case(case, [], user=user)
        # The hotline's 签收 deadline is the case's accept-by time (response rate, reminders).
        case.response_deadline = case.accept_by = order.sign_deadline
        case.save(update_fields=["response_deadline", "accept_by", "updated_at"])
        ExternalRef.objects.create(
            case=case,
            partner=partner,
            source=Source.HOTLINE,
            external_id=order.order_number,
            dispatched_at=order.dispatched_at,
            sign_deadline=order.sign_deadline,
            finish_deadline=order.finish_deadline,
        )
    return case


def _hotline_case(scope, partner, order_number) -> Case:
    case = (
        scope.narrow(Case.objects.select_for_update())
        .filter(external__partner=partner, external__external_id=order_number.strip())
        .first()
    )
    if case is None:
        raise Refused("no case for this order_number", 404)
    return case


def _extension_answer(partner, scope, data):
    case = _hotline_case(scope, partner, data["order_number"])
    if not isinstance(data["approved"], bool):
        raise Refused("approved must be true or false")
    request = (
        ExtensionRequest.objects.select_for_update()
        .filter(case=case, answered_at__isnull=True)
        .first()
    )
    if request is None:
        raise Refused("no extension request waits for an answer on this order", 409)
    details = {"approved": data["approved"], "source": "12345"}
    if data["approved"]:
        new = _moment(data, "new_finish_deadline")
        ref = case.external
        ref.finish_deadline = new
        ref.save(update_fields=["finish_deadline"])
        if case.state != State.SUBMITTED:
            case.response_deadline = new
            case.save(update_fields=["response_deadline", "updated_at"])
        details["new_finish_deadline"] = new.isoformat()
    request.answered_at = timezone.now()
    request.save(update_fields=["answered_at"])
    history.record(
        case,
        None,
        "hotline_extension_answered",
        case.state,
        case.state,
        data.get("comment", ""),
        details,
    )
    return 200, {"result": "recorded", "case": case.tracking_code}


def _visit(partner, scope, data):
    case = _hotline_case(scope, partner, data["order_number"])
    if data["satisfaction"] not in Satisfaction.values:
        raise Refused(f"satisfaction must be one of {', '.join(Satisfaction.values)}")
    if case.state not in (State.RESOLVED, State.VERIFIED):
        raise Refused("a 回访 comes after 办结: this order is not finished", 409)
    if case.events.filter(move="hotline_visit").exists():
        raise Refused("this order's 回访 is already recorded", 409)
    history.record(
        case,
        None,
        "hotline_visit",
        case.state,
        case.state,
        data.get("comment", ""),
        {"satisfaction": data["satisfaction"], "source": "12345"},
    )
    return 200, {"result": "recorded", "case": case.tracking_code}
