"""Status messages to the 12345 platform (outbox/dispatch.py, interop/partner_post.py), against
the stand-in platform: a repeat is reported done with its original, a later message never
overtakes an earlier one that waits on retry, and nothing is locked while a message is on the
wire."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from accounts.scope import Scope
from cases.inputs import Reason
from cases.models import Case, State
from cases.workflow import link_duplicate, perform
from interop.partner_post import UNREACHABLE
from outbox.dispatch import deliver, deliver_due
from outbox.models import State as OutboxState
from tests.factories import CaseFactory
from tests.hotline_standin import StandInHotline
from tests.interop_helpers import (
    accept,
    finish,
    hotline_partner,
    order,
    post_signed,
    status_messages,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform():
    with StandInHotline() as stand_in:
        yield stand_in


@pytest.fixture
def hotline(places, personas, platform):
    partner = hotline_partner(places, personas.street_staff, platform.status_url)
    platform.secret = partner.webhook_secret
    return partner


def hotline_case(client, hotline, number):
    assert post_signed(client, hotline, order(number)).status_code == 201
    return Case.objects.get(external__external_id=number)


def test_a_hotline_order_closed_as_a_repeat_is_reported_done(
    client, hotline, platform, personas, places
):
    officer = personas.officer_chunguang
    original = CaseFactory(grid=places.cg1)  # logged by the grid worker the day before
    repeat = hotline_case(client, hotline, "GD2026120600001")
    accept(repeat, officer)
    link_duplicate(
        Scope.for_user(officer),
        officer,
        repeat.pk,
        original.tracking_code,
        elsewhere=original.tracking_code,
    )
    accept(original, officer)
    finish(original, officer)
    assert Case.objects.get(pk=repeat.pk).state == State.RESOLVED
    deliver_due()
    deliver_due()  # the repeat's 办结 follows its 签收
    arrived = [(payload["order_number"], payload["type"]) for payload in platform.taken.values()]
    assert arrived == [("GD2026120600001", "sign"), ("GD2026120600001", "finish")]
    finish_message = status_messages(repeat).get(kind="finish")
    assert finish_message.payload["outcome"] == "resolved"
    assert finish_message.payload["explanation"] == "楼道杂物已清理完毕，已电话告知。"


def test_a_later_message_never_overtakes_an_earlier_one_waiting_on_retry(
    client, hotline, platform, personas
):
    officer = personas.officer_chunguang
    case = hotline_case(client, hotline, "GD2026120600002")
    platform.down = True
    accept(case, officer)
    deliver_due()
    sign = status_messages(case).get(kind="sign")
    assert sign.state == OutboxState.RETRYING  # waits on its backoff
    platform.down = False
    finish(case, officer)  # 办结 written right after the platform came back
    later = status_messages(case).get(kind="finish")
    assert deliver(later.pk) is None and deliver_due() == 0
    assert platform.deliveries == []  # 办结 waits behind 签收
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        deliver_due()  # 签收 is due again: it goes, and brings 办结 after it
        deliver_due()
    assert [payload["type"] for _key, payload in platform.deliveries] == ["sign", "finish"]
    assert set(status_messages().values_list("state", flat=True)) == {OutboxState.SENT}


def test_nothing_is_locked_while_a_message_is_sent_and_a_slow_platform_blocks_no_move(
    client, hotline, platform, personas, settings, caplog
):
    settings.OUTBOX_TIMEOUT_SECONDS = 1
    officer = personas.officer_chunguang
    case = hotline_case(client, hotline, "GD2026120600003")
    seen = []

    def look_around(payload):
        """While the request is open: lock the message and its case from another connection,
        without waiting; then answer later than the sender's time limit."""
        try:
            with transaction.atomic():
                status_messages(case).select_for_update(nowait=True).count()
                Case.objects.select_for_update(nowait=True).filter(pk=case.pk).count()
            seen.append("free")
        except Exception as error:  # a lock held by the sender
            seen.append(f"locked: {error}")
        finally:
            connections.close_all()
        time.sleep(1.5)

    platform.while_receiving = look_around
    accept(case, officer)
    message = status_messages(case).get()
    assert deliver(message.pk) == OutboxState.RETRYING  # the answer came too late
    assert seen == ["free"]
    message.refresh_from_db()
    # Staff read the one sentence every failure gives; the log says it timed out.
    assert message.attempts == 1 and message.last_error == UNREACHABLE
    assert "timed out" in caplog.text.lower()
    # Meanwhile and after, the case moves as usual.
    perform(Scope.for_user(officer), officer, case.pk, "handle_directly", Reason("清理"))
    assert Case.objects.get(pk=case.pk).state == State.IN_PROGRESS


def test_sent_messages_are_removed_after_the_kept_period_and_unsent_ones_stay(
    client, hotline, platform, personas, settings
):
    from config.celery import app
    from outbox.dispatch import remove_old_sent

    settings.OUTBOX_KEEP_DAYS = 90
    officer = personas.officer_chunguang
    sent_case = hotline_case(client, hotline, "GD2026120600004")
    accept(sent_case, officer)
    deliver_due()
    platform.down = True
    waiting_case = hotline_case(client, hotline, "GD2026120600005")
    accept(waiting_case, officer)
    deliver_due()
    with time_machine.travel(timezone.now() + timedelta(days=89), tick=True):
        assert remove_old_sent() == 0
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=True):
        assert remove_old_sent() == 1
    assert list(status_messages().values_list("subject", "state")) == [
        (f"case:{waiting_case.pk}", OutboxState.RETRYING)
    ]
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "outbox.tasks.remove_old_sent" in tasks
