"""One language at a time, everywhere: a notice reads in the reader's language whenever it was
written, an e-mail in its recipient's; dates and punctuation follow the language; and people
are named by their names, never by the login name they sign in with."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from accounts.scope import Scope
from audit.models import AccessEvent
from cases import workflow
from cases.inputs import NewTask, Ownership
from cases.models import CaseEvent, State, Task
from meetings import workflow as meeting_workflow
from meetings.inputs import Invitation
from meetings.models import AgendaItem, Meeting, Participant
from meetings.public import public_url
from notifications import dispatch, notices
from notifications.models import Notification
from outbox.dispatch import deliver
from outbox.models import State as Sending
from tests.factories import CaseFactory, EmergencySessionFactory
from tests.language import page_text
from tests.outbox_helpers import messages_of

pytestmark = pytest.mark.django_db

LOGIN = "grid.chunguang.01"
CHINESE_PUNCTUATION = re.compile(r"[，。：；、（）「」！？]")
CHINESE_DATE = re.compile(r"[月日]")


@pytest.fixture
def wang(personas):
    """The grid worker of 春光第1网格, who signs in as grid.chunguang.01 and is called 王芳."""
    worker = personas.worker_cg1
    worker.username, worker.first_name, worker.last_name = LOGIN, "王芳", ""
    worker.email = "wangfang@example.cn"
    worker.save()
    return worker


@pytest.fixture
def meeting(places, personas):
    return EmergencySessionFactory(
        community=places.chunguang, host=personas.officer_chunguang, address="春光社区居委会二楼"
    )


def reading(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def words(response, language="en"):
    assert response.status_code == 200
    return "\n".join(page_text(response.content.decode(), language))


# Notices -----------------------------------------------------------------------------------
def invite(personas, meeting):
    officer = personas.officer_chunguang
    meeting_workflow.invite(
        Scope.for_user(officer), officer, meeting.pk, Invitation(kinds=("grid_worker",))
    )


def test_a_notice_written_in_chinese_reads_in_the_language_of_whoever_reads_it(
    personas, login, wang, meeting
):
    with translation.override("en"):  # the officer reads the English UI: no matter
        invite(personas, meeting)
    note = Notification.objects.get(rule="meeting_invitation", user=wang)
    assert note.title.startswith("参会邀请")  # stored in the recipient's language too
    client = login(wang)
    chinese = words(reading(client, "zh-hans").get(reverse("notifications:list")), "zh-hans")
    assert "参会邀请" in chinese and "Invitation" not in chinese
    english = words(reading(client, "en").get(reverse("notifications:list")))
    when = dateformat.format(timezone.localtime(meeting.starts_at), "Y-m-d H:i")
    assert f"Invitation: emergency session {when}, 春光社区" in english
    assert "community meeting room" in english and "春光社区居委会二楼" in english
    assert "参会邀请" not in english
    assert not CHINESE_PUNCTUATION.search(english), english
    assert not CHINESE_DATE.search(english), english


def test_a_reminder_reads_in_english_and_a_row_from_before_keeps_its_words(places, personas, login):
    late = CaseFactory(grid=places.cg1, response_deadline=timezone.now() - timedelta(hours=1))
    dispatch.scan()
    note = Notification.objects.get(rule="unaccepted", user=personas.officer_chunguang)
    assert note.title == f"超时未接单：{late.tracking_code}"
    Notification.objects.create(
        rule="old",
        object_key="case:0",
        due_at=timezone.now(),
        recipient_key=f"user:{personas.officer_chunguang.pk}",
        user=personas.officer_chunguang,
        title="旧的提醒",
    )
    client = reading(login(personas.officer_chunguang), "en")
    english = words(client.get(reverse("notifications:list")))
    assert f"Not accepted in time: {late.tracking_code}" in english
    assert "Water, power, gas and heating" in english  # the category, in the reader's words
    assert "旧的提醒" in english  # written before notices were stored by message id


def test_an_email_goes_out_in_its_recipients_language(places, personas, wang, monkeypatch):
    officer = personas.officer_chunguang
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    with translation.override("en"):  # the officer acts in English; 王芳 reads the site's
        workflow.perform(
            Scope.for_user(officer),
            officer,
            case.pk,
            "accept",
            Ownership(wang, timezone.now() + timedelta(days=2)),
        )
    email = messages_of(Notification.objects.get(rule="case_assigned")).get()
    assert deliver(email.pk) == Sending.SENT
    assert mail.outbox[-1].to == ["wangfang@example.cn"]
    assert mail.outbox[-1].subject.startswith(f"诉求 {case.tracking_code} 已交由您办理")
    # Whoever reads English gets English: the language is the recipient's, not the writer's.
    monkeypatch.setattr(notices, "language_of", lambda notification: "en")
    other = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    workflow.perform(
        Scope.for_user(officer),
        officer,
        other.pk,
        "accept",
        Ownership(wang, timezone.now() + timedelta(days=2)),
    )
    note = Notification.objects.get(rule="case_assigned", object_key=f"case:{other.pk}")
    assert note.title.startswith(f"Case {other.tracking_code} is yours")
    email = messages_of(note).get()
    assert deliver(email.pk) == Sending.SENT
    assert mail.outbox[-1].subject.startswith(f"Case {other.tracking_code} is yours, due ")
    assert not CHINESE_PUNCTUATION.search(mail.outbox[-1].subject)


# Dates and punctuation ---------------------------------------------------------------------
def test_the_workbench_writes_a_meetings_day_as_each_language_does(personas, login, wang, meeting):
    invite(personas, meeting)
    local = timezone.localtime(meeting.starts_at)
    client = login(wang)
    chinese = words(reading(client, "zh-hans").get(reverse("home")), "zh-hans")
    assert f"{local.month}月{local.day}日 {local:%H:%M}" in chinese
    english = words(reading(client, "en").get(reverse("home")))
    assert f"{dateformat.format(local, 'M j')} {local:%H:%M}" in english
    assert not CHINESE_DATE.search(english), english
    assert not CHINESE_PUNCTUATION.search(english), english


@pytest.fixture
def decided(places, personas, meeting):
    leader = places.leaders[places.cg1]
    case = CaseFactory(
        grid=places.cg1,
        building=places.buildings[places.cg1],
        description="广场桌椅破损",
        state=State.DECIDED,
    )
    item = AgendaItem.objects.create(
        meeting=meeting,
        case=case,
        status="decided",
        plan="翻修",
        responsible="物业",
        public_wording="物业翻修广场桌椅",
        votes_for=3,
        decided_at=timezone.now(),
    )
    for name, organisation in (("张代表", ""), ("李经理", "春光小区物业")):
        Participant.objects.create(
            meeting=meeting,
            kind="resident_rep",
            name=name,
            organisation=organisation,
            attended=True,
            named_in_public=True,
        )
    Task.objects.create(
        case=case,
        title="桌椅先修",
        owner_contact=leader,
        due_date=timezone.localdate() + timedelta(days=7),
        created_by=personas.officer_chunguang,
    )
    return item


def test_the_public_notice_is_punctuated_as_its_language_writes(personas, login, decided):
    client = login(personas.officer_chunguang)
    url = reverse("meetings:notice", args=[decided.meeting_id, decided.pk])
    chinese = words(reading(client, "zh-hans").get(url), "zh-hans")
    assert "水电气暖 · 春光第1网格小区1号楼：广场桌椅破损" in chinese and "反映人：王**" in chinese
    assert "共 2 人参加：居民代表 2 人（其中春光小区物业 1 人）。" in chinese
    assert "其中有：张代表、李经理。" in chinese
    assert "（单元长，" in chinese and "前完成）" in chinese
    english = words(reading(client, "en").get(url))
    assert "2 people took part: resident representative (2), of them 春光小区物业 (1)." in english
    assert "Water, power, gas and heating · 春光第1网格小区1号楼: 广场桌椅破损" in english
    assert "Raised by a resident: 王**" in english and "Among them: 张代表, 李经理." in english
    assert "(unit leader, by " in english and " at the latest)" in english
    assert "deliberation meeting on the following matter. Where: " in english
    assert not re.search(r"\([^()]*\(", english), english  # no bracket inside a bracket
    # The venue and its address after 地点, with no bracket inside a bracket in either language.
    assert "召开议事协商会，就以下事项进行协商。地点：社区会议室 · 春光社区居委会二楼。" in chinese
    Meeting.objects.filter(pk=decided.meeting_id).update(venue_kind="on_site")
    on_site = words(reading(client, "zh-hans").get(url), "zh-hans")
    assert "地点：现场协商（到问题所在的地方开） · 春光社区居委会二楼。" in on_site
    assert not re.search(r"（[^（）]*（", on_site), on_site
    assert not CHINESE_PUNCTUATION.search(english), english
    assert not CHINESE_DATE.search(english), english


def test_the_meetings_public_page_writes_its_time_as_each_language_does(decided):
    meeting = decided.meeting
    client = Client()
    local = timezone.localtime(meeting.starts_at)
    chinese = words(reading(client, "zh-hans").get(public_url(meeting)), "zh-hans")
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in chinese
    english = words(reading(client, "en").get(public_url(meeting)))
    assert f"{dateformat.format(local, 'N j, Y')}, {local:%H:%M}" in english
    assert not CHINESE_PUNCTUATION.search(english), english
    assert not CHINESE_DATE.search(english), english


# People by name ----------------------------------------------------------------------------
def test_the_case_history_names_people_never_by_their_login(places, personas, login, wang):
    officer = personas.officer_chunguang
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, created_by=wang)
    scope = Scope.for_user(officer)
    workflow.perform(
        scope, officer, case.pk, "accept", Ownership(wang, timezone.now() + timedelta(days=2))
    )
    case.refresh_from_db()
    case.state = State.DECIDED
    case.save()
    workflow.add_task(
        scope, officer, case.pk, NewTask("更换水管", timezone.localdate() + timedelta(days=3), wang)
    )
    # A row written before owners were named: it held the login name.
    CaseEvent.objects.create(
        case=case, move="task_added", actor=wang, to_state=case.state, details={"owner": LOGIN}
    )
    for language in ("zh-hans", "en"):
        client = reading(login(officer), language)
        html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert LOGIN not in html and "王芳" in html
        history = html.split('data-testid="timeline"')[1]
        assert history.count("王芳") >= 3  # the logger, the owner accepted for, each task's owner


def test_the_access_log_names_people_never_by_their_login(places, personas, login, wang):
    case = CaseFactory(grid=places.cg1, resident_phone="13911112222")
    login(wang).post(reverse("cases:phone", args=[case.pk]))
    assert AccessEvent.objects.filter(user=wang).exists()
    client = login(personas.street_staff)
    html = client.get(reverse("audit:log")).content.decode()
    assert LOGIN not in html
    assert re.search(rf'<option value="{wang.pk}"[^>]*>王芳</option>', html)
    table = html.split('data-testid="access-log"')[1]
    assert "王芳" in table
    filtered = client.get(reverse("audit:log"), {"user": wang.pk}).content.decode()
    assert LOGIN not in filtered and "王芳" in filtered
    export = client.get(reverse("audit:export", args=["csv"])).content.decode("utf-8-sig")
    assert LOGIN not in export and "王芳" in export


def test_the_meeting_pages_name_people_never_by_their_login(places, personas, login, wang, meeting):
    invite(personas, meeting)
    case = CaseFactory(grid=places.cg1, state=State.DECIDED)
    Task.objects.create(
        case=case,
        title="更换水管",
        owner_user=wang,
        due_date=timezone.localdate(),
        created_by=personas.officer_chunguang,
    )
    for who in (personas.officer_chunguang, wang):
        html = login(who).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
        assert LOGIN not in html and "王芳" in html
    # The overdue page lists the task due today by its owner's name.
    overdue = login(personas.officer_chunguang).get(reverse("notifications:overdue"))
    assert LOGIN not in overdue.content.decode() and "更换水管 · 王芳" in overdue.content.decode()


def test_a_reminder_stored_with_its_old_chinese_glossed_id_reads_in_both_languages(
    places, personas, login
):
    """Titles stored as "Follow-up visit due (查单): %(code)s" before the English lost its
    glosses are renamed by notifications' migration 0008, and read as the new ones."""
    from importlib import import_module

    from django.apps import apps

    worker = personas.worker_cg1
    Notification.objects.create(
        rule="verification_due",
        object_key="case:0",
        due_at=timezone.now(),
        recipient_key=f"user:{worker.pk}",
        user=worker,
        title_msgid="Follow-up visit due (查单): %(code)s",
        params={"code": "YJ2026ABCD"},
        title="该回访了（查单）：YJ2026ABCD",
    )
    import_module("notifications.migrations.0008_titles_without_chinese_glosses").forwards(
        apps, None
    )
    client = login(worker)
    assert "该回访了（查单）：YJ2026ABCD" in words(
        reading(client, "zh-hans").get(reverse("notifications:list")), "zh-hans"
    )
    english = words(reading(client, "en").get(reverse("notifications:list")))
    assert "Follow-up visit due: YJ2026ABCD" in english and "查单" not in english


def test_english_labels_that_start_a_line_start_with_a_capital(places, personas, login, meeting):
    """Choice labels are written lower-case to sit inside sentences; at the head of a heading
    or a line they start with a capital: "春光社区 · Emergency session", "Grid WeChat group"."""
    client = reading(login(personas.officer_chunguang), "en")
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert re.search(r"<h1[^>]*>春光社区 · Emergency session</h1>", page)
    case = CaseFactory(grid=places.cg1, channel="wechat_group")
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Grid WeChat group · " in page


def test_a_meeting_in_a_sentence_reads_its_time_as_the_pages_write_times(
    places, personas, login, meeting
):
    """ "Next: the deliberation meeting of …": in English the time reads 2026-12-17 09:30 as on
    every other page, not 12/17/2026 9:30 a.m.; in Chinese as before."""
    case = CaseFactory(grid=places.cg1, state=State.PROPOSED, owner=personas.officer_chunguang)
    AgendaItem.objects.create(meeting=meeting, case=case, position=1)
    when = timezone.localtime(meeting.starts_at)
    client = login(personas.officer_chunguang)
    english = reading(client, "en").get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f"deliberation meeting of {when:%Y-%m-%d %H:%M}" in english
    assert not re.search(r"\d+/\d+/\d{4}|[ap]\.m\.", english)
    chinese = reading(client, "zh-hans").get(reverse("cases:detail", args=[case.pk]))
    assert f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}" in chinese.content.decode()


def test_a_task_owners_kind_reads_in_the_readers_language(places, personas, login):
    """A task given to the property company's 丁文 reads 丁文 (物业…) in Chinese and
    丁文 (property manager) in English: the kind is kept apart and labelled when read."""
    from grids.models import ContactKind
    from tests.factories import UnitLeaderFactory

    officer = personas.officer_chunguang
    ding = UnitLeaderFactory(
        name="丁文",
        kind=ContactKind.PROPERTY_MANAGER,
        street=places.street,
        community=places.chunguang,
        grid=None,
        unit=None,
    )
    case = CaseFactory(grid=places.cg1, state=State.DECIDED, owner=officer)
    workflow.add_task(
        Scope.for_user(officer),
        officer,
        case.pk,
        NewTask("修好长椅", timezone.localdate() + timedelta(days=3), owner_contact=ding),
    )
    pages = {
        language: reading(login(officer), language)
        .get(reverse("cases:detail", args=[case.pk]))
        .content.decode()
        .split('data-testid="timeline"')[1]
        for language in ("zh-hans", "en")
    }
    with translation.override("zh-hans"):
        chinese_kind = str(ContactKind.PROPERTY_MANAGER.label)
    assert f"丁文 ({chinese_kind})" in pages["zh-hans"]
    assert "丁文 (property manager)" in pages["en"] and chinese_kind not in pages["en"]


def test_what_a_meeting_action_says_when_done_is_in_each_readers_language(
    places, personas, login, meeting
):
    """The first to add a guest reads English, the next Chinese: each is told in their own
    language (the words are looked up when said, not when the page's code was first loaded)."""
    officer = personas.officer_chunguang
    for language, said in (("en", "The guest is added."), ("zh-hans", "来宾已添加。")):
        client = reading(login(officer), language)
        answer = client.post(
            reverse("meetings:action", args=[meeting.pk, "guest"]),
            {"guest-name": f"张工{language}", "guest-organisation": "自来水公司"},
            follow=True,
        )
        assert said in answer.content.decode(), language
