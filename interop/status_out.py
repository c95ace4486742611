"""Status to the hotline: 签收 when the case is accepted, 退单 when declined, 办结 when
resolved, and 延期申请 when staff ask for more time. Each message is written to the outbox in
the transaction of the move it reports (the move and its message stand or fall together) and
sent after the commit, in order per order number (outbox/dispatch.py, interop/partner_post.py)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases import history
from cases.models import OPEN_STATES
from cases.workflow import LONGEST_DEADLINE, MoveRefused, is_officer_for, locked_case
from common.text import has_refused_characters
from outbox.models import Channel, Message
from outbox.queue import enqueue as enqueue_message

from .messages_out import case_subject
from .models import ExtensionRequest, ExternalRef, OutboxKind, Source
from .partner_post import destination

KIND_OF_MOVE = {
    "accept": OutboxKind.SIGN,
    "decline": OutboxKind.RETURN,
    "resolve": OutboxKind.FINISH,
}


def hotline_ref(case) -> ExternalRef | None:
    return (
        ExternalRef.objects.select_related("partner")
        .filter(case_id=case.pk, source=Source.HOTLINE)
        .first()
    )


def enqueue(case, ref, kind, fields: dict, event) -> Message:
    """The message reporting `event` (the case's history row of the change) to the hotline."""
    subject = case_subject(case)
    return enqueue_message(
        Channel.PARTNER,
        destination(ref.partner),
        subject,  # in order per order: 签收 never arrives after 办结
        kind,
        {"type": kind, "order_number": ref.external_id, **fields},
        # Stable for this message, and never given twice: the history row it reports stays
        # for good, where an outbox row is removed after its kept period. The hotline drops
        # a second delivery of the same key.
        f"yj-{case.tracking_code}-{kind}-{event.pk}",
        source=subject,
    )


def follow_change(change) -> None:
    """A consequence of a recorded change (cases/consequences.py): 签收, 退单 or 办结 for a
    hotline order, its repeats closed with their original included."""
    kind = KIND_OF_MOVE.get(change.change)
    if kind is None:
        return
    case = change.case
    ref = hotline_ref(case)
    if ref is None:
        return
    now = change.at.isoformat()
    if kind == OutboxKind.SIGN:
        # The hotline's 办结 deadline bounds the owner's: the overdue page and reminders see it.
        if ref.finish_deadline and case.response_deadline > ref.finish_deadline:
            case.response_deadline = ref.finish_deadline
            case.save(update_fields=["response_deadline", "updated_at"])
        fields = {"signed_at": now, "handler": case.community.name}
    elif kind == OutboxKind.RETURN:
        fields = {"returned_at": now, "reason": change.note}
    else:
        fields = {
            "finished_at": now,
            "outcome": change.details.get("outcome", ""),
            "explanation": change.details.get("explanation", ""),
        }
    enqueue(case, ref, kind, fields, change.event)


def may_request_extension(scope, case) -> bool:
    return (
        is_officer_for(scope, case)
        and case.state in OPEN_STATES
        and hotline_ref(case) is not None
        and not ExtensionRequest.objects.filter(case=case, answered_at__isnull=True).exists()
    )


def request_extension(scope, user, case_id, reason: str, new_deadline: datetime):
    """延期申请: the reason and the date asked for go to the hotline, which answers later."""
    with transaction.atomic():
        case = locked_case(scope, case_id)
        ref = hotline_ref(case)
        if ref is None or not is_officer_for(scope, case) or case.state not in OPEN_STATES:
            raise MoveRefused(_("Only an open 12345 order's officer may ask for more time."))
        if not may_request_extension(scope, case):
            raise MoveRefused(_("An extension request already waits for the hotline's answer."))
        errors = {}
        if not isinstance(reason, str) or not reason.strip():
            errors["reason"] = _("This field is required.")
        elif len(reason) > 500 or has_refused_characters(reason):
            errors["reason"] = _("At most 500 characters, without control characters.")
        if not isinstance(new_deadline, datetime) or new_deadline <= timezone.now():
            errors["new_deadline"] = _("The deadline must be in the future.")
        elif ref.finish_deadline and new_deadline <= ref.finish_deadline:
            # More time is what is asked for: a date before the order's own one asks for less.
            errors["new_deadline"] = _(
                "Ask for a date after the current finish-by deadline, %(at)s."
            ) % {"at": date_format(timezone.localtime(ref.finish_deadline), "Y-m-d H:i")}
        elif new_deadline > (ref.finish_deadline or timezone.now()) + LONGEST_DEADLINE:
            errors["new_deadline"] = _("Ask for a date within a year of the current one.")
        if errors:
            raise MoveRefused(_("Please correct the fields below."), errors=errors)
        event = history.record(
            case,
            user,
            "hotline_extension_requested",
            case.state,
            case.state,
            reason,
            {"requested_deadline": new_deadline.isoformat()},
        )
        message = enqueue(
            case,
            ref,
            OutboxKind.EXTENSION,
            {"reason": reason, "requested_deadline": new_deadline.isoformat()},
            event,
        )
        ExtensionRequest.objects.create(case=case, message=message)
    return message
