"""Whoever a case on a meeting's agenda concerns is told when and where it is deliberated: the
grid worker (bell and channels), the unit leader and the resident who raised it (SMS, with a
link to the meeting's public page, which needs no login and names nobody)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from cases.models import Case
from cases.retention import anonymise
from cases.workflow import MoveRefused
from meetings import workflow as meeting_workflow
from meetings.models import Kind, Meeting
from meetings.public import public_url
from notifications import dispatch
from notifications.models import Notification
from outbox.dispatch import deliver
from outbox.models import Message, State
from tests.factories import CaseFactory
from tests.outbox_helpers import messages_of, notices

pytestmark = pytest.mark.django_db


def monthly_session(places, personas, days_ahead):
    return Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        kind=Kind.MONTHLY,
        starts_at=timezone.now() + timedelta(days=days_ahead),
        venue_kind="room",
        address="春光社区居委会二楼",
        host=personas.officer_chunguang,
        created_by=personas.officer_chunguang,
    )


@pytest.fixture
def session(places, personas):
    return monthly_session(places, personas, 3)


@pytest.fixture
def tap(places, personas):
    leader = places.leaders[places.cg1]
    return CaseFactory(
        grid=places.cg1,
        building=leader.unit.building,
        unit=leader.unit,
        state="proposed",
        resident_name="王大妈",
        resident_phone="13912340000",
        description="三号楼水龙头漏水，王大妈 13912340000",
    )


def put_on_agenda(personas, session, case):
    officer = personas.officer_chunguang
    meeting_workflow.add_to_agenda(Scope.for_user(officer), officer, session.pk, [case.pk])


def sent_sms(capsys, message):
    """The message sent once it may leave: a notice of cases going to a monthly session
    waits a few minutes in the outbox for what else concerns its person there."""
    message.refresh_from_db()
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
        assert deliver(message.pk) == State.SENT
    return capsys.readouterr().out


def test_the_grid_worker_the_unit_leader_and_the_resident_are_told(
    places, personas, session, tap, capsys
):
    worker, leader = personas.worker_cg1, places.leaders[places.cg1]
    worker.email = "worker_cg1@example.cn"
    worker.save()
    put_on_agenda(personas, session, tap)
    notes = {n.recipient_key: n for n in Notification.objects.filter(rule="meeting_agenda")}
    assert set(notes) == {f"user:{worker.pk}", f"contact:{leader.pk}", f"resident:{tap.pk}"}
    when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    for note in notes.values():
        assert tap.tracking_code in note.title and when in note.title
        assert "春光社区居委会二楼" in note.title  # the place, for an SMS read without the link
    # The worker reads the meeting's page; the others a page that needs no login.
    assert notes[f"user:{worker.pk}"].url == reverse("meetings:detail", args=[session.pk])
    assert notes[f"resident:{tap.pk}"].url.startswith("/r/m/")
    messages = {m.destination: m for m in notices()}
    assert set(messages) == {"worker_cg1@example.cn", leader.phone, "13912340000"}
    text = sent_sms(capsys, messages["13912340000"])
    assert "SMS to 13912340000" in text and "/r/m/" in text
    # Sent again, the agenda is refused and nobody is told twice.
    with pytest.raises(MoveRefused):
        put_on_agenda(personas, session, tap)
    assert Notification.objects.filter(rule="meeting_agenda").count() == 3


def test_the_public_page_shows_the_time_the_place_and_the_matters_and_nobody(
    places, personas, session, tap
):
    put_on_agenda(personas, session, tap)
    page = Client().get(public_url(session))
    assert page.status_code == 200
    html = page.content.decode()
    assert "春光社区" in html and "春光社区居委会二楼" in html and "水电气暖" in html
    assert "1号楼" in html
    assert "13912340000" not in html and "王大妈" not in html and "漏水" not in html


def test_the_public_page_says_whether_the_meeting_is_to_come_under_way_or_over(
    places, personas, session, tap
):
    put_on_agenda(personas, session, tap)
    url, client = public_url(session), Client()
    phases = {
        "scheduled": "欢迎居民参加",
        "held": "会议正在进行，欢迎居民参加",
        "approved": "会议已经召开，决定由社区在公示栏张贴公布",
        "closed": "会议已经召开，决定由社区在公示栏张贴公布",
    }
    for state, words in phases.items():
        session.state = state
        session.save()
        page = client.get(url).content.decode()
        assert words in page, state
        if state in ("approved", "closed"):
            assert "欢迎居民参加" not in page
    english = client.get(url, headers={"cookie": "django_language=en"}).content.decode()
    assert "This meeting has taken place" in english
    assert "Water, power, gas and heating" in english and "水电气暖" not in english


def test_the_public_link_expires_the_day_after_and_cannot_be_forged(places, personas, session, tap):
    url = public_url(session)
    token = url.rstrip("/").rsplit("/", 1)[1]
    client = Client()
    assert client.get(url.replace(token, token[:-2] + "xx")).status_code == 404
    assert client.get("/r/m/%00/").status_code in (400, 404)
    with time_machine.travel(session.starts_at + timedelta(hours=23)):
        assert client.get(url).status_code == 200
    with time_machine.travel(session.starts_at + timedelta(days=1, minutes=1)):
        assert client.get(url).status_code == 410
    session.state = "cancelled"
    session.save()
    assert client.get(url).status_code == 410


def test_an_invited_unit_leader_gets_the_public_link_not_the_staff_page(
    places, personas, session, tap, capsys
):
    """The unit leader's invitation is the notice that names his unit's case, with the link
    that needs no login; inviting the unit leaders by role afterwards tells him nothing more."""
    from meetings.inputs import Invitation

    officer, leader = personas.officer_chunguang, places.leaders[places.cg1]
    put_on_agenda(personas, session, tap)
    meeting_workflow.invite(
        Scope.for_user(officer), officer, session.pk, Invitation(kinds=("unit_leader",))
    )
    [note] = Notification.objects.filter(recipient_key=f"contact:{leader.pk}")
    assert note.rule == "meeting_agenda" and note.title.startswith("参会邀请")
    assert note.url.startswith("/r/m/")
    assert Client().get(note.url).status_code == 200


def test_anonymising_the_case_takes_the_residents_mobile_from_the_notices_and_the_outbox(
    places, personas, session, tap, capsys
):
    put_on_agenda(personas, session, tap)
    resident = Notification.objects.get(recipient_key=f"resident:{tap.pk}")
    sms = messages_of(resident).get()
    assert (sms.channel, sms.destination) == ("sms", "13912340000")
    sent_sms(capsys, sms)
    tap.state = "verified"
    tap.save()
    anonymise([tap.pk], user=personas.street_staff, reason="居民申请")
    resident.refresh_from_db()
    assert resident.phone == ""
    sms.refresh_from_db()
    assert sms.state == State.SENT and sms.destination == ""  # what went out keeps no number
    assert not Message.objects.filter(destination="13912340000").exists()


def test_an_sms_to_an_anonymised_resident_not_sent_yet_never_goes(places, personas, session, tap):
    put_on_agenda(personas, session, tap)
    resident = Notification.objects.get(recipient_key=f"resident:{tap.pk}")
    assert messages_of(resident).get().state == State.PENDING
    tap.state = "verified"
    tap.save()
    anonymise([tap.pk], user=personas.street_staff, reason="居民申请")
    assert not messages_of(resident).exists()
    assert not Message.objects.filter(destination="13912340000").exists()


# Told and invited: whom a case on the agenda concerns is on the meeting's list ------------
def test_whom_a_case_on_the_agenda_concerns_is_invited_to_the_meeting(
    places, personas, session, tap, login
):
    """The grid worker and the unit leader told that the case is deliberated are invited by
    that notice, so their attendance can be recorded: one notice each, not a second
    invitation; the resident is told and not listed."""
    worker, leader = personas.worker_cg1, places.leaders[places.cg1]
    put_on_agenda(personas, session, tap)
    assert not Notification.objects.filter(rule="meeting_invitation").exists()
    invited = {
        n.recipient_key: n.title
        for n in Notification.objects.filter(rule="meeting_agenda", title__startswith="参会邀请")
    }
    assert set(invited) == {f"user:{worker.pk}", f"contact:{leader.pk}"}
    assert all(title.endswith(f"讨论：{tap.tracking_code}") for title in invited.values())
    listed = session.participants.order_by("kind")
    assert [(p.kind, p.user_id, p.contact_id) for p in listed] == [
        ("grid_worker", worker.pk, None),
        ("unit_leader", None, leader.pk),
    ]
    assert not listed.filter(notified_at__isnull=True).exists()
    page = login(personas.officer_chunguang).get(reverse("meetings:detail", args=[session.pk]))
    assert "邀请 2 人" in page.content.decode()


# A meeting recorded after it was held: nobody is asked to come ---------------------------
WALK = "2026-12-07T18:19+08:00"  # the evening a meeting held at 10:13 was recorded


def record_after_the_fact(personas, login, places):
    """The officer records in the evening the emergency session held this morning at 10:13."""
    officer = personas.officer_chunguang
    client = login(officer)
    response = client.post(
        reverse("meetings:new"),
        {
            "kind": "emergency",
            "community": places.chunguang.pk,
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT10:13"),
            "venue_kind": "on_site",
            "address": "3号楼下",
            "host": officer.pk,
        },
    )
    assert response.status_code == 302
    return client, Meeting.objects.get()


def logged_in_the_morning(case):
    """The case was logged at 08:30 of the walk's day, before the session it went to."""
    Case.objects.filter(pk=case.pk).update(
        created_at=timezone.localtime().replace(hour=8, minute=30)
    )


@pytest.mark.pinned(WALK)
def test_a_case_logged_after_a_meeting_sat_is_neither_offered_nor_taken_onto_its_agenda(
    places, personas, tap, login
):
    """Recorded in the evening, the morning's session can't have taken up a case logged this
    afternoon: the page doesn't offer it, and a forged form is refused, naming the case."""
    client, meeting = record_after_the_fact(personas, login, places)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert tap.tracking_code not in page
    response = client.post(
        reverse("meetings:action", args=[meeting.pk, "agenda"]), {"cases": [tap.pk]}, follow=True
    )
    assert (
        f"{tap.tracking_code} 登记于 2026-12-07 18:19，晚于本次 2026-12-07 10:13 的会议；"
        "请列入之后会议的议程。"
    ) in response.content.decode()
    assert not meeting.items.exists()
    logged_in_the_morning(tap)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert tap.tracking_code in page


@pytest.mark.pinned(WALK)
def test_nobody_is_invited_to_a_meeting_that_began_hours_ago_and_the_resident_hears_it_in_the_past(
    places, personas, tap, login
):
    worker, leader = personas.worker_cg1, places.leaders[places.cg1]
    logged_in_the_morning(tap)
    client, meeting = record_after_the_fact(personas, login, places)
    detail = reverse("meetings:detail", args=[meeting.pk])
    client.post(reverse("meetings:action", args=[meeting.pk, "agenda"]), {"cases": [tap.pk]})
    invite = {"invite-kinds": ["grid_worker", "unit_leader", "resident_rep", "party_member"]}
    response = client.post(
        reverse("meetings:action", args=[meeting.pk, "invite"]), invite, follow=True
    )
    page = response.content.decode()
    assert "会议已于 2026-12-07 10:13 开始，不再发送邀请；已把相关人员列入参会名单" in page
    assert "已邀请相关人员" not in page
    # Nobody is invited to it: no bell, no e-mail, no SMS 「参会邀请」.
    assert not Notification.objects.filter(rule="meeting_invitation").exists()
    assert not any("参会邀请" in n.title for n in Notification.objects.all())
    # Whom the case concerns hears, in the past, that it was taken to the meeting.
    told = {n.recipient_key: n.title for n in Notification.objects.filter(rule="meeting_agenda")}
    assert set(told) == {f"user:{worker.pk}", f"contact:{leader.pk}", f"resident:{tap.pk}"}
    for title in told.values():
        assert title.startswith(f"{tap.tracking_code} 已提交 2026-12-07 10:13 开始的议事协商会讨论")
        assert "将在" not in title
    # They are listed, so that their attendance is recorded, and the page says why untold.
    page = client.get(detail).content.decode()
    assert meeting.participants.filter(user=worker).exists()
    assert "（未通知：会议开始后才列入）" in page and "按身份列入名单" in page
    assert "列入参会名单（会议已开始，未发邀请）" in page
    assert client.post(reverse("meetings:action", args=[meeting.pk, "open"])).status_code == 302
    came = {"attended": [meeting.participants.get(user=worker).pk]}
    assert (
        client.post(reverse("meetings:action", args=[meeting.pk, "attendance"]), came).status_code
        == 302
    )


@pytest.mark.pinned(WALK)
def test_an_emergency_session_entered_after_it_began_tells_nobody_it_is_coming(
    places, personas, login
):
    pipe = CaseFactory(
        grid=places.cg1,
        building=places.leaders[places.cg1].unit.building,
        urgency="urgent",
        state="accepted",
        owner=personas.officer_chunguang,
    )
    data = {
        "emergency-day": "today",
        "emergency-at": "17:40",  # held at 17:40, entered at 18:19
        "emergency-venue_kind": "on_site",
        "emergency-address": "1号楼下",
    }
    client = login(personas.officer_chunguang)
    response = client.post(reverse("meetings:emergency", args=[pipe.pk]), data, follow=True)
    page = response.content.decode()
    assert "紧急协商会已召集。会议已于 17:40 开始，不再发送邀请" in page
    assert not Notification.objects.filter(rule="meeting_invitation").exists()
    meeting = Meeting.objects.get()
    assert meeting.participants.filter(user=personas.worker_cg1).exists()
    titles = [n.title for n in Notification.objects.filter(rule="meeting_agenda")]
    assert titles and all("已提交 2026-12-07 17:40 开始的议事协商会讨论" in t for t in titles)


def test_the_public_page_of_a_meeting_that_began_hours_ago_asks_nobody_to_come(
    places, personas, session, tap
):
    put_on_agenda(personas, session, tap)
    Meeting.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=3))
    session.refresh_from_db()
    page = Client().get(public_url(session)).content.decode()
    began = timezone.localtime(session.starts_at).strftime("%H:%M")
    assert f"会议已于 {began} 开始，决定记录后将在社区公示栏公布" in page
    assert "欢迎居民参加" not in page


def test_the_public_page_says_which_matters_a_meeting_under_way_has_settled(
    places, personas, session, tap
):
    """Once a decision is recorded, the page no longer says decisions come "once recorded"."""
    pipe = CaseFactory(grid=places.cg1, state="proposed", description="楼道灯不亮")
    put_on_agenda(personas, session, tap)
    put_on_agenda(personas, session, pipe)
    first, second = session.items.order_by("position")
    client, url = Client(), public_url(session)
    Meeting.objects.filter(pk=session.pk).update(state="held", starts_at=timezone.now())
    first.status = "decided"
    first.save(update_fields=["status"])
    page = client.get(url).content.decode()
    assert "会议正在进行，已有 1 项议题有了结果" in page
    assert page.count("已作出决定") == 1 and "下次会议再协商" not in page
    second.status = "deferred"
    second.save(update_fields=["status"])
    Meeting.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=3))
    session.refresh_from_db()
    page = client.get(url).content.decode()
    began = timezone.localtime(session.starts_at).strftime("%H:%M")
    assert f"会议已于 {began} 开始，已有 2 项议题有了结果，决定在社区公示栏公布" in page
    assert "决定记录后将" not in page and "下次会议再协商" in page
    english = client.get(url, headers={"cookie": "django_language=en"}).content.decode()
    assert "2 matters are settled so far" in english and "a decision was taken" in english


def test_a_meeting_moved_or_cancelled_is_told_to_everyone_who_heard_of_it(
    places, personas, session, tap
):
    """The invited people who were told, and whoever the agenda's case concerns (its grid
    worker, unit leader and resident), hear the new time and place, then that it is off;
    moving only the host tells nobody."""
    from meetings.inputs import Cancellation, Invitation, Rescheduling
    from meetings.models import ParticipantKind

    officer = personas.officer_chunguang
    scope = Scope.for_user(officer)
    meeting_workflow.invite(
        scope, officer, session.pk, Invitation(kinds=(ParticipantKind.GRID_WORKER,))
    )
    put_on_agenda(personas, session, tap)
    session.refresh_from_db()
    expected = {
        f"user:{personas.worker_cg1.pk}",
        f"contact:{places.leaders[places.cg1].pk}",
        f"resident:{tap.pk}",
    }
    invited_workers = {
        f"user:{p.user_id}"
        for p in session.participants.filter(notified_at__isnull=False, user__isnull=False)
    } - {f"user:{officer.pk}"}
    assert invited_workers  # the community's grid workers were told of the meeting

    def reschedule(**changes):
        session.refresh_from_db()
        values = {
            "starts_at": session.starts_at,
            "venue_kind": session.venue_kind,
            "host": session.host,
            "version": session.version,
            "address": session.address,
            **changes,
        }
        meeting_workflow.change_meeting(scope, officer, session.pk, Rescheduling(**values))

    reschedule(host=personas.officer_chunguang)  # nothing a person would go by changed
    assert not Notification.objects.filter(rule__in=["meeting_moved", "meeting_cancelled"])

    # Same day, other hour: a monthly session keeps its day (meetings/monthly.py).
    local = timezone.localtime(session.starts_at)
    later = local.replace(hour=20 if local.hour == 19 else 19, minute=30)
    reschedule(starts_at=later, address="春光社区文化活动室")
    moved = {n.recipient_key: n for n in Notification.objects.filter(rule="meeting_moved")}
    assert set(moved) == expected | invited_workers
    when = timezone.localtime(later).strftime("%Y-%m-%d %H:%M")
    for note in moved.values():
        assert note.title.startswith("会议改期") and when in note.title
        assert "春光社区文化活动室" in note.title

    meeting_workflow.cancel_meeting(scope, officer, session.pk, Cancellation(reason="台风停课"))
    off = {n.recipient_key: n for n in Notification.objects.filter(rule="meeting_cancelled")}
    assert set(off) == expected | invited_workers
    assert all("会议取消" in n.title and "台风停课" in n.title for n in off.values())
    assert f"user:{officer.pk}" not in off  # who made the move is not told of it


# A link that shows no meeting says why, to a resident -------------------------------------
STAFF_WORDS = ("找不到页面", "不在您负责的范围内")


def residents_page(response):
    """The page in the residents' frame (their text-size switch, their start), no staff's."""
    html = response.content.decode()
    assert 'data-testid="text-size"' in html and 'href="/r/">返回首页' in html
    assert 'data-testid="role-nav"' not in html and "/accounts/login/" not in html
    assert not any(words in html for words in STAFF_WORDS), html
    assert response["Cache-Control"] == "no-store"
    return html


def test_the_cancelled_meetings_link_says_it_was_cancelled_when_it_was_to_be_held_and_why(
    places, personas, session, tap
):
    """The cancellation SMS carries the link: it opens on the cancellation, with the reason
    given (phones and names masked), 410 Gone."""
    from meetings.inputs import Cancellation

    officer = personas.officer_chunguang
    put_on_agenda(personas, session, tap)
    reason = "台风停课，王大妈 13912340000 家漏水另行安排"
    meeting_workflow.cancel_meeting(
        Scope.for_user(officer), officer, session.pk, Cancellation(reason=reason)
    )
    told = Notification.objects.get(rule="meeting_cancelled", recipient_key=f"resident:{tap.pk}")
    response = Client().get(told.url)
    assert response.status_code == 410
    page = residents_page(response)
    when = timezone.localtime(session.starts_at)
    assert "会议已取消" in page and f"{when.year}年{when.month}月{when.day}日" in page
    assert "春光社区原定于" in page and "议事协商会已取消" in page
    assert "台风停课，王** 139****0000 家漏水另行安排" in page
    assert "13912340000" not in page and "王大妈" not in page
    assert "如有疑问，请联系春光社区居委会" in page
    english = Client().get(told.url, headers={"cookie": "django_language=en"})
    assert english.status_code == 410
    text = english.content.decode()
    assert "This meeting is cancelled" in text and "Reason given" in text and "台风停课" in text
    assert "会议已取消" not in text
    # Days later, it still says the meeting was cancelled, not that the link has expired.
    with time_machine.travel(session.starts_at + timedelta(days=5)):
        later = Client().get(told.url)
    assert later.status_code == 410 and "会议已取消" in later.content.decode()


def test_an_expired_link_says_it_expired_and_which_community_to_ask(places, personas, session):
    url = public_url(session)
    with time_machine.travel(session.starts_at + timedelta(days=2)):
        response = Client().get(url)
        english = Client().get(url, headers={"cookie": "django_language=en"})
    assert response.status_code == 410
    page = residents_page(response)
    assert "链接已过期" in page and "请向春光社区居委会询问" in page
    assert "春光社区居委会二楼" not in page  # nothing more of the meeting than whom to ask
    assert english.status_code == 410
    text = english.content.decode()
    assert "This link has expired" in text and "ask the office of 春光社区" in text


def test_a_garbled_or_cut_off_link_gets_the_residents_page_that_says_so(places, session):
    url = public_url(session)
    token = url.rstrip("/").rsplit("/", 1)[1]
    for wrong in (token[:-2] + "xx", token[: len(token) // 2], "not-a-token"):
        response = Client().get(f"/r/m/{wrong}/")
        assert response.status_code == 404, wrong
        page = residents_page(response)
        assert "链接不完整或有误" in page and "请从短信里重新打开链接" in page
        assert "春光社区" not in page.split('data-testid="public-meeting-unavailable"')[1]
    english = Client().get(f"/r/m/{token[:-2]}xx/", headers={"cookie": "django_language=en"})
    assert english.status_code == 404
    assert "This link is incomplete or wrong" in english.content.decode()


# One message per person per meeting ------------------------------------------------------
@pytest.fixture
def lights(places):
    """A recurring problem of four cases: the stair light of 春光第1网格 1号楼 1单元, which
    also has the dripping tap."""
    from recurring.grouping import group_cases
    from recurring.models import Problem

    from .recurring_helpers import case_at

    leader = places.leaders[places.cg1]
    where = {"building": leader.unit.building, "unit": leader.unit, "kind": "设施维修"}
    cases = [
        case_at(places.cg1, 60, state="accepted", description="楼道灯坏了一个月", **where),
        case_at(places.cg1, 40, state="accepted", description="楼道灯又不亮了", **where),
        case_at(places.cg1, 20, description="楼道里的灯不亮", **where),
        case_at(places.cg1, 3, description="楼道灯还是不亮", **where),
    ]
    group_cases()
    return Problem.objects.get(), cases


def sms_to(phone):
    return Message.objects.filter(channel="sms", destination=phone)


def test_a_case_then_a_recurring_problem_on_the_same_session_send_each_person_one_message(
    places, personas, session, tap, lights, login, capsys
):
    """The tap goes on the 17th's agenda, then the stair light's problem (four cases): the
    unit leader gets one SMS and the grid worker one notice (bell, e-mail, SMS), each naming
    the five cases; not one per case plus an invitation."""
    from django.core import mail

    from notifications.models import ChannelChoice
    from outbox.dispatch import deliver_due

    problem, cases = lights
    worker, leader = personas.worker_cg1, places.leaders[places.cg1]
    worker.email = "worker_cg1@example.cn"
    worker.save()
    ChannelChoice.objects.create(user=worker, email=True, sms=True, phone="13800001111")
    client = login(personas.officer_chunguang)
    agenda = client.post(
        reverse("meetings:action", args=[session.pk, "agenda"]), {"cases": [tap.pk]}
    )
    assert agenda.status_code == 302
    taken = client.post(
        reverse("recurring:action", args=[problem.pk, "session"]), {"session-kind": "monthly"}
    )
    assert taken.status_code == 302 and session.items.count() == 2
    codes = [tap.tracking_code] + [case.tracking_code for case in cases]
    # One notice each, the bell's too, and one message per channel.
    assert Notification.objects.filter(user=worker).count() == 1
    assert Notification.objects.filter(contact=leader).count() == 1
    assert sms_to(leader.phone).count() == 1
    assert sms_to("13800001111").count() == 1
    assert Message.objects.filter(destination="worker_cg1@example.cn").count() == 1
    listed = f"讨论：{codes[0]}、{codes[1]} 等 5 件诉求"
    note = Notification.objects.get(user=worker)
    assert note.title.startswith("参会邀请：每月17日固定协商") and note.title.endswith(listed)
    assert all(code in note.body for code in codes)  # the bell and e-mail name every case
    assert sms_to(leader.phone).get().payload["title"].endswith(listed)
    # Both invited by it, and shown as notified on the meeting page.
    told = session.participants.filter(notified_at__isnull=False)
    assert told.filter(user=worker).exists() and told.filter(contact=leader).exists()
    # The residents: one SMS each, about their own case.
    for case in [tap, *cases]:
        [sms] = sms_to(case.resident_phone)
        assert case.tracking_code in sms.payload["title"]
    # What leaves: one SMS to each person, once its gathering time is over.
    assert deliver_due() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
    out = capsys.readouterr().out
    for phone in (leader.phone, "13800001111"):
        [sent] = [line for line in out.splitlines() if line.startswith(f"SMS to {phone} ")]
        assert listed in sent
    assert [m.to for m in mail.outbox] == [["worker_cg1@example.cn"]]
    assert all(code in mail.outbox[0].body for code in codes)


def test_a_case_added_after_the_notice_left_is_one_more_message_and_repeats_nothing(
    places, personas, session, tap, capsys
):
    """Once a person's notice has gone, more cases for them at the same meeting make one new
    message naming only those, gathered in turn."""
    from outbox.dispatch import deliver_due

    leader = places.leaders[places.cg1]
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    drain = CaseFactory(state="proposed", description="下水道堵了", **where)
    put_on_agenda(personas, session, tap)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
        assert sms_to(leader.phone).get().state == State.SENT
        put_on_agenda(personas, session, pipe)
        put_on_agenda(personas, session, drain)
    first, update = sms_to(leader.phone).order_by("created_at")
    invitation = first.payload["title"]
    assert invitation.startswith("参会邀请") and invitation.endswith(f"讨论：{tap.tracking_code}")
    said = update.payload["title"]
    assert said.startswith(f"{pipe.tracking_code}、{drain.tracking_code} 将在议事协商会上讨论")
    assert tap.tracking_code not in said and update.state == State.PENDING
    assert Notification.objects.filter(contact=leader).count() == 2


def take_off(login, personas, session, case, by=None):
    item = session.items.get(case=case)
    url = reverse("meetings:item_action", args=[session.pk, item.pk, "remove"])
    assert login(by or personas.officer_chunguang).post(url).status_code == 302


def test_a_case_taken_off_the_agenda_leaves_the_messages_still_held(
    places, personas, session, tap, login, capsys
):
    """Within the gathering time the unit leader's SMS, the grid worker's notice and the
    residents' SMS say only what is still to be deliberated; a notice left with nothing to
    say is withdrawn, and its person is no longer shown as told."""
    from outbox.dispatch import deliver_due

    leader, worker = places.leaders[places.cg1], personas.worker_cg1
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    put_on_agenda(personas, session, tap)
    put_on_agenda(personas, session, pipe)
    both = f"{tap.tracking_code}、{pipe.tracking_code}"
    assert sms_to(leader.phone).get().payload["title"].endswith(f"讨论：{both}")
    take_off(login, personas, session, pipe)
    [held] = sms_to(leader.phone)
    assert held.payload["title"].endswith(f"讨论：{tap.tracking_code}")
    note = Notification.objects.get(user=worker)
    assert pipe.tracking_code not in note.title + note.body and tap.tracking_code in note.body
    assert not sms_to(pipe.resident_phone).exists()  # its resident hears nothing of it
    assert not Notification.objects.filter(recipient_key=f"resident:{pipe.pk}").exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
    out = capsys.readouterr().out
    [sent] = [line for line in out.splitlines() if line.startswith(f"SMS to {leader.phone} ")]
    assert tap.tracking_code in sent and pipe.tracking_code not in sent

    # The last case off: nothing is left to say to anyone, and nobody counts as told.
    later = monthly_session(places, personas, 20)
    put_on_agenda(personas, later, pipe)
    assert later.participants.filter(notified_at__isnull=False).count() == 2
    take_off(login, personas, later, pipe)
    assert not Notification.objects.filter(object_key=f"meeting:{later.pk}").exists()
    assert not sms_to(pipe.resident_phone).exists() and sms_to(leader.phone).count() == 1
    assert not later.participants.filter(notified_at__isnull=False).exists()


def test_a_case_taken_off_after_its_messages_left_is_told_as_off_to_whoever_heard_of_it(
    places, personas, session, tap, login, capsys
):
    """The tap's notices left; the officer takes it off the 17th's agenda. The unit leader and
    王大妈 each get one more SMS saying it will not be deliberated there; the grid worker (bell
    only) a second notice; what went before stays as it was, and the officer hears nothing."""
    from outbox.dispatch import deliver_due

    leader, worker = places.leaders[places.cg1], personas.worker_cg1
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    put_on_agenda(personas, session, tap)
    put_on_agenda(personas, session, pipe)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
        capsys.readouterr()
        take_off(login, personas, session, tap)
        invitation, off = sms_to(leader.phone).order_by("created_at")
        both = f"{tap.tracking_code}、{pipe.tracking_code}"
        assert invitation.state == State.SENT and invitation.payload["title"].endswith(both)
        said = off.payload["title"]
        assert said.startswith(f"议程变更：{tap.tracking_code} 已移出 ")
        assert said.endswith("的每月17日固定协商（春光社区）议程")
        assert pipe.tracking_code not in said
        assert sent_sms(capsys, off).count(f"SMS to {leader.phone} ") == 1
        [first, resident_off] = sms_to(tap.resident_phone).order_by("created_at")
        assert resident_off.payload["title"] == said
        assert sms_to(pipe.resident_phone).count() == 1  # the pipe's resident: nothing new
        notes = Notification.objects.filter(user=worker).order_by("created_at")
        assert [n.title.startswith("议程变更") for n in notes] == [False, True]
        assert not Notification.objects.filter(user=personas.officer_chunguang).exists()
        # Put back on, it is told again; taken off again, told off again, once.
        put_on_agenda(personas, session, tap)
        back = sms_to(leader.phone).order_by("created_at").last().payload["title"]
        assert back.startswith(f"{tap.tracking_code} 将在议事协商会上讨论")
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        take_off(login, personas, session, tap)
    titles = [m.payload["title"] for m in sms_to(leader.phone).order_by("created_at")]
    assert len(titles) == 4 and titles[3] == said
    # The bell in English for a reader of English.
    from django.utils import translation

    note = Notification.objects.filter(user=worker, rule="meeting_agenda_off").first()
    with translation.override("en"):
        assert note.shown_title.startswith(f"Agenda change: {tap.tracking_code} taken off the")


def test_cases_taken_off_one_after_another_make_one_message_and_one_put_back_makes_none(
    places, personas, session, tap, login, capsys
):
    """The officer takes three cases off the 17th's agenda one by one, then puts one back
    straight away: the unit leader's waiting 「议程变更」 SMS names the two still off, and
    nothing says the third was ever off or is on again."""
    from outbox.dispatch import deliver_due

    leader = places.leaders[places.cg1]
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    drain = CaseFactory(state="proposed", description="下水道堵了", **where)
    officer = personas.officer_chunguang
    meeting_workflow.add_to_agenda(
        Scope.for_user(officer), officer, session.pk, [tap.pk, pipe.pk, drain.pk]
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
        for case in (tap, pipe, drain):
            take_off(login, personas, session, case)
        put_on_agenda(personas, session, drain)
        invitation, off = sms_to(leader.phone).order_by("created_at")
        assert off.state == State.PENDING
        said = off.payload["title"]
        assert said.startswith(f"议程变更：{tap.tracking_code}、{pipe.tracking_code} 已移出 ")
        assert drain.tracking_code not in said
        # The drain's resident: taken off and put back before anything left, so nothing new.
        assert sms_to(drain.resident_phone).count() == 1
    capsys.readouterr()
    with time_machine.travel(timezone.now() + timedelta(minutes=25)):
        deliver_due()
    sent = [
        line for line in capsys.readouterr().out.splitlines() if f"SMS to {leader.phone} " in line
    ]
    assert len(sent) == 1 and said in sent[0]


def test_whoever_takes_a_case_off_hears_nothing_but_is_told_when_it_is_put_back(
    places, personas, session, tap, login
):
    """An officer who is also the grid's worker was invited by the tap; he takes it off (he
    knows: no message), and when another officer puts it back he is told again."""
    from tests.factories import make_people

    both = make_people(
        officer_and_worker=[("community_officer", places.chunguang), ("grid_worker", places.cg1)]
    )["officer_and_worker"]
    put_on_agenda(personas, session, tap)
    [invitation] = Notification.objects.filter(user=both)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        Notification.objects.filter(pk=invitation.pk).update(read_at=timezone.now())
        take_off(login, personas, session, tap, by=both)
        [off] = Notification.objects.filter(user=both, rule="meeting_agenda_off")
        assert off.read_at is not None
        assert not Message.objects.filter(source=dispatch.source_of(off)).exists()
        put_on_agenda(personas, session, tap)
    back = Notification.objects.filter(user=both, rule="meeting_agenda").order_by("created_at")
    assert back.count() == 2 and back.last().title.startswith(f"{tap.tracking_code} 将在")


def test_a_notice_already_read_is_not_withdrawn_but_told_as_off(
    places, personas, session, tap, login
):
    """Within the gathering time the grid worker has read his invitation in the bell: taking
    the tap off leaves it as he read it and tells him it is off."""
    worker = personas.worker_cg1
    put_on_agenda(personas, session, tap)
    Notification.objects.filter(user=worker).update(read_at=timezone.now())
    take_off(login, personas, session, tap)
    read, off = Notification.objects.filter(user=worker).order_by("created_at")
    assert tap.tracking_code in read.title and off.title.startswith("议程变更")
    assert session.participants.filter(user=worker, notified_at__isnull=False).exists()


def test_a_resident_with_a_problems_cases_gets_one_message_each_way(
    places, personas, session, lights, login
):
    """The stair light's four cases are all 王大妈's, written two ways: going to the 17th with
    the problem they make one SMS, and taken off with it one more."""
    from outbox.dispatch import deliver_due

    problem, cases = lights
    for case, phone in zip(cases, ["13655550000", "136 5555 0000"] * 2, strict=True):
        case.resident_phone = phone
        case.save(update_fields=["resident_phone"])
    client = login(personas.officer_chunguang)
    taken = client.post(
        reverse("recurring:action", args=[problem.pk, "session"]), {"session-kind": "monthly"}
    )
    assert taken.status_code == 302
    [told] = sms_to("13655550000")
    assert told.payload["title"].startswith(f"{cases[0].tracking_code}、")
    assert "等 4 件诉求" in told.payload["title"]
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
        take_off(login, personas, session, session.items.get().case)
    told, off = sms_to("13655550000").order_by("created_at")
    assert off.payload["title"].startswith(f"议程变更：{cases[0].tracking_code}、")
    assert "等 4 件诉求" in off.payload["title"]


def test_a_recurring_problem_taken_off_the_agenda_takes_its_carried_cases_off_the_notices(
    places, personas, session, tap, lights, login
):
    """The stair light's four cases went with one item; the tap is on the agenda too. The
    item off: the unit leader's held SMS names the tap alone, and the four residents' SMS
    are not sent."""
    problem, cases = lights
    leader = places.leaders[places.cg1]
    put_on_agenda(personas, session, tap)
    client = login(personas.officer_chunguang)
    taken = client.post(
        reverse("recurring:action", args=[problem.pk, "session"]), {"session-kind": "monthly"}
    )
    assert taken.status_code == 302 and session.items.count() == 2
    assert sms_to(leader.phone).get().payload["title"].endswith("等 5 件诉求")
    item = session.items.exclude(case=tap).get()
    take_off(login, personas, session, item.case)
    assert sms_to(leader.phone).get().payload["title"].endswith(f"讨论：{tap.tracking_code}")
    for case in cases:
        assert not sms_to(case.resident_phone).exists()
    assert sms_to(tap.resident_phone).count() == 1


def test_a_notice_past_its_gathering_time_stays_as_it_was_and_the_change_is_told(
    places, personas, session, tap, login
):
    """The grid worker reads his invitation in the bell (no e-mail or SMS chosen, so nothing
    in the outbox); a case taken off an hour later leaves what he read as it was, and a new
    notice says it is off."""
    worker = personas.worker_cg1
    put_on_agenda(personas, session, tap)
    assert Notification.objects.filter(user=worker).count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        take_off(login, personas, session, tap)
    read, off = Notification.objects.filter(user=worker).order_by("created_at")
    assert tap.tracking_code in read.title and not read.title.startswith("议程变更")
    assert off.title.startswith(f"议程变更：{tap.tracking_code} 已移出") and off.read_at is None
    assert session.participants.filter(user=worker, notified_at__isnull=False).exists()


def test_a_resident_with_two_cases_on_the_agenda_gets_one_sms_naming_both(
    places, personas, session, tap, capsys
):
    from outbox.dispatch import deliver_due

    leader = places.leaders[places.cg1]
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    # 王大妈 again, her number written with a space this time.
    drain = CaseFactory(state="proposed", resident_phone="139 1234 0000", **where)
    officer = personas.officer_chunguang
    meeting_workflow.add_to_agenda(Scope.for_user(officer), officer, session.pk, [tap.pk, drain.pk])
    [sms] = Message.objects.filter(channel="sms", destination="13912340000")
    assert sms.payload["title"].startswith(f"{tap.tracking_code}、{drain.tracking_code}")
    assert Notification.objects.filter(phone__in=["13912340000", "139 1234 0000"]).count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
    out = capsys.readouterr().out
    [sent] = [line for line in out.splitlines() if line.startswith("SMS to 13912340000 ")]
    assert tap.tracking_code in sent and drain.tracking_code in sent
    # Anonymising her takes her number from that one notice and its message.
    anonymise([tap.pk, drain.pk], user=personas.street_staff, reason="居民要求")
    assert not Notification.objects.filter(phone__in=["13912340000", "139 1234 0000"]).exists()


def test_a_case_put_back_after_its_person_read_that_it_was_off_is_told_as_on_again(
    places, personas, session, tap, login
):
    """Within ten minutes the grid worker reads his invitation, reads that the tap is off, and
    the officer puts it back: a third notice says it will be deliberated; none names it twice."""
    worker = personas.worker_cg1
    put_on_agenda(personas, session, tap)
    Notification.objects.filter(user=worker).update(read_at=timezone.now())
    take_off(login, personas, session, tap)
    Notification.objects.filter(user=worker).update(read_at=timezone.now())
    put_on_agenda(personas, session, tap)
    titles = [n.title for n in Notification.objects.filter(user=worker).order_by("created_at")]
    assert len(titles) == 3 and titles[1].startswith("议程变更")
    assert titles[2].startswith(f"{tap.tracking_code} 将在议事协商会上讨论")
    assert all(title.count(tap.tracking_code) == 1 for title in titles)


def test_whoever_acts_is_told_of_nothing_and_of_everyone_elses_moves(
    places, personas, session, tap, login
):
    """An officer who is also the grid's worker, told of the tap and the pipe: he takes the
    tap off and puts it back himself (told nothing either time); the other officer's taking
    the tap off again is news to him; his own taking off the pipe is not added to it."""
    from tests.factories import make_people

    both = make_people(
        officer_and_worker=[("community_officer", places.chunguang), ("grid_worker", places.cg1)]
    )["officer_and_worker"]
    leader = places.leaders[places.cg1]
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    officer = personas.officer_chunguang
    meeting_workflow.add_to_agenda(Scope.for_user(officer), officer, session.pk, [tap.pk, pipe.pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        take_off(login, personas, session, tap, by=both)
        meeting_workflow.add_to_agenda(Scope.for_user(both), both, session.pk, [tap.pk])
        unread = Notification.objects.filter(user=both, read_at__isnull=True)
        assert unread.count() == 1  # the first invitation, nothing of his own moves
        take_off(login, personas, session, tap)
        [off] = Notification.objects.filter(
            user=both, rule="meeting_agenda_off", read_at__isnull=True
        )
        assert off.title.startswith(f"议程变更：{tap.tracking_code} 已移出")
        take_off(login, personas, session, pipe, by=both)
    off.refresh_from_db()
    assert pipe.tracking_code not in off.title


def test_cases_others_add_never_fold_into_the_acting_persons_own_record(
    places, personas, session, tap, login, mailoutbox
):
    """An officer who is also the grid's worker (e-mail chosen) is invited by the tap; he puts
    the pipe on himself; then the other officer puts the drain on: he gets one e-mail naming
    the tap and the drain (his invitation, gathered), and nothing presents his pipe as news."""
    from notifications.models import ChannelChoice
    from outbox.dispatch import deliver_due
    from tests.factories import make_people

    both = make_people(
        officer_and_worker=[("community_officer", places.chunguang), ("grid_worker", places.cg1)]
    )["officer_and_worker"]
    both.email = "both@example.cn"
    both.save()
    ChannelChoice.objects.create(user=both, email=True)
    leader = places.leaders[places.cg1]
    where = {"grid": places.cg1, "building": leader.unit.building, "unit": leader.unit}
    pipe = CaseFactory(state="proposed", description="水管冻裂", **where)
    drain = CaseFactory(state="proposed", description="下水道堵了", **where)
    put_on_agenda(personas, session, tap)
    meeting_workflow.add_to_agenda(Scope.for_user(both), both, session.pk, [pipe.pk])
    put_on_agenda(personas, session, drain)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        deliver_due()
    [sent] = [m for m in mailoutbox if m.to == ["both@example.cn"]]
    said = sent.subject + sent.body
    assert tap.tracking_code in said and drain.tracking_code in said
    assert pipe.tracking_code not in said


def test_whoever_puts_a_case_on_first_hears_when_someone_else_takes_it_off(
    places, personas, session, tap, login
):
    from tests.factories import make_people

    both = make_people(
        officer_and_worker=[("community_officer", places.chunguang), ("grid_worker", places.cg1)]
    )["officer_and_worker"]
    meeting_workflow.add_to_agenda(Scope.for_user(both), both, session.pk, [tap.pk])
    assert not Notification.objects.filter(user=both, read_at__isnull=True).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        take_off(login, personas, session, tap)
    [off] = Notification.objects.filter(user=both, read_at__isnull=True)
    assert off.title.startswith(f"议程变更：{tap.tracking_code} 已移出")
