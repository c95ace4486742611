"""The main pages run an exact number of SQL queries, the same with 6 cases or 106: a page
that starts to run a query per row fails here. Each pin lists its queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

EVERY_PAGE = 4  # the session, the user, the user's roles (scope) and the bell's unread count

PINS = {
    # + the count for the paginator, the filter form's communities, grids and categories,
    # the bulk form's owners, the page of rows and their communities (one prefetch)
    "case list": ("street_staff", EVERY_PAGE + 7),
    # + the case, its community, street and logger (prefetches), tasks, history, agenda
    # items, photos, escalations, repeats, open cases at the same place, the resident's
    # rating, the hotline's order reference. The move forms come when their panel is opened
    # (no owner choices here); the meetings this user may read are asked only for a case on
    # a meeting's agenda.
    "case page": ("officer_chunguang", EVERY_PAGE + 13),
    # + the street, its communities, the 10 figure queries, the frozen month, meetings held
    # by kind, by venue and attendances, cases by category, by channel, whether any came
    # from the hotline, and the two queries of the 12-month trend
    "report": ("street_staff", EVERY_PAGE + 21),
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
