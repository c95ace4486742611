"""One outbox for everything that leaves the process (outbox/): a reminder's e-mail and a
hotline status are rows of the same table, sent by the same dispatcher; a dead letter is shown
to the partner's staff with its error and goes out again at their word, still in its order;
sent rows are removed after the kept period, and nothing else is; and no message is sent
inside a transaction."""

import re
import socket
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cases.models import Case
from interop import keys
from interop.models import ExtensionRequest, PartnerKind
from notifications import dispatch as reminders
from outbox.dispatch import deliver, deliver_due, remove_old_sent
from outbox.models import Message, State
from outbox.queue import enqueue
from tests.factories import CaseFactory
from tests.hotline_standin import StandInHotline
from tests.interop_helpers import accept, finish, hotline_partner, order, post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    with StandInHotline() as stand_in:
        yield stand_in


@pytest.fixture
def hotline(places, personas, platform):
    partner = hotline_partner(places, personas.street_staff, platform.status_url)
    platform.secret = partner.webhook_secret
    return partner


@pytest.fixture(autouse=True)
def empty_broker():
    """Messages are handed to the broker on commit; no worker takes them here."""
    yield
    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete("celery")


def hotline_case(client, hotline, number):
    assert post_signed(client, hotline, order(number)).status_code == 201
    return Case.objects.get(external__external_id=number)


def test_an_email_reminder_and_a_hotline_status_are_rows_of_one_outbox(
    client, places, personas, hotline, platform
):
    officer = personas.officer_chunguang
    officer.email = "officer@example.org"
    officer.save()
    CaseFactory(grid=places.cg1, response_deadline=timezone.now() - timedelta(hours=1))
    reminders.scan()  # "not accepted in time": an e-mail to the officer
    accept(hotline_case(client, hotline, "GD2026120700001"), officer)  # 签收 to the hotline
    rows = list(Message.objects.values_list("channel", "destination", "kind", "state"))
    assert sorted(rows) == [
        ("email", "officer@example.org", "unaccepted", State.PENDING),
        ("partner", f"partner:{hotline.pk}", "sign", State.PENDING),
    ]
    assert deliver_due() == 2  # one scan, one dispatcher, each through its channel's sender
    assert len(mail.outbox) == 1 and platform.kinds() == ["sign"]
    assert set(Message.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_dead_letter_is_shown_with_its_error_and_sent_again_in_its_order(
    client, hotline, platform, personas, settings, login
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    officer = personas.officer_chunguang
    case = hotline_case(client, hotline, "GD2026120700002")
    platform.down = True
    accept(case, officer)
    deliver_due()
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        deliver_due()
    sign = Message.objects.get(kind="sign")
    assert sign.state == State.FAILED and sign.attempts == 2
    platform.down = False
    finish(case, officer)  # 办结 waits behind the dead 签收
    assert deliver_due() == 0 and platform.deliveries == []

    staff = login(personas.street_staff)
    page = staff.get("/integration/").content.decode()
    assert 'data-state="failed"' in page and case.tracking_code in page
    assert "热线平台拒收了这条消息，或无法连接。" in page and "重新发送" in page
    other = Client()
    other.force_login(personas.other_street_staff)
    assert other.post(f"/integration/outbox/{sign.pk}/retry/").status_code == 404
    assert Message.objects.get(pk=sign.pk).state == State.FAILED

    answer = staff.post(f"/integration/outbox/{sign.pk}/retry/", follow=True)
    assert "该消息将重新发送。" in answer.content.decode()
    assert deliver_due() == 1  # 签收, at once
    assert deliver_due() == 1  # then 办结
    assert platform.kinds() == ["sign", "finish"]
    assert set(Message.objects.values_list("state", flat=True)) == {State.SENT}
    assert 'data-state="failed"' not in staff.get("/integration/").content.decode()


def test_retention_removes_only_sent_rows_older_than_the_kept_period(places, personas, settings):
    settings.OUTBOX_KEEP_DAYS = 90
    now = timezone.now()
    old, recent = now - timedelta(days=91), now - timedelta(days=89)

    def message(key, state, channel="email", sent_at=None):
        return Message.objects.create(
            channel=channel,
            destination="a@example.org" if channel == "email" else "partner:1",
            subject=f"case:{key}",
            kind="k",
            idempotency_key=key,
            state=state,
            created_at=old,
            sent_at=sent_at,
        )

    message("old-sent", State.SENT, sent_at=old)
    extension = message("old-extension", State.SENT, channel="partner", sent_at=old)
    message("recent-sent", State.SENT, sent_at=recent)
    message("old-failed", State.FAILED)
    message("old-retrying", State.RETRYING)
    request = ExtensionRequest.objects.create(
        case=CaseFactory(grid=places.cg1), message=extension, answered_at=old
    )
    assert remove_old_sent() == 2
    assert sorted(Message.objects.values_list("idempotency_key", flat=True)) == [
        "old-failed",
        "old-retrying",
        "recent-sent",
    ]
    request.refresh_from_db()  # the request and its answer stay, without their message
    assert request.message_id is None and request.answered_at == old


@pytest.mark.django_db(transaction=True)
def test_no_message_is_sent_inside_a_transaction(places, personas, platform):
    partner = keys.create_partner(
        personas.street_staff, places.street, "热线", PartnerKind.HOTLINE, platform.status_url
    )
    platform.secret = partner.webhook_secret
    case = hotline_case(Client(), partner, "GD2026120700003")
    accept(case, personas.officer_chunguang)
    message = Message.objects.get()
    with pytest.raises(RuntimeError, match="no transaction open"), transaction.atomic():
        deliver(message.pk)
    assert platform.deliveries == []
    assert Message.objects.get().attempts == 0  # the claim went with the transaction
    assert deliver(message.pk) == State.SENT


def test_a_dead_email_holds_back_no_later_notice_and_its_owner_sees_it(
    client, places, personas, settings
):
    """A partner's dead letter holds its order; an address that refuses mail does not: the
    person's next notice about the same case still goes, and their channel page says which
    notice could not be sent, to which address, and why."""
    officer = personas.officer_chunguang
    officer.email = "gone@example.org"
    officer.save()
    settings.OUTBOX_MAX_ATTEMPTS = 1
    with socket.socket() as probe:  # a port nobody listens on: the mail server is unreachable
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port, "timeout": 2},
        }
    }
    case = CaseFactory(grid=places.cg1, response_deadline=timezone.now() - timedelta(hours=1))
    reminders.scan()  # "not accepted in time": an e-mail to the officer
    first = Message.objects.get(destination="gone@example.org")
    assert deliver(first.pk) == State.FAILED
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    later = enqueue(
        "email", "gone@example.org", first.subject, "later", {"title": "再次提醒"}, "later-1"
    )
    assert deliver(later.pk) == State.SENT
    assert [m.subject for m in mail.outbox] == ["再次提醒"]

    client.force_login(officer)
    page = client.get("/notifications/settings/").content.decode()
    assert 'data-testid="undelivered"' in page
    said = re.sub(r"<[^>]+>", "", page)  # its tracking code is kept on one line by a span
    assert "gone@example.org" in page and first.payload["title"] in said
    assert case.tracking_code not in first.last_error  # the error is the mail server's

    client.force_login(personas.officer_funan)
    other = client.get("/notifications/settings/").content.decode()
    assert 'data-testid="undelivered"' not in other
