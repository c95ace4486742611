"""Races users cause: many people pressing 接单 at once, two people editing one meeting, and
one recording a meeting's attendance while another records its vote.

The accept race goes through the page (the HTTP view, its transaction and row lock) on real
PostgreSQL connections, one per person, and prints its figures (run with -s to read them).
"""

import re
import threading
import time
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from cases import workflow
from cases.models import Case, CaseEvent, State
from meetings import workflow as meetings
from meetings.inputs import Attendance, ItemDecision
from meetings.models import AgendaItem, ItemStatus, Meeting, MeetingChange
from tests.factories import CaseFactory, UserFactory, attendees, make_role
from tests.moves import by_form
from tests.test_workflow import accept_data

PRESSERS = 50
ROUNDS = 20


def backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _wait_until_gone(before):
    deadline = time.monotonic() + 10
    while backends() > before and time.monotonic() < deadline:
        time.sleep(0.05)


def at_once(actions):
    """Run each action in its own thread and database connection, released together; return
    once their connections are gone from the server too, so that rounds in a row never hold
    more than one round's connections (PostgreSQL allows 100 by default)."""
    with Crowd(len(actions)) as crowd:
        return crowd.press(actions)


class Crowd:
    """People who press at once, round after round: each on a thread and a database connection
    of their own, kept for every round (a thousand connections opened and closed for twenty
    rounds of fifty cost more than the rounds themselves). Each round starts every action at
    the same moment, as a barrier releases them all."""

    def __init__(self, size):
        self.size, self.closing = size, False
        self.before = backends()
        self.actions, self.outcomes = [None] * size, [None] * size
        self.start, self.done = threading.Barrier(size + 1), threading.Barrier(size + 1)
        self.threads = [threading.Thread(target=self._serve, args=(n,)) for n in range(size)]
        for thread in self.threads:
            thread.start()

    def _serve(self, index):
        try:
            while True:
                self.start.wait()
                if self.closing:
                    return
                try:
                    self.outcomes[index] = self.actions[index]()
                except BaseException as error:  # said in the test's own thread
                    self.outcomes[index] = error
                self.done.wait()
        finally:
            connection.close()

    def press(self, actions):
        assert len(actions) == self.size
        self.actions = list(actions)
        self.start.wait()
        self.done.wait()
        for outcome in self.outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return list(self.outcomes)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.closing = True
        self.start.wait()
        for thread in self.threads:
            thread.join()
        _wait_until_gone(self.before)


@pytest.fixture
def fifty_officers(places, personas):
    from accounts.models import RoleKind

    officers = [personas.officer_chunguang]
    for n in range(PRESSERS - 1):
        officer = UserFactory(username=f"officer_chunguang_{n}")
        make_role(officer, RoleKind.COMMUNITY_OFFICER, places.chunguang)
        officers.append(officer)
    return officers


def accept_move(officer, case, data):
    def action():
        try:
            by_form(officer, case.pk, "accept", data)
        except workflow.MoveRefused:
            return "refused"
        return "moved"

    return action


@pytest.mark.timeout(120)  # twenty rounds of fifty threads
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_accepts_make_one_move_twenty_times_over(places, personas, fifty_officers):
    data = {f"accept-{k}": v for k, v in accept_data(personas.officer_chunguang).items()}
    moved = refused = 0
    with Crowd(PRESSERS) as crowd:
        for _ in range(ROUNDS):
            case = CaseFactory(grid=places.cg1, created_by=personas.worker_cg1)
            outcomes = crowd.press([accept_move(officer, case, data) for officer in fifty_officers])
            assert sorted(outcomes) == ["moved"] + ["refused"] * (PRESSERS - 1)
            assert CaseEvent.objects.filter(case=case, move="accept").count() == 1
            moved += outcomes.count("moved")
            refused += outcomes.count("refused")
    rows = CaseEvent.objects.filter(move="accept").count()
    print(
        f"\n[races] {ROUNDS} rounds × {PRESSERS} concurrent accepts: {moved} moves, "
        f"{rows} history rows, {refused} refused"
    )
    assert (moved, rows, refused) == (ROUNDS, ROUNDS, ROUNDS * (PRESSERS - 1))


@pytest.mark.django_db(transaction=True)
def test_fifty_people_pressing_accept_on_the_page_at_once_make_one_move(
    places, personas, fifty_officers
):
    clients = []
    for officer in fifty_officers:
        client = Client()
        client.force_login(officer)
        clients.append(client)
    data = {f"accept-{k}": v for k, v in accept_data(personas.officer_chunguang).items()}
    case = CaseFactory(grid=places.cg1, created_by=personas.worker_cg1)
    url = reverse("cases:move", args=[case.pk, "accept"])
    statuses = at_once([lambda c=client: c.post(url, data).status_code for client in clients])
    assert sorted(statuses) == [302] + [409] * (PRESSERS - 1), statuses
    assert CaseEvent.objects.filter(case=case, move="accept").count() == 1
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def version_in(page, prefix=""):
    name = f"{prefix}-version" if prefix else "version"
    return re.search(rf'name="{name}" value="(\d+)"', page).group(1)


@pytest.fixture
def two_officers(places, personas, login):
    from accounts.models import RoleKind
    from meetings import workflow

    colleague = UserFactory(username="officer_funan_2")
    make_role(colleague, RoleKind.COMMUNITY_OFFICER, places.funan)
    workflow.schedule_monthly_sessions(SESSION_MONTH, [places.funan])
    first, second = Client(), Client()
    first.force_login(personas.officer_funan)
    second.force_login(colleague)
    return Meeting.objects.get(community=places.funan), first, second


SESSION_MONTH = date(2030, 5, 1)


def moved_to(officer, address, version, hour):
    return {  # the session's own day, at another hour (a monthly session keeps its 17th)
        "starts_at": f"2030-05-17T{hour}:00",
        "venue_kind": "pavilion",
        "address": address,
        "host": officer.pk,
        "version": version,
    }


@pytest.mark.django_db
def test_two_stale_edit_forms_the_second_gets_a_conflict_not_an_overwrite(personas, two_officers):
    meeting, first, second = two_officers
    edit = reverse("meetings:edit", args=[meeting.pk])
    first_version = version_in(first.get(edit).content.decode())
    second_version = version_in(second.get(edit).content.decode())
    host = personas.officer_funan
    saved = first.post(edit, moved_to(host, "金苑小区议事亭", first_version, 19))
    assert saved.status_code == 302
    stale = second.post(edit, moved_to(host, "社区会议室二楼", second_version, 9))
    page = stale.content.decode()
    assert stale.status_code == 400 and "其他人保存了这次会议" in page
    meeting.refresh_from_db()
    assert meeting.address == "金苑小区议事亭" and meeting.version == 1
    assert MeetingChange.objects.filter(what="moved").count() == 1
    # The refused form keeps the user's text and now carries the current version: saving
    # again is a deliberate choice.
    assert "社区会议室二楼" in page and version_in(page) == "1"
    again = second.post(edit, moved_to(host, "社区会议室二楼", version_in(page), 9))
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert meeting.address == "社区会议室二楼" and meeting.version == 2


@pytest.mark.django_db
def test_two_secretaries_drafting_minutes_the_second_sees_the_saved_text(two_officers):
    meeting, first, second = two_officers
    Meeting.objects.filter(pk=meeting.pk).update(state="held")
    page = reverse("meetings:detail", args=[meeting.pk])
    save = reverse("meetings:action", args=[meeting.pk, "minutes"])
    stale_version = version_in(second.get(page).content.decode(), "minutes")
    version = version_in(first.get(page).content.decode(), "minutes")
    first.post(save, {"minutes-minutes": "甲记录：决定翻修桌椅", "minutes-version": version})
    response = second.post(
        save, {"minutes-minutes": "乙记录：物业每日双巡", "minutes-version": stale_version}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "其他人保存了这次会议" in body
    assert "甲记录：决定翻修桌椅" in body and "乙记录：物业每日双巡" in body
    assert Meeting.objects.get(pk=meeting.pk).minutes == "甲记录：决定翻修桌椅"
    bad = second.post(save, {"minutes-minutes": "丙", "minutes-version": "abc"})
    assert bad.status_code == 400
    assert Meeting.objects.get(pk=meeting.pk).minutes == "甲记录：决定翻修桌椅"


@pytest.mark.django_db(transaction=True)
def test_attendance_and_a_vote_recorded_at_once_never_leave_more_votes_than_attendees(
    places, personas
):
    """5 present; at once, one officer unticks 3 of them while another records 3 for, 1
    against and 1 abstaining. Under the meeting's lock one of the two is refused, whichever
    comes second, so the notice never counts 5 votes among 2 attendees."""
    officer = personas.officer_funan
    scope = Scope.for_user(officer)
    vote = ItemDecision(
        discussion="居民代表共同讨论", plan="翻修连体桌椅", votes_for=3, votes_against=1,
        votes_abstain=1, responsible="社区、物业",
    )  # fmt: skip
    for _round in range(5):
        meeting = Meeting.objects.create(
            street=places.street,
            community=places.funan,
            kind="emergency",
            starts_at=timezone.now(),
            venue_kind="on_site",
            host=officer,
            state="held",
        )
        case = CaseFactory(grid=places.fn1, state=State.DELIBERATING, owner=officer)
        item = AgendaItem.objects.create(meeting=meeting, case=case)
        two = Attendance(attended=frozenset(p.pk for p in attendees(meeting, 5)[:2]))

        def attend(meeting=meeting, two=two):
            try:
                meetings.record_attendance(scope, officer, meeting.pk, two)
                return "attendance"
            except workflow.MoveRefused:
                return "refused"

        def decide(meeting=meeting, item=item):
            try:
                meetings.record_decision(scope, officer, meeting.pk, item.pk, vote)
                return "decision"
            except workflow.MoveRefused:
                return "refused"

        outcomes = at_once([attend, decide])
        assert outcomes.count("refused") == 1, outcomes
        item.refresh_from_db()
        attended = meeting.participants.filter(attended=True).count()
        if item.status == ItemStatus.DECIDED:
            assert attended == 5
        else:
            assert attended == 2 and Case.objects.get(pk=case.pk).state == State.DELIBERATING
