"""Status messages to the 12345 platform with a real Celery worker and beat, while the
stand-in platform is down, slow (answers after the sender's time limit) and broken (500).

Each order's messages arrive in order (签收 before 办结), each is taken once however often it
was sent, and a move on a case is never held up by its message on the wire.
"""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.scope import Scope
from cases.inputs import Ownership, Reason, Resolution, Visit
from cases.models import Case
from cases.workflow import perform
from outbox.models import State as OutboxState
from tests.hotline_standin import StandInHotline
from tests.interop_helpers import hotline_partner, order, post_signed, status_messages
from tests.processes import wait_until
from tests.test_reminders_live import services  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]
ORDERS = [f"GD20261206{n:05d}" for n in range(1, 6)]


def test_each_orders_messages_arrive_in_order_once_through_down_slow_and_broken(
    places,
    personas,
    services,  # noqa: F811
):
    server, celery = services
    celery.env.update(
        OUTBOX_SCAN_SECONDS="1",
        OUTBOX_BACKOFF_SECONDS="1",
        OUTBOX_TIMEOUT_SECONDS="1",
        OUTBOX_MAX_ATTEMPTS="30",
    )
    officer = personas.officer_chunguang
    scope = Scope.for_user(officer)
    with StandInHotline() as platform:
        hotline = hotline_partner(places, personas.street_staff, platform.status_url)
        platform.secret = hotline.webhook_secret
        client = Client()
        for number in ORDERS:
            assert post_signed(client, hotline, order(number)).status_code == 201
        cases = list(Case.objects.order_by("pk"))

        platform.down = True  # the platform's maintenance window
        celery.worker()
        celery.beat()
        deadline = timezone.now() + timedelta(days=2)
        for case in cases:
            perform(scope, officer, case.pk, "accept", Ownership(officer, deadline))
        for case in cases:
            perform(scope, officer, case.pk, "handle_directly", Reason("清理杂物"))
            resolution = Resolution("resolved", "已清理", "phone", "已电话告知。")
            perform(scope, officer, case.pk, "resolve", resolution)
        wait_until(
            lambda: status_messages().filter(attempts__gte=1).count() >= len(cases),
            60,
            "the first tries while the platform is down",
        )

        # Slow: the platform answers after the sender gave up; meanwhile a move on the case
        # whose message is on the wire goes through at once.
        on_the_wire = []
        platform.while_receiving = lambda payload: (on_the_wire.append(payload), time.sleep(2))
        platform.down = False
        wait_until(lambda: on_the_wire, 60, "a message on the wire to the slow platform")
        busy = Case.objects.get(external__external_id=on_the_wire[0]["order_number"])
        worker = personas.worker_cg1
        started = time.monotonic()
        perform(Scope.for_user(worker), worker, busy.pk, "verify", Visit("satisfied", "回访"))
        assert time.monotonic() - started < 1  # no lock of the sender to wait for

        platform.while_receiving = None
        platform.answer_status = 500  # broken for a moment
        time.sleep(2)
        platform.answer_status = None
        wait_until(
            lambda: status_messages().filter(state=OutboxState.SENT).count() == 10,
            180,
            "all ten messages sent",
        )

    arrived = {}
    for key, payload in platform.taken.items():
        arrived.setdefault(payload["order_number"], []).append((payload["type"], key))
    assert sorted(arrived) == ORDERS
    for number, messages in arrived.items():
        assert [kind for kind, _key in messages] == ["sign", "finish"], number
    assert len(platform.taken) == 10  # each once in effect, repeats of a key dropped
    assert platform.refused_signatures == 0
    print(
        f"\n[hotline live] {len(platform.deliveries)} deliveries for 10 messages "
        f"({len(platform.deliveries) - 10} repeats, each dropped by its Idempotency-Key)"
    )
