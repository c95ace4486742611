"""Partners, keys and signed hotline messages for the interop tests."""

import json
import time
from datetime import timedelta

from django.utils import timezone

from accounts.scope import Scope
from cases.inputs import Ownership, Reason, Resolution
from cases.workflow import perform
from interop import keys, signing
from interop.models import PartnerKind


def app_partner(places, staff, name="街道小程序", street=None):
    partner = keys.create_partner(staff, street or places.street, name, PartnerKind.APP)
    _key, raw = keys.issue_key(staff, partner, "production")
    return partner, raw


def hotline_partner(places, staff, outbound_url="http://127.0.0.1:9/status"):
    return keys.create_partner(
        staff, places.street, "市12345热线", PartnerKind.HOTLINE, outbound_url
    )


def order(number="GD2026112700001", **changes):
    now = timezone.now()
    message = {
        "type": "order",
        "message_id": f"msg-{number}-{time.monotonic_ns()}",
        "order_number": number,
        "category": "环境卫生",
        "content": "楼道里堆满了杂物，影响通行。",
        "address": "万青路街道春光第1网格小区1号楼1单元",
        "caller_name": "李来电",
        "caller_phone": "13812345678",
        "dispatched_at": now.isoformat(),
        "sign_deadline": (now + timedelta(hours=2)).isoformat(),
        "finish_deadline": (now + timedelta(days=5)).isoformat(),
    }
    message.update(changes)
    return message


def post_signed(client, partner, data, secret=None, timestamp=None, body=None, **extra):
    body = body if body is not None else json.dumps(data, ensure_ascii=False).encode()
    timestamp = timestamp or str(int(time.time()))
    signature = signing.sign(secret or partner.webhook_secret, timestamp, body)
    return client.generic(
        "POST",
        f"/api/hotline/{partner.pk}/",
        body,
        content_type="application/json",
        HTTP_X_HOTLINE_TIMESTAMP=timestamp,
        HTTP_X_HOTLINE_SIGNATURE=signature,
        **extra,
    )


def accept(case, officer, days=2):
    """签收 on our side: the officer accepts the order's case for himself."""
    deadline = timezone.now() + timedelta(days=days)
    perform(Scope.for_user(officer), officer, case.pk, "accept", Ownership(officer, deadline))


def finish(case, officer):
    """办结 on our side: handled directly, then resolved with the explanation the hotline reads."""
    scope = Scope.for_user(officer)
    perform(scope, officer, case.pk, "handle_directly", Reason("清理杂物"))
    perform(
        scope,
        officer,
        case.pk,
        "resolve",
        Resolution("resolved", "已清理", "phone", "楼道杂物已清理完毕，已电话告知。"),
    )


def status_messages(case=None):
    """The outbox's messages to partners; of one case when it is given."""
    from outbox.models import Channel, Message

    messages = Message.objects.filter(channel=Channel.PARTNER)
    return messages if case is None else messages.filter(subject=f"case:{case.pk}")
