"""Reminder rules, exactly-once bookkeeping, the bell, channels and the overdue page."""

from datetime import datetime, timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from cases.inputs import Ownership
from cases.models import State, Task
from cases.workflow import perform
from common.workdays import add_working_days
from meetings.models import Meeting, Participant
from notifications import dispatch
from notifications.models import ChannelChoice, Notification
from outbox import dispatch as outbox
from outbox.models import Message
from outbox.models import State as Sending
from tests.factories import CaseFactory, UnitLeaderFactory
from tests.moves import by_form

pytestmark = pytest.mark.django_db


def at(text):
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2025-09-30 10:00", 1, "2025-10-09 10:00"),  # National Day holidays skipped
        ("2025-09-27 10:00", 1, "2025-09-28 10:00"),  # a Sunday make-up working day (调休)
        ("2025-10-10 18:00", 1, "2025-10-11 18:00"),  # Saturday 11th is a make-up day
        ("2026-11-27 09:00", 7, "2026-12-08 09:00"),  # Friday plus seven working days
    ],
)
def test_working_days_follow_the_chinese_calendar(start, days, expected):
    assert add_working_days(at(start), days) == at(expected)


@pytest.fixture
def late_case(places, personas):
    personas.officer_chunguang.email = "chunguang@example.org"
    personas.officer_chunguang.save()
    return CaseFactory(grid=places.cg1, response_deadline=timezone.now() - timedelta(hours=1))


@pytest.mark.calendar
def test_a_case_not_accepted_in_time_reminds_its_communitys_officers_once(personas, late_case):
    first = dispatch.scan()
    again = dispatch.scan()
    reminder = Notification.objects.get()
    assert (reminder.rule, reminder.user) == ("unaccepted", personas.officer_chunguang)
    assert late_case.tracking_code in reminder.title
    assert first["created"] == 1 and again["created"] == 0
    message = Message.objects.get()
    assert (message.channel, message.destination) == ("email", "chunguang@example.org")
    assert (message.subject, message.kind) == (f"case:{late_case.pk}", "unaccepted")
    assert outbox.deliver(message.pk) == Sending.SENT and outbox.deliver(message.pk) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == (
        f"<notification-{reminder.pk}-email@youjie.local>"
    )
    assert reverse("cases:detail", args=[late_case.pk]) in mail.outbox[0].body


@pytest.mark.calendar
def test_tasks_due_soon_and_overdue_remind_the_owner_and_the_case_owner(places, personas):
    case = CaseFactory(grid=places.cg1, state=State.IN_PROGRESS, owner=personas.officer_chunguang)
    water = UnitLeaderFactory(unit__building=places.buildings[places.cg1], phone="13900001111")
    today = timezone.localdate()
    Task.objects.create(
        case=case,
        title="临时供水",
        owner_user=personas.worker_cg1,
        due_date=today + timedelta(days=1),
        created_by=personas.officer_chunguang,
    )
    Task.objects.create(
        case=case,
        title="代收费用",
        owner_contact=water,
        due_date=today - timedelta(days=2),
        created_by=personas.officer_chunguang,
    )
    dispatch.scan()
    soon = Notification.objects.filter(rule="task_due_soon")
    assert {n.user for n in soon} == {personas.worker_cg1, personas.officer_chunguang}
    late = Notification.objects.filter(rule="task_overdue")
    assert {n.recipient_key for n in late} == {
        f"user:{personas.officer_chunguang.pk}",
        f"contact:{water.pk}",
    }
    sms = Message.objects.get(channel="sms")
    assert sms.destination == "13900001111"


@pytest.mark.calendar
def test_a_follow_up_due_reminds_the_grid_worker(places, personas):
    case = CaseFactory(
        grid=places.cg1, state=State.RESOLVED, follow_up_due=timezone.now() - timedelta(minutes=5)
    )
    dispatch.scan()
    reminder = Notification.objects.get()
    assert (reminder.rule, reminder.user) == ("follow_up", personas.worker_cg1)
    assert case.tracking_code in reminder.title


@pytest.mark.calendar
def test_a_reminder_whose_visit_is_made_leaves_the_bells_unread_count(places, personas, login):
    """The grid worker visits the resident the reminder was about: the bell no longer counts
    it (the list keeps it, read); another case's reminder still counts."""
    visited, waiting = (
        CaseFactory(
            grid=places.cg1,
            state=State.RESOLVED,
            follow_up_due=timezone.now() - timedelta(minutes=5),
        )
        for _ in range(2)
    )
    dispatch.scan()
    worker = personas.worker_cg1
    assert worker.notifications.filter(read_at__isnull=True).count() == 2
    visit = {"verify-satisfaction": "satisfied", "verify-note": "上门看过，水龙头不滴了"}
    by_form(worker, visited.pk, "verify", visit)
    unread = worker.notifications.filter(read_at__isnull=True)
    assert list(unread.values_list("object_key", flat=True)) == [f"case:{waiting.pk}"]
    page = login(worker).get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">1<' in page


@pytest.mark.calendar
def test_a_meeting_tomorrow_reminds_every_invited_participant(places, personas):
    tomorrow = timezone.localtime() + timedelta(days=1)
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="monthly",
        starts_at=tomorrow.replace(hour=9, minute=30),
        venue_kind="room",
    )
    leader = places.leaders[places.fn1]
    Participant.objects.create(
        meeting=meeting, kind="grid_worker", user=personas.officer_funan, name="x"
    )
    Participant.objects.create(
        meeting=meeting, kind="unit_leader", contact=leader, name=leader.name
    )
    dispatch.scan()
    assert set(Notification.objects.values_list("recipient_key", flat=True)) == {
        f"user:{personas.officer_funan.pk}",
        f"contact:{leader.pk}",
    }


def test_the_users_channel_choice_decides_the_messages(personas, late_case):
    ChannelChoice.objects.create(
        user=personas.officer_chunguang, email=False, sms=True, phone="13800002222"
    )
    dispatch.scan()
    assert list(Message.objects.values_list("channel", "destination")) == [("sms", "13800002222")]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_queued_in_a_rolled_back_transaction_is_never_sent(personas, late_case):
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("celery")
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.scan()
        raise RuntimeError("the request failed")
    assert queue.llen("celery") == 0 and not Notification.objects.exists()
    dispatch.scan()
    assert queue.llen("celery") == 1  # committed this time: queued once, on the real broker
    queue.delete("celery")


@pytest.mark.django_db(transaction=True)
def test_a_message_lost_from_the_broker_is_sent_by_the_outboxs_scan(personas, late_case):
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("celery")
    dispatch.scan()
    dispatch.scan()
    assert queue.llen("celery") == 1  # written once, queued once
    queue.delete("celery")  # lost from the broker
    assert outbox.deliver_due() == 1 and len(mail.outbox) == 1
    assert outbox.deliver_due() == 0
    assert Message.objects.get().state == Sending.SENT


# The bell, the list and channels -----------------------------------------------------------
def test_the_bell_counts_unread_and_opening_marks_read(personas, login, late_case):
    dispatch.scan()
    client = login(personas.officer_chunguang)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    reminder = Notification.objects.get()
    response = client.post(reverse("notifications:open", args=[reminder.pk]))
    assert response["Location"] == reverse("cases:detail", args=[late_case.pk])
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()
    other = login(personas.officer_funan)
    assert other.post(reverse("notifications:open", args=[reminder.pk])).status_code == 404
    assert reminder.title not in other.get(reverse("notifications:list")).content.decode()


def test_mark_all_read(personas, login, late_case):
    dispatch.scan()
    client = login(personas.officer_chunguang)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"sms": "on"}, "短信需要手机号"), ({"sms": "on", "phone": "0472-1234567"}, "11 位")],
)
def test_bad_channel_choices_are_refused(personas, login, data, message):
    response = login(personas.worker_cg1).post(reverse("notifications:settings"), data)
    assert response.status_code == 400 and message in response.content.decode()


# The overdue page ---------------------------------------------------------------------------
@pytest.mark.calendar
def test_the_overdue_page_shows_what_the_reminders_say_in_the_users_places(
    places, personas, login, late_case
):
    theirs = CaseFactory(grid=places.fn1, response_deadline=timezone.now() - timedelta(hours=2))
    page = login(personas.officer_chunguang).get(reverse("notifications:overdue")).content.decode()
    assert late_case.tracking_code in page and theirs.tracking_code not in page
    street = login(personas.street_staff).get(reverse("notifications:overdue")).content.decode()
    assert late_case.tracking_code in street and theirs.tracking_code in street
    assert login(personas.worker_cg1).get(reverse("notifications:overdue")).status_code == 404


@pytest.mark.calendar
def test_deadlines_count_the_streets_working_days(places, personas, login):
    places.street.follow_up_working_days = 3
    places.street.save()
    case = CaseFactory(grid=places.cg1, state=State.IN_PROGRESS, owner=personas.officer_chunguang)

    officer = personas.officer_chunguang
    by_form(
        officer,
        case.pk,
        "resolve",
        {
            "resolve-outcome": "resolved",
            "resolve-note": "修好",
            "resolve-explanation_method": "phone",
            "resolve-explanation": "电话告知",
        },
    )
    case.refresh_from_db()
    assert case.follow_up_due == add_working_days(case.resolved_at, 3)


# Sending with no lock held -----------------------------------------------------------------
class WatchingSmsBackend:
    """An SMS gateway that looks, while it is called, at what the worker holds."""

    seen = []

    def send(self, phone, text, message_id):
        from django.db import connection, connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:  # another worker: is the row free right now?
                cursor.execute(
                    "SELECT state, attempts FROM outbox_message WHERE destination = %s "
                    "FOR UPDATE NOWAIT",
                    [phone],
                )
                state = cursor.fetchone()
        finally:
            other.close()
        WatchingSmsBackend.seen.append((phone, connection.in_atomic_block, state))


@pytest.mark.django_db(transaction=True)
def test_a_message_goes_out_with_no_transaction_open_and_no_row_locked(
    personas, late_case, settings
):
    settings.SMS_BACKEND = "tests.test_reminders.WatchingSmsBackend"
    WatchingSmsBackend.seen = []
    ChannelChoice.objects.create(
        user=personas.officer_chunguang, email=False, sms=True, phone="13800002222"
    )
    dispatch.scan()
    message = Message.objects.get()
    assert outbox.deliver(message.pk) == Sending.SENT
    # While the gateway was talking, the row was claimed (its first attempt) but not locked.
    assert WatchingSmsBackend.seen == [("13800002222", False, ("pending", 1))]
    assert outbox.deliver(message.pk) is None  # sent once
    assert Message.objects.get().state == Sending.SENT
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")


@pytest.mark.django_db(transaction=True)
def test_a_claim_left_by_a_killed_worker_is_sent_once_after_its_lease(personas, late_case):
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    dispatch.scan()
    message = Message.objects.get()
    claimed = outbox.claim(message.pk)  # the worker dies here, before sending
    assert claimed is not None
    assert outbox.deliver(message.pk) is None  # still leased: nobody else sends it
    assert outbox.deliver_due() == 0
    assert len(mail.outbox) == 0
    lease = settings.OUTBOX_TIMEOUT_SECONDS * 3 + 30
    with time_machine.travel(timezone.now() + timedelta(seconds=lease + 1), tick=True):
        assert outbox.deliver_due() == 1  # the lease ended: the scan sends it
        assert outbox.deliver(message.pk) is None
    assert [m.to for m in mail.outbox] == [[message.destination]]
    assert Message.objects.get().attempts == 2
    queue.delete("celery")


@pytest.mark.django_db(transaction=True)
def test_an_email_waits_behind_an_earlier_one_to_the_same_person_about_the_same_case(
    places, personas, settings
):
    """Order per destination and subject holds for e-mail as for the hotline: while the first
    notice about a case retries, a later one to the same person about that case waits."""
    settings.MAILERS = {"default": {"BACKEND": "tests.test_reminders.FlakyMailBackend"}}
    officer, worker = personas.officer_chunguang, personas.worker_cg1
    worker.email = "worker@example.org"
    worker.save()
    case = CaseFactory(grid=places.cg1)
    scope = Scope.for_user(officer)
    FlakyMailBackend.down = True
    deadline = timezone.now() + timedelta(days=2)
    perform(scope, officer, case.pk, "accept", Ownership(worker, deadline))  # "it is yours"
    first = Message.objects.get()
    assert outbox.deliver(first.pk) == Sending.RETRYING
    assert "the mail server is down" in Message.objects.get().last_error
    FlakyMailBackend.down = False
    later = deadline + timedelta(days=1)
    perform(scope, officer, case.pk, "assign", Ownership(worker, later))  # a new deadline
    second = Message.objects.exclude(pk=first.pk).get()
    assert (second.destination, second.subject) == (first.destination, f"case:{case.pk}")
    assert outbox.deliver(second.pk) is None and outbox.deliver_due() == 0
    assert mail.outbox == []  # the second waits behind the first
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert outbox.deliver_due() == 1  # the first, past its backoff
        assert outbox.deliver_due() == 1  # then the second
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        f"<{first.idempotency_key}@youjie.local>",
        f"<{second.idempotency_key}@youjie.local>",
    ]
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")


class FlakyMailBackend(locmem.EmailBackend):
    """The test's mail server: refuses every message while `down`."""

    down = False

    def send_messages(self, messages):
        if FlakyMailBackend.down:
            raise ConnectionRefusedError("the mail server is down")
        return super().send_messages(messages)
