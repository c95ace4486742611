"""Every "told" is true: each event tells the people it concerns, once, and never the actor.

Who got what is read from the bell rows (Notification) and their messages in the outbox; an
outside contact hears by SMS. A move sent twice tells no one twice; a rolled-back move tells
no one at all, and queues nothing on the broker.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone, translation

from accounts.scope import Scope
from cases import workflow
from cases.inputs import EscalationAnswer, NewTask, Ownership
from cases.models import Case, State
from grids.models import Contact, ContactKind
from meetings import workflow as meeting_workflow
from meetings.inputs import Invitation
from meetings.models import AgendaItem, Meeting, MeetingChange
from meetings.public import public_url, read_token
from notifications.models import ChannelChoice, Notification
from outbox.dispatch import deliver
from outbox.models import Message
from outbox.models import State as Sending
from tests.factories import CaseFactory, attendees
from tests.outbox_helpers import messages_of

pytestmark = pytest.mark.django_db


def told(rule):
    """{recipient: sorted (channel, address)} of one kind of event."""
    return {
        n.recipient_key: sorted(messages_of(n).values_list("channel", "destination"))
        for n in Notification.objects.filter(rule=rule)
    }


def user(person):
    return f"user:{person.pk}"


@pytest.fixture
def reachable(personas):
    """The worker wants email and SMS; the officer and the street's staff email only."""
    for person in (personas.worker_cg1, personas.officer_chunguang, personas.street_staff):
        person.email = f"{person.username}@example.cn"
        person.save()
    ChannelChoice.objects.create(
        user=personas.worker_cg1, email=True, sms=True, phone="13800001111"
    )
    return personas


@pytest.fixture
def tap(places, personas):
    return CaseFactory(grid=places.cg1, created_by=personas.worker_cg1)


def soon(days=2):
    return timezone.now() + timedelta(days=days)


# Assigning a case --------------------------------------------------------------------------
def test_assigning_a_case_tells_its_new_owner_by_bell_email_and_sms_once(reachable, tap):
    officer, worker = reachable.officer_chunguang, reachable.worker_cg1
    scope = Scope.for_user(officer)
    deadline = soon()
    workflow.perform(scope, officer, tap.pk, "accept", Ownership(worker, deadline))
    expected = {
        user(worker): [("email", "worker_cg1@example.cn"), ("sms", "13800001111")],
    }
    assert told("case_assigned") == expected
    note = Notification.objects.get(rule="case_assigned")
    assert tap.tracking_code in note.title and note.url == reverse("cases:detail", args=[tap.pk])
    # The same assignment sent again tells no one again; a new owner is told.
    workflow.perform(scope, officer, tap.pk, "assign", Ownership(worker, deadline))
    assert told("case_assigned") == expected
    workflow.perform(scope, officer, tap.pk, "assign", Ownership(officer, deadline))
    assert told("case_assigned") == expected  # the officer took it: nobody else to tell


def test_the_new_owner_reads_the_sites_language_whatever_the_actor_reads(reachable, tap):
    officer, worker = reachable.officer_chunguang, reachable.worker_cg1
    with translation.override("en"):
        workflow.perform(
            Scope.for_user(officer), officer, tap.pk, "accept", Ownership(worker, soon())
        )
    assert "已交由您办理" in Notification.objects.get(rule="case_assigned").title


def test_accepting_a_case_for_oneself_tells_no_one(reachable, tap):
    officer = reachable.officer_chunguang
    workflow.perform(Scope.for_user(officer), officer, tap.pk, "accept", Ownership(officer, soon()))
    assert not Notification.objects.exists()


# Escalation (督办) ---------------------------------------------------------------------------
@pytest.fixture
def overdue(tap, personas):
    Case.objects.filter(pk=tap.pk).update(
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        response_deadline=timezone.now() - timedelta(hours=1),
    )
    return tap


def test_an_escalation_tells_the_streets_staff_only(reachable, login, overdue):
    worker = login(reachable.worker_cg1)
    url = reverse("cases:escalate", args=[overdue.pk])
    assert worker.post(url, {"escalate-reason": "一天没人接单"}).status_code == 302
    assert worker.post(url, {"escalate-reason": "再催"}).status_code == 409
    # Street staff of 万青路街道, not of 友谊街道; not the worker who raised it.
    assert told("escalated") == {
        user(reachable.street_staff): [("email", "street_staff@example.cn")]
    }
    note = Notification.objects.get(rule="escalated")
    assert overdue.tracking_code in note.title and "一天没人接单" in note.body


def test_the_streets_answer_tells_who_raised_it_and_the_case_owner(reachable, login, overdue):
    login(reachable.worker_cg1).post(
        reverse("cases:escalate", args=[overdue.pk]), {"escalate-reason": "一天没人接单"}
    )
    escalation = overdue.escalations.get()
    url = reverse("cases:escalation_answer", args=[overdue.pk, escalation.pk])
    new_deadline = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    answer = {"answer-comment": "请社区今天接单", "answer-new_deadline": new_deadline}
    staff = login(reachable.street_staff)
    assert staff.post(url, answer).status_code == 302
    assert staff.post(url, answer).status_code == 409  # answered once
    assert told("escalation_answered") == {
        user(reachable.worker_cg1): [("email", "worker_cg1@example.cn"), ("sms", "13800001111")],
        user(reachable.officer_chunguang): [("email", "officer_chunguang@example.cn")],
    }
    answers = Notification.objects.filter(rule="escalation_answered", body="请社区今天接单")
    assert answers.count() == 2


# Tasks -------------------------------------------------------------------------------------
@pytest.fixture
def decided(tap, personas):
    Case.objects.filter(pk=tap.pk).update(state=State.DECIDED, owner=personas.officer_chunguang)
    return tap


def test_a_task_on_the_case_page_tells_its_owner(reachable, login, decided):
    client = login(reachable.officer_chunguang)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    for owner in (reachable.worker_cg1, reachable.officer_chunguang):
        response = client.post(
            reverse("cases:task_add", args=[decided.pk]),
            {"task-title": "更换锈蚀管道", "task-owner_user": owner.pk, "task-due_date": due},
        )
        assert response.status_code == 302
    # The worker's task tells the worker; the officer's own task tells no one.
    assert told("task_assigned") == {
        user(reachable.worker_cg1): [("email", "worker_cg1@example.cn"), ("sms", "13800001111")]
    }
    note = Notification.objects.get(rule="task_assigned")
    assert "更换锈蚀管道" in note.title and due in note.title


def test_a_task_for_an_outside_contact_goes_by_sms(places, reachable, decided, capsys):
    leader = places.leaders[places.cg1]  # 单元长, phone 138…
    officer = reachable.officer_chunguang
    workflow.add_task(
        Scope.for_user(officer),
        officer,
        decided.pk,
        NewTask("收取维修费", timezone.localdate() + timedelta(days=5), owner_contact=leader),
    )
    assert told("task_assigned") == {f"contact:{leader.pk}": [("sms", leader.phone)]}
    message = Message.objects.get()
    # A unit leader has no login: no link to the case's staff page, which would ask for one.
    assert "/cases/" not in message.payload["url"] and message.payload["url"] == ""
    assert deliver(message.pk) == Sending.SENT and deliver(message.pk) is None
    sent = capsys.readouterr().out
    assert f"SMS to {leader.phone}" in sent and "/cases/" not in sent and "收取维修费" in sent


def meeting_now(places, officer):
    """春光社区's meeting, under way now in its meeting room."""
    return Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        starts_at=timezone.now(),
        host=officer,
        address="会议室",
    )


def test_a_contacts_task_decided_in_a_meeting_links_the_meetings_public_page(places, reachable):
    leader = places.leaders[places.cg1]
    officer = reachable.officer_chunguang
    case = CaseFactory(grid=places.cg1, state=State.DECIDED, owner=officer)
    meeting = meeting_now(places, officer)
    task = NewTask(
        "通知居民停水时间", timezone.localdate() + timedelta(days=5), owner_contact=leader
    )
    workflow.add_task(
        Scope.for_user(officer), officer, case.pk, task, meeting={"meeting": meeting.pk}
    )
    message = Message.objects.get(kind="task_assigned")
    # A link signed a second later reads differently; both open the same meeting, as long.
    assert opened_by(message.payload["url"]) == opened_by(public_url(meeting))


def opened_by(url):
    """The meeting a public link opens and until when: what its signed token says."""
    return read_token(resolve(urlsplit(url).path).kwargs["token"])


def test_tasks_decided_in_a_meeting_tell_their_owners(places, reachable, login):
    officer, worker = reachable.officer_chunguang, reachable.worker_cg1
    case = CaseFactory(grid=places.cg1, state=State.PROPOSED, owner=officer)
    meeting = meeting_now(places, officer)
    client = login(officer)
    client.post(reverse("meetings:action", args=[meeting.pk, "agenda"]), {"cases": [case.pk]})
    assert client.post(reverse("meetings:action", args=[meeting.pk, "open"])).status_code == 302
    item = AgendaItem.objects.get()
    attendees(meeting)  # only those present vote
    p = f"item{item.pk}"
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = {
        f"{p}-discussion": "讨论",
        f"{p}-plan": "换管道",
        f"{p}-votes_for": "5",
        f"{p}-votes_against": "0",
        f"{p}-votes_abstain": "0",
        f"{p}-responsible": "社区",
        f"{p}-public_wording": "换管道",
        f"{p}-task0-title": "换管道",
        f"{p}-task0-owner_user": worker.pk,
        f"{p}-task0-due_date": due,
    }
    url = reverse("meetings:item_action", args=[meeting.pk, item.pk, "decide"])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 409  # decided once
    assert told("task_assigned") == {
        user(worker): [("email", "worker_cg1@example.cn"), ("sms", "13800001111")]
    }


# Meetings ----------------------------------------------------------------------------------
def test_an_emergency_session_tells_its_people_as_its_message_says(places, reachable, login):
    officer, worker = reachable.officer_chunguang, reachable.worker_cg1
    leader = places.leaders[places.cg1]
    pipe = CaseFactory(
        grid=places.cg1,
        building=leader.unit.building,
        unit=leader.unit,
        urgency="urgent",
        state=State.ACCEPTED,
        owner=officer,
    )
    landline = Contact.objects.create(
        street=places.street,
        community=places.chunguang,
        kind=ContactKind.PROPERTY_MANAGER,
        name="物业李经理",
        phone="0472-5123456",
    )
    client = login(officer)
    data = {
        "emergency-day": "today",
        "emergency-at": timezone.localtime().strftime("%H:%M"),
        "emergency-venue_kind": "on_site",
        "emergency-address": "1号楼下",
    }
    response = client.post(reverse("meetings:emergency", args=[pipe.pk]), data, follow=True)
    # The grid worker by bell and channels, the unit leader by SMS; not the officer calling it.
    # Each hears once: the invitation that names the case (and its resident, when and where).
    assert told("meeting_agenda") == {
        user(worker): [("email", "worker_cg1@example.cn"), ("sms", "13800001111")],
        f"contact:{leader.pk}": [("sms", leader.phone)],
        f"resident:{pipe.pk}": [("sms", pipe.resident_phone)],
    }
    assert told("meeting_invitation") == {}
    assert "已通知 2 名参会人员" in response.content.decode()
    meeting = Meeting.objects.get()
    # The property manager has only a landline: invited, and shown as not notified.
    assert meeting.participants.get(contact=landline).notified_at is None
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "物业李经理" in page and page.count('data-testid="not-notified"') == 1
    note = Notification.objects.get(rule="meeting_agenda", user=worker)
    assert note.title.startswith("参会邀请") and pipe.tracking_code in note.title
    assert "1号楼下" in note.title and places.chunguang.name in note.title
    # An emergency session's notices leave at once.
    assert all(m.next_attempt_at <= timezone.now() for m in Message.objects.all())
    # Inviting again tells only people not told yet: nobody here.
    invite = {"invite-kinds": ["grid_worker", "unit_leader"]}
    client.post(reverse("meetings:action", args=[meeting.pk, "invite"]), invite)
    assert Notification.objects.count() == 3


def test_inviting_to_a_monthly_session_tells_the_invited(places, reachable, login):
    officer = reachable.officer_chunguang
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        starts_at=timezone.now() + timedelta(days=5),
        host=officer,
        address="会议室",
    )
    response = login(officer).post(
        reverse("meetings:action", args=[meeting.pk, "invite"]),
        {"invite-kinds": ["grid_worker"]},
    )
    assert response.status_code == 302
    assert set(told("meeting_invitation")) == {
        user(reachable.worker_cg1),
        user(reachable.worker_cg2),
    }
    assert not meeting.participants.filter(notified_at__isnull=True).exists()


# Transactions ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_move_tells_no_one_and_a_committed_one_is_queued_once(reachable, tap):
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("celery")
    officer, worker = reachable.officer_chunguang, reachable.worker_cg1
    scope = Scope.for_user(officer)
    deadline = soon()
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.perform(scope, officer, tap.pk, "accept", Ownership(worker, deadline))
        raise RuntimeError("the request failed")
    assert not Notification.objects.exists() and queue.llen("celery") == 0
    workflow.perform(scope, officer, tap.pk, "accept", Ownership(worker, deadline))
    assert queue.llen("celery") == 2  # email and SMS, queued on commit
    workflow.perform(scope, officer, tap.pk, "assign", Ownership(worker, deadline))
    assert queue.llen("celery") == 2 and Notification.objects.count() == 1
    queue.delete("celery")


def test_an_answer_with_a_refused_deadline_tells_no_one(reachable, overdue):
    worker, staff = reachable.worker_cg1, reachable.street_staff
    escalation = workflow.escalate(Scope.for_user(worker), worker, overdue.pk, "太慢")
    with pytest.raises(workflow.MoveRefused):
        workflow.answer_escalation(
            Scope.for_user(staff),
            staff,
            overdue.pk,
            escalation.pk,
            EscalationAnswer("好", timezone.now() - timedelta(days=1)),
        )
    assert not Notification.objects.filter(rule="escalation_answered").exists()


def test_a_meeting_invitation_is_written_with_the_meeting(places, reachable):
    """mark_notified is the one way an invitation is marked sent: it always tells."""
    officer = reachable.officer_chunguang
    meeting = Meeting.objects.create(
        street=places.street, community=places.chunguang, starts_at=soon(3), host=officer
    )
    meeting_workflow._invite(meeting, ["grid_worker"])
    assert meeting_workflow.mark_notified(meeting, officer) == 2
    assert meeting_workflow.mark_notified(meeting, officer) == 0
    assert Notification.objects.filter(rule="meeting_invitation").count() == 2


def test_an_invitation_is_recorded_and_a_rolled_back_one_tells_no_one(places, reachable):
    officer = reachable.officer_chunguang
    meeting = Meeting.objects.create(
        street=places.street, community=places.chunguang, starts_at=soon(3), host=officer
    )
    scope, workers = Scope.for_user(officer), Invitation(kinds=("grid_worker",))
    with pytest.raises(RuntimeError), transaction.atomic():
        meeting_workflow.invite(scope, officer, meeting.pk, workers)
        raise RuntimeError("the request failed")
    assert not Notification.objects.exists() and not Message.objects.exists()
    assert meeting_workflow.invite(scope, officer, meeting.pk, workers) == 2
    assert MeetingChange.objects.get(meeting=meeting, what="invited").details == {"people": 2}
    assert set(told("meeting_invitation")) == {
        user(reachable.worker_cg1),
        user(reachable.worker_cg2),
    }
