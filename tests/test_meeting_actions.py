"""The meeting page offers exactly what the meeting's workflow allows this user now, readers of
a meeting (invitees, workers of its agenda's grids) see it without a single button, and an
action the page did not offer is refused with the reason, changing nothing."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleKind
from accounts.scope import Scope
from cases.models import State
from meetings import workflow
from meetings.models import AgendaItem, Meeting, MeetingChange, MeetingState, Participant
from tests.factories import CaseFactory, UserFactory, _category, make_role

pytestmark = pytest.mark.django_db

MEETING_ACTIONS = ["open", "approve", "close", "cancel", "minutes", "invite", "guest"]
MEETING_ACTIONS += ["attendance", "agenda"]
ITEM_ACTIONS = ["decide", "defer", "remove"]


# Templates hold no rule -------------------------------------------------------------------
# A state or status compared (==, !=, in) inside {% if %}/{% elif %}: the page deciding what is
# possible instead of asking the workflow. Badge colours come from a mapping in the view.
STATE_COMPARISON = re.compile(
    r"\{%-?\s*(?:el)?if\b(?P<condition>[^%]*?"
    r"(?:\b[\w.]*(?:state|status)\s*(?:==|!=|(?:not\s+)?in\b)"
    r"|(?:==|!=)\s*[\w.]*(?:state|status)\b)[^%]*)%\}"
)


def test_no_template_compares_a_state_or_status():
    offenders = []
    for template in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            for match in STATE_COMPARISON.finditer(line):
                offenders.append(f"{template.name}:{number}: {match.group(0)}")
    assert offenders == []


def test_the_scan_would_catch_a_state_comparison():
    for rule in (
        '{% if meeting.state == "held" %}',
        "{% elif item.status != 'pending' and x %}",
        "{% if case.state in closed_states %}",
        '{% if "done" == task.status %}',
    ):
        assert STATE_COMPARISON.search(rule), rule
    assert not STATE_COMPARISON.search('{% if "open" in actions %}')


# A meeting in each state, seen by each role ------------------------------------------------
@pytest.fixture
def worker_fn1(places):
    user = UserFactory(username="worker_fn1")
    make_role(user, RoleKind.GRID_WORKER, places.fn1)
    return user


@pytest.fixture
def meeting(places, personas, worker_fn1):
    """富南社区's session today, hosted by its officer, with one case on the agenda, another
    waiting for deliberation, and the grid worker of 富南第1网格 invited."""
    start = timezone.localtime().replace(hour=0, minute=5)  # today: it may be opened
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="emergency",
        starts_at=start,
        venue_kind="room",
        address="富南社区会议室",
        host=personas.officer_funan,
    )
    benches = CaseFactory(
        grid=places.fn1,
        category=_category("设施维修"),
        description="广场连体桌椅破损",
        state=State.PROPOSED,
        owner=personas.officer_funan,
        created_at=start - timedelta(minutes=5),  # logged before the session sat
    )
    CaseFactory(
        grid=places.fn1,
        description="楼道灯不亮",
        state=State.PROPOSED,
        created_at=start - timedelta(minutes=5),
    )
    AgendaItem.objects.create(meeting=meeting, case=benches, position=1)
    Participant.objects.create(meeting=meeting, kind="grid_worker", name="网格员", user=worker_fn1)
    return meeting


def offered(page: str, meeting) -> set[str]:
    """The actions a page offers: every form posting to the meeting, and its edit link."""
    names = set()
    for action in MEETING_ACTIONS:
        if f'action="{reverse("meetings:action", args=[meeting.pk, action])}"' in page:
            names.add(action)
    for item in meeting.items.all():
        for action in ITEM_ACTIONS:
            address = reverse("meetings:item_action", args=[meeting.pk, item.pk, action])
            if f'action="{address}"' in page:
                names.add(f"item:{action}")
    if f'href="{reverse("meetings:edit", args=[meeting.pk])}"' in page:
        names.add("edit")
    return names


def move_to(meeting, state):
    """Put the meeting in `state` as the workflow would have left it."""
    item = meeting.items.get()
    if state in (MeetingState.APPROVED, MeetingState.CLOSED):
        item.status, item.plan, item.decided_at = "decided", "翻修", timezone.now()
        item.save()
        meeting.minutes = "会议纪要"
    if state == MeetingState.HELD:
        meeting.minutes = "会议纪要（草稿）"
    meeting.state = state
    meeting.save()


RUNNING = {"edit", "cancel", "invite", "guest", "attendance", "agenda"}
EXPECTED = {
    # (state, whether the user hosts it) -> what the page offers an officer of the community
    (MeetingState.SCHEDULED, True): RUNNING | {"open", "item:remove"},
    (MeetingState.SCHEDULED, False): RUNNING | {"open", "item:remove"},
    (MeetingState.HELD, True): {"invite", "guest", "attendance", "agenda", "minutes", "approve"}
    | {"item:decide", "item:defer"},
    (MeetingState.HELD, False): {"invite", "guest", "attendance", "agenda", "minutes"}
    | {"item:decide", "item:defer"},
    (MeetingState.APPROVED, True): {"close"},
    (MeetingState.APPROVED, False): {"close"},
    (MeetingState.CLOSED, True): set(),
    (MeetingState.CLOSED, False): set(),
    (MeetingState.CANCELLED, True): set(),
    (MeetingState.CANCELLED, False): set(),
}


@pytest.mark.parametrize("state", list(MeetingState))
@pytest.mark.parametrize("who", ["officer_funan", "street_staff", "worker_fn1"])
def test_each_action_is_offered_exactly_when_the_workflow_allows_it(
    personas, worker_fn1, login, meeting, state, who
):
    move_to(meeting, state)
    user = worker_fn1 if who == "worker_fn1" else getattr(personas, who)
    response = login(user).get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    expected = set() if who == "worker_fn1" else EXPECTED[(state, who == "officer_funan")]
    assert offered(page, meeting) == expected
    # The page and the workflow agree: what is offered is what available_actions returns.
    actions = workflow.available_actions(Scope.for_user(user), user, meeting)
    item = meeting.items.get()
    from_workflow = set(actions.meeting) | {f"item:{a}" for a in actions.on(item)}
    assert from_workflow == expected


def test_approving_the_minutes_is_offered_once_they_are_written(personas, login, meeting):
    move_to(meeting, MeetingState.HELD)
    meeting.minutes = "  "
    meeting.save()
    client = login(personas.officer_funan)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "approve" not in offered(page, meeting) and "minutes" in offered(page, meeting)
    meeting.minutes = "居民代表与物业商定修桌椅"
    meeting.save()
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "approve" in offered(page, meeting)


def test_a_session_is_not_offered_for_opening_or_attendance_before_its_day(
    personas, login, meeting
):
    """Ten days ahead nobody has come yet: attendance ticked then would be a claim that isn't
    true, and is refused as opening is."""
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() + timedelta(days=10))
    meeting.refresh_from_db()
    invited = meeting.participants.create(kind="guest", name="张代表")
    client = login(personas.officer_funan)
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert offered(page.content.decode(), meeting) == (RUNNING - {"attendance"}) | {"item:remove"}
    response = client.post(
        reverse("meetings:action", args=[meeting.pk, "attendance"]), {"attended": [invited.pk]}
    )
    assert "起方可开会，不能提前" in response.content.decode()
    invited.refresh_from_db()
    assert not invited.attended


def test_an_officer_of_another_community_gets_404_on_the_page_and_every_action(
    personas, login, meeting
):
    client = login(personas.officer_chunguang)
    item = meeting.items.get()
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    for action in MEETING_ACTIONS:
        address = reverse("meetings:action", args=[meeting.pk, action])
        assert client.post(address).status_code == 404, action
    for action in ITEM_ACTIONS:
        address = reverse("meetings:item_action", args=[meeting.pk, item.pk, action])
        assert client.post(address).status_code == 404, action


def snapshot(meeting):
    meeting.refresh_from_db()
    return (
        meeting.state,
        meeting.minutes,
        meeting.version,
        MeetingChange.objects.filter(meeting=meeting).count(),
        list(meeting.items.values_list("pk", "status", "plan", "discussion")),
        list(meeting.participants.values_list("pk", "attended", "named_in_public")),
    )


def posts(meeting):
    item = meeting.items.get()
    p = f"item{item.pk}"
    data = {
        "cancel-reason": "下雨",
        "minutes-minutes": "改写的纪要",
        "minutes-version": str(meeting.version),
        "guest-name": "来宾",
        "invite-kinds": ["party_member"],
        "attended": [p.pk for p in meeting.participants.all()],
        "cases": [c.pk for c in workflow.offered_cases(meeting)],
        f"{p}-plan": "方案",
        f"{p}-discussion": "讨论",
        f"{p}-votes_for": "5",
        f"{p}-votes_against": "0",
        f"{p}-votes_abstain": "0",
        f"{p}-responsible": "社区",
        f"defer{item.pk}-discussion": "再议",
    }
    return [
        (reverse("meetings:action", args=[meeting.pk, a]), a, data) for a in MEETING_ACTIONS
    ] + [
        (reverse("meetings:item_action", args=[meeting.pk, item.pk, a]), f"item:{a}", data)
        for a in ITEM_ACTIONS
    ]


@pytest.mark.parametrize("state", list(MeetingState))
def test_posting_an_action_the_page_did_not_offer_is_refused_and_changes_nothing(
    personas, login, meeting, state
):
    move_to(meeting, state)
    client = login(personas.street_staff)  # an officer of the street, not the host
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    shown = offered(page, meeting)
    for address, name, data in posts(meeting):
        if name in shown:
            continue
        before = snapshot(meeting)
        response = client.post(address, data)
        assert response.status_code == 409, (state, name)
        assert 'data-testid="refusal"' in response.content.decode(), (state, name)
        assert snapshot(meeting) == before, (state, name)


def test_a_reader_posting_any_action_is_told_only_officers_run_meetings(worker_fn1, login, meeting):
    client = login(worker_fn1)
    for address, name, data in posts(meeting):
        before = snapshot(meeting)
        response = client.post(address, data)
        assert response.status_code == 409, name
        assert "只有本社区工作人员可以组织会议" in response.content.decode(), name
        assert snapshot(meeting) == before, name


def test_the_edit_form_of_a_held_meeting_is_refused_with_why(personas, login, meeting):
    move_to(meeting, MeetingState.HELD)
    response = login(personas.officer_funan).get(reverse("meetings:edit", args=[meeting.pk]))
    assert response.status_code == 409 and "不能" in response.content.decode()


# Readers: invitees and the workers of the agenda's grids ---------------------------------
def decided(meeting):
    move_to(meeting, MeetingState.CLOSED)
    return meeting.items.get()


def test_a_worker_of_an_agenda_grid_reads_the_meeting_and_its_notice(places, login, meeting):
    worker = UserFactory(username="worker_fn1_b")  # not invited; their grid's case is on it
    make_role(worker, RoleKind.GRID_WORKER, places.fn1)
    item = decided(meeting)
    client = login(worker)
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200 and "会议纪要" in page.content.decode()
    assert offered(page.content.decode(), meeting) == set()
    assert 'data-testid="notice-link"' in page.content.decode()
    notice = client.get(reverse("meetings:notice", args=[meeting.pk, item.pk]))
    assert notice.status_code == 200 and "翻修" in notice.content.decode()


def test_an_invited_worker_of_another_grid_reads_it_without_links_to_cases_they_cannot_open(
    personas, login, meeting
):
    Participant.objects.create(
        meeting=meeting, kind="grid_worker", name="春光网格员", user=personas.worker_cg1
    )
    item = decided(meeting)
    client = login(personas.worker_cg1)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "广场连体桌椅破损" in page
    assert reverse("cases:detail", args=[item.case_id]) not in page
    assert f'href="{reverse("meetings:list")}"' not in page  # the list is for officers
    assert client.get(reverse("meetings:notice", args=[meeting.pk, item.pk])).status_code == 200


@pytest.mark.parametrize("outsider", ["worker_cg2", "officer_chunguang", "other_street_staff"])
def test_everyone_else_still_gets_404(personas, login, meeting, outsider):
    item = decided(meeting)
    client = login(getattr(personas, outsider))
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:notice", args=[meeting.pk, item.pk])).status_code == 404
    assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 404


def test_readers_do_not_see_the_meeting_in_officers_lists(worker_fn1, login, meeting):
    assert login(worker_fn1).get(reverse("meetings:list")).status_code == 404


def test_the_grid_workers_case_page_and_workbench_link_to_the_meeting(worker_fn1, login, meeting):
    client = login(worker_fn1)
    item = meeting.items.get()
    address = reverse("meetings:detail", args=[meeting.pk])
    case_page = client.get(reverse("cases:detail", args=[item.case_id])).content.decode()
    assert f'href="{address}"' in case_page
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() + timedelta(days=1))
    home = client.get(reverse("home")).content.decode()
    assert f'href="{address}"' in home
    assert client.get(address).status_code == 200
