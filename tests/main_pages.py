"""The main pages of each role and the residents' pages, with a little data to show: the
crawls of the language and accessibility tests walk these."""

from django.urls import reverse

from cases.models import State
from meetings.models import Meeting
from meetings.workflow import schedule_monthly_sessions
from tests.factories import CaseFactory, _category
from tests.test_meetings import session_month

ROLES = ["street_staff", "officer_chunguang", "worker_cg1"]


def sample_data(personas, places):
    """A case accepted by the officer and the community's monthly session."""
    case = CaseFactory(
        grid=places.cg1,
        building=places.buildings[places.cg1],
        category=_category("水电气暖"),
        description="水龙头滴水，一夜没睡好",
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        resident_phone="13912345678",
    )
    schedule_monthly_sessions(session_month(), [places.chunguang])
    return case, Meeting.objects.get(community=places.chunguang)


def staff_pages(role, case, meeting, places):
    common = [
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:new"),
        reverse("cases:detail", args=[case.pk]),
        reverse("reports:report"),
        reverse("notifications:list"),
        reverse("notifications:settings"),
        reverse("password_change"),
    ]
    per_role = {
        "street_staff": [
            reverse("grids:street", args=[places.street.pk]),
            reverse("grids:import"),
            reverse("audit:log"),
            reverse("meetings:list"),
            reverse("meetings:calendar"),
            reverse("meetings:stats"),
            reverse("reports:report") + f"?community={places.chunguang.pk}",
        ],
        "officer_chunguang": [
            reverse("grids:community", args=[places.chunguang.pk]),
            reverse("grids:grid", args=[places.cg1.pk]),
            reverse("meetings:list"),
            reverse("meetings:calendar"),
            reverse("meetings:new"),
            reverse("meetings:detail", args=[meeting.pk]),
            reverse("notifications:overdue"),
        ],
        "worker_cg1": [reverse("grids:grid", args=[places.cg1.pk])],
    }
    return common + per_role[role]


def resident_pages(places):
    unit = places.leaders[places.cg1].unit
    return [
        reverse("residents:start"),
        reverse("residents:community", args=[places.chunguang.pk]),
        reverse("residents:place", args=[unit.public_code]),
        reverse("residents:status"),
    ]
