"""Each role starts from its to-do list; every count is the length of the list it links to."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Escalation, State, Task
from meetings.models import Meeting, MeetingState, Participant, ParticipantKind
from tests.factories import CaseFactory

# "This week", "today" and "overdue" turn at midnight in Asia/Shanghai and on Mondays.
pytestmark = pytest.mark.django_db


def counts(page: str) -> dict:
    """{queue key: (count shown, link)} from the workbench's cards."""
    found = re.findall(
        r'href="(/cases/\?queue=(\w+))" data-testid="queue-\w+">\s*<div class="card-body py-2">'
        r'\s*<div class="display-6[^"]*">(\d+)</div>',
        page,
    )
    return {key: (int(n), link) for link, key, n in found}


def waiting(page: str) -> dict:
    """{queue key: (count shown, link, label)} from "Waiting for others": not the viewer's to-do."""
    found = re.findall(
        r'href="(/cases/\?queue=(\w+))" data-testid="waiting-\w+"><span>([^<]+)</span>'
        r'<span class="badge[^"]*">(\d+)</span>',
        page,
    )
    return {key: (int(n), link, label) for link, key, label, n in found}


def list_length(client, link) -> int:
    page = client.get(link).content.decode()
    return int(re.search(r'data-testid="case-count">(\d+)', page).group(1))


@pytest.fixture
def workload(places, personas):
    now = timezone.now()
    worker = personas.worker_cg1
    made = {
        "new": CaseFactory(grid=places.cg1),
        "new_cg2": CaseFactory(grid=places.cg2),
        "late": CaseFactory(
            grid=places.cg1, state=State.ACCEPTED, response_deadline=now - timedelta(days=1)
        ),
        "to_visit": CaseFactory(
            grid=places.cg1, state=State.RESOLVED, follow_up_due=now - timedelta(hours=1)
        ),
        "visit_later": CaseFactory(
            grid=places.cg1, state=State.RESOLVED, follow_up_due=now + timedelta(days=5)
        ),
        "proposed": CaseFactory(grid=places.cg2, state=State.PROPOSED),
        "with_task": CaseFactory(grid=places.cg1, state=State.IN_PROGRESS),
        # Decided at a meeting with the grid worker as owner: starting the work is his move.
        "decided_his": CaseFactory(grid=places.cg1, state=State.DECIDED, owner=worker),
        "in_progress_officers": CaseFactory(
            grid=places.cg2, state=State.IN_PROGRESS, owner=personas.officer_chunguang
        ),
        "funan_late": CaseFactory(
            grid=places.fn1, state=State.ACCEPTED, response_deadline=now - timedelta(days=2)
        ),
        "other_street": CaseFactory(grid=places.yy1),
        "other_street_late": CaseFactory(
            grid=places.yy1, state=State.ACCEPTED, response_deadline=now - timedelta(days=2)
        ),
    }
    today = timezone.localdate()
    Task.objects.create(
        case=made["with_task"],
        title="换水龙头阀芯",
        owner_user=worker,
        due_date=today,  # due this week, whatever day today is
        created_by=personas.officer_chunguang,
    )
    Task.objects.create(
        case=made["proposed"],
        title="下周一再议",
        owner_user=personas.officer_chunguang,
        due_date=today + timedelta(days=7 - today.weekday()),  # next Monday: not this week
        created_by=personas.officer_chunguang,
    )
    Escalation.objects.create(case=made["late"], reason="三天没人管", raised_by=worker)
    return made


@pytest.mark.calendar  # what is due this week, this month, next: each edge of the calendar
def test_a_grid_worker_starts_from_the_log_button_and_their_to_do_list(personas, login, workload):
    client = login(personas.worker_cg1)
    page = client.get(reverse("home")).content.decode()
    worker = page[page.index('data-testid="workbench-worker"') :]
    assert worker.index("登记诉求") < worker.index("我的待办")  # the big button comes first
    shown = counts(page)
    assert {key: n for key, (n, _link) in shown.items()} == {
        "follow_up_due": 1,
        "my_cases": 1,  # the decided case he owns, not the officer's
        "my_tasks": 1,
    }
    for n, link in shown.values():
        assert list_length(client, link) == n
    # Accepting is the officer's: in sight, saying who it waits for, never a to-do of his.
    others = waiting(page)
    assert others == {
        # their grid's only; 春光第2网格's new case is not theirs
        "to_accept": (1, "/cases/?queue=to_accept", "等待社区工作人员接单"),
    }
    assert list_length(client, others["to_accept"][1]) == 1


@pytest.mark.calendar  # what is due this week, this month, next: each edge of the calendar
def test_an_officer_sees_the_communitys_queues_and_each_opens_its_list(personas, login, workload):
    client = login(personas.officer_chunguang)
    page = client.get(reverse("home")).content.decode()
    shown = counts(page)
    assert {key: n for key, (n, _link) in shown.items()} == {
        "to_accept": 2,
        "overdue": 1,
        "to_deliberate": 1,
        "my_cases": 1,
        "tasks_this_week": 1,
    }
    for n, link in shown.values():
        assert list_length(client, link) == n
    # 督办 is answered by the street: the officer sees it waits there.
    assert waiting(page) == {
        "escalation_waiting": (1, "/cases/?queue=escalation_waiting", "已督办，等待街道答复")
    }


def test_a_case_already_on_an_agenda_waits_for_its_meeting_not_for_the_officer(
    places, personas, login, workload
):
    """待协商（提） lists what the officer still has to put on a meeting: a 提 case on the
    17th's agenda waits for that meeting, and is neither counted nor listed."""
    from meetings.models import AgendaItem
    from tests.factories import EmergencySessionFactory

    session = EmergencySessionFactory(community=places.chunguang, host=personas.officer_chunguang)
    on_agenda = CaseFactory(grid=places.cg1, state=State.PROPOSED)
    AgendaItem.objects.create(meeting=session, case=on_agenda, position=1)
    client = login(personas.officer_chunguang)
    n, link = counts(client.get(reverse("home")).content.decode())["to_deliberate"]
    assert n == list_length(client, link) == 1
    listed = client.get(link).content.decode()
    assert workload["proposed"].tracking_code in listed and on_agenda.tracking_code not in listed


@pytest.mark.calendar  # what is due this week, this month, next: each edge of the calendar
def test_street_staff_see_the_month_so_far_overdue_by_community_and_the_freeze(
    personas, login, workload
):
    client = login(personas.street_staff)
    page = client.get(reverse("home")).content.decode()
    shown = counts(page)
    assert {key: n for key, (n, _link) in shown.items()} == {
        "escalation_waiting": 1,
        "overdue": 2,  # 春光 and 富南; 友谊街道's is another street's
    }
    by_community = page[page.index('data-testid="overdue-by-community"') :]
    assert "春光社区" in by_community and "富南社区" in by_community
    assert "友谊" not in page
    link = re.search(r'href="(/cases/\?queue=overdue&amp;community=\d+)">富南社区', page).group(1)
    assert list_length(client, link.replace("&amp;", "&")) == 1
    assert "本月截至目前" in page and "响应率" in page
    first = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    assert f"{first:%Y-%m-%d} 00:30" in page


@pytest.mark.calendar  # what is due this week, this month, next: each edge of the calendar
def test_a_worker_sees_the_next_meetings_they_are_invited_to(places, personas, login):
    soon = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        kind="monthly",
        starts_at=timezone.now() + timedelta(days=3),
        venue_kind="offline",
        address="春光社区党群服务中心",
    )
    Participant.objects.create(
        meeting=soon, kind=ParticipantKind.GRID_WORKER, user=personas.worker_cg1, name="网格员"
    )
    page = login(personas.worker_cg1).get(reverse("home")).content.decode()
    assert "春光社区党群服务中心" in page
    other = login(personas.worker_cg2).get(reverse("home")).content.decode()
    assert "春光社区党群服务中心" not in other and "近期没有邀请您参加的会议" in other
    # Opened before its hour and already over: not a next meeting, whatever its hour says.
    Meeting.objects.filter(pk=soon.pk).update(
        starts_at=timezone.now() + timedelta(minutes=20), state=MeetingState.CLOSED
    )
    page = login(personas.worker_cg1).get(reverse("home")).content.decode()
    assert "春光社区党群服务中心" not in page and "近期没有邀请您参加的会议" in page


# Every workbench: the session, the user with its roles (the scope), the bell's unread count
# and the places below with their counts = 4, plus per role:
#   grid worker    the queues' counts (one query), the invitations, the grid's recurring
#                  problems, the grid workers of the grids                             = 8
#   officer        the queues' counts (one query among unfinished cases, one for the
#                  escalations waiting), this week's meetings, the community's
#                  recurring problems, the community's staff                           = 9
#   street staff   the queues' counts (two, as the officer's), overdue by community,
#                  the month so far (the monthly rollups' sums, the medians by street
#                  and overall)                                                        = 9
@pytest.mark.parametrize(
    ("who", "expected"), [("worker_cg1", 8), ("officer_chunguang", 9), ("street_staff", 9)]
)
def test_the_workbench_runs_the_same_queries_for_ten_cases_or_a_hundred(
    places, personas, login, who, expected
):
    client = login(getattr(personas, who))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    CaseFactory.create_batch(10, grid=places.cg1)
    queries()  # warm up
    assert queries() == expected
    CaseFactory.create_batch(90, grid=places.cg1, state=State.ACCEPTED)
    CaseFactory.create_batch(10, grid=places.fn1, state=State.PROPOSED)
    assert queries() == expected
