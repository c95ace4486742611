"""The main pages run an exact number of SQL queries, the same with 6 cases or 106: a page
that starts to run a query per row fails here. Each pin lists its queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Category, Escalation, ResidentRating, State, Task
from cases.photos import clean_photo
from cases.workflow import add_photo
from interop import keys
from interop.models import ExternalRef, PartnerKind
from meetings.models import AgendaItem, Meeting
from tests.factories import CaseFactory, upload

pytestmark = pytest.mark.django_db

EVERY_PAGE = 3  # the session, the user with its roles (the scope, one query) and the bell's count

PINS = {
    # + the count for the paginator, the page of rows and their communities' names (one more
    # query each for units, buildings without a unit, owners, when the rows have any);
    # the filter panel's places and categories and the bulk form's owners are rendered once
    # per process until they change (common/fragments.py, tests/test_list_fragments.py)
    "case list": ("street_staff", EVERY_PAGE + 3),
    # + the case (with its grid, category and community, and whether it has tasks, photos,
    # escalations, repeats, a rating, meetings or an outside source), its logger, its history
    # and the open cases at the same place, and the recurring problem it belongs to. A fresh
    # case has none of those lists, so none is asked for; the move forms come when their panel
    # is opened (test_case_forms.py).
    "case page": ("officer_chunguang", EVERY_PAGE + 5),
    # + the street, its communities, the month's figures (the rollups' sums by community, and
    # the medians by community and overall in one query), the frozen month, meetings held by
    # kind, by venue and attendances, the category names, cases by category, by channel,
    # whether any came from the hotline, and the 12-month trend (one query of the rollups);
    # recurring problems: the hot spots, 每月一题's candidates and "did it work" (one each);
    # and the twelve months' tokens, read once (a past month's figures, breakdown, trend and
    # hot spots are kept once settled, and then read no query of their own: reports/kept.py)
    "report": ("street_staff", EVERY_PAGE + 17),
    # + the meeting, its agenda items, participants, the community's cases offered for the
    # agenda, the outside bodies offered for invitation, and the meeting's history
    "meeting page": ("officer_chunguang", EVERY_PAGE + 6),
}


@pytest.fixture
def pages(places):
    case = CaseFactory(grid=places.cg1)
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        kind="monthly",
        starts_at=timezone.now() + timedelta(days=3),
        venue_kind="offline",
    )
    return {
        "case list": reverse("cases:list"),
        "case page": reverse("cases:detail", args=[case.pk]),
        "report": reverse("reports:report"),
        "meeting page": reverse("meetings:detail", args=[meeting.pk]),
    }


@pytest.mark.parametrize("page", PINS)
def test_each_main_page_runs_its_pinned_queries_whatever_the_rows(
    places, personas, login, pages, page
):
    who, expected = PINS[page]
    client = login(getattr(personas, who))
    CaseFactory.create_batch(5, grid=places.cg1)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(pages[page]).status_code == 200
        return len(captured)

    queries()  # warm up
    assert queries() == expected
    CaseFactory.create_batch(100, grid=places.cg1)
    assert queries() == expected


# A case that has one of everything the page lists: the page asks for each list once,
# whatever its length.
# + the case (as above), its unit with its building (one query), its owner and logger (one query),
# tasks, history, agenda items, photos, escalations, repeats, open cases at the same place,
# whether an escalation waits, the meetings this user may read, the resident's rating, the
# outside source's panel: its order (asked twice: the panel and whether an extension may
# be asked), whether an answer waits and its messages, and its recurring problem
CASE_PAGE_WITH_EVERY_LIST = EVERY_PAGE + 18


def test_the_case_page_asks_once_for_each_list_whatever_its_length(places, personas, login):
    officer, worker = personas.officer_chunguang, personas.worker_cg1
    unit = places.leaders[places.cg1].unit
    case = CaseFactory(
        grid=places.cg1,
        building=unit.building,
        unit=unit,
        state=State.IN_PROGRESS,
        owner=officer,
        created_by=worker,
        response_deadline=timezone.now() - timedelta(days=1),
    )
    hotline = keys.create_partner(personas.street_staff, places.street, "热线", PartnerKind.HOTLINE)
    ExternalRef.objects.create(case=case, partner=hotline, source="hotline", external_id="GD1")
    ResidentRating.objects.create(case=case, satisfaction="satisfied")

    def one_of_each(n):
        add_photo(case, clean_photo(upload()), worker)
        Task.objects.create(
            case=case,
            title=f"任务{n}",
            owner_user=officer,
            due_date=timezone.localdate(),
            created_by=officer,
        )
        Escalation.objects.filter(case=case).update(answered_at=timezone.now())
        Escalation.objects.create(case=case, reason=f"逾期{n}", raised_by=worker)
        CaseFactory(grid=places.cg1, building=unit.building, unit=unit, duplicate_of=case)
        meeting = Meeting.objects.create(
            street=places.street,
            community=places.chunguang,
            kind="monthly",
            starts_at=timezone.now() + timedelta(days=n),
            venue_kind="offline",
        )
        AgendaItem.objects.create(meeting=meeting, case=case)
        CaseEvent.objects.create(case=case, move="task_added", actor=officer)

    client = login(officer)
    url = reverse("cases:detail", args=[case.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one_of_each(1)
    queries()  # warm up
    assert queries() == CASE_PAGE_WITH_EVERY_LIST
    for n in range(2, 6):
        one_of_each(n)
    assert queries() == CASE_PAGE_WITH_EVERY_LIST


# Logging a case, as the grid worker's phone sends it (grid, building and unit): the session,
# the user with its roles; the unit with its building, grid, community and street (one query,
# in the user's places); the category; then in one transaction the case, its first history
# row, and its month in the report's rollups with the place totals (one round trip; BEGIN and
# COMMIT, or a savepoint inside the tests' transaction).
LOG_A_CASE = 2 + 2 + 5
# Marked as repeating an open case: + that case among the open cases at the place (one query),
# locked again in the transaction, and the link's history row; the link takes the case out of
# the overdue count, so its months are worked out again (the case locked, its history, rating,
# escalations and months read, and the new months and totals written in one round trip).
LOG_A_REPEAT = LOG_A_CASE + 3 + 5


def test_logging_a_case_runs_its_pinned_queries_whatever_the_rows(places, personas, login):
    unit = places.leaders[places.cg1].unit
    client = login(personas.worker_cg1)
    earlier = CaseFactory(grid=places.cg1, building=unit.building, unit=unit)

    def log(**extra):
        data = {
            "grid": places.cg1.pk,
            "building": unit.building_id,
            "unit": unit.pk,
            "category": Category.objects.get(name="水电气暖").pk,
            "description": "楼道灯坏了，晚上看不见",
            "resident_name": "居民",
            "resident_phone": "13912345678",
            "channel": "visit",
            "urgency": "routine",
            **extra,
        }
        with CaptureQueriesContext(connection) as captured:
            assert client.post(reverse("cases:new"), data).status_code == 302
        return len(captured)

    log()  # warm up
    assert log() == LOG_A_CASE
    assert log(duplicate_of=earlier.pk) == LOG_A_REPEAT
    CaseFactory.create_batch(100, grid=places.cg1, building=unit.building, unit=unit)
    assert log() == LOG_A_CASE
    assert log(duplicate_of=earlier.pk) == LOG_A_REPEAT
    assert Case.objects.filter(duplicate_of=earlier).count() == 2
