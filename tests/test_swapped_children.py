"""A child object put under another parent's URL is refused, even when the user may see both:
a photo, a task, an escalation, an agenda item, a history entry.

(Photos: tests/test_case_access.py; tasks: tests/test_case_pages.py. History entries have no
URL of their own: a case page shows only its own.)
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, Escalation, State
from meetings.models import AgendaItem, ItemStatus, Meeting
from tests.factories import CaseFactory
from tests.moves import by_form
from tests.test_meetings import decision

pytestmark = pytest.mark.django_db


def test_an_escalation_of_one_case_cannot_be_answered_through_another(personas, places, login):
    late = timezone.now() - timedelta(hours=3)
    escalated = CaseFactory(grid=places.cg1, response_deadline=late)
    other = CaseFactory(grid=places.cg1, response_deadline=late)
    escalation = Escalation.objects.create(
        case=escalated, reason="一天没人接单", raised_by=personas.worker_cg1
    )
    new_deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = login(personas.street_staff).post(
        reverse("cases:escalation_answer", args=[other.pk, escalation.pk]),
        {
            "answer-comment": "请尽快接单",
            "answer-new_deadline": new_deadline,
            "comment": "请尽快接单",
            "new_deadline": new_deadline,
        },
    )
    assert response.status_code in (404, 409)
    escalation.refresh_from_db()
    assert escalation.answered_at is None and escalation.comment == ""


@pytest.fixture
def two_meetings(places, personas):
    officer = personas.officer_funan

    def meeting(day):
        held = Meeting.objects.create(
            street=places.street,
            community=places.funan,
            kind="emergency",
            starts_at=timezone.now() - timedelta(days=day),
            venue_kind="room",
            host=officer,
            state="held",
        )
        case = CaseFactory(grid=places.fn1, state=State.DELIBERATING, owner=officer)
        return held, AgendaItem.objects.create(meeting=held, case=case)

    return meeting(1), meeting(2)


@pytest.mark.parametrize("action", ["decide", "defer", "remove"])
def test_an_agenda_item_of_one_meeting_cannot_be_acted_on_through_another(
    personas, login, two_meetings, action
):
    (_first, item), (second, _other_item) = two_meetings
    data = {**decision(item), f"defer{item.pk}-discussion": "下次再议"}
    client = login(personas.officer_funan)
    response = client.post(reverse("meetings:item_action", args=[second.pk, item.pk, action]), data)
    assert response.status_code in (404, 409)
    assert AgendaItem.objects.get(pk=item.pk).status == ItemStatus.PENDING
    assert item.case.__class__.objects.get(pk=item.case_id).state == State.DELIBERATING
    notice = client.get(reverse("meetings:notice", args=[second.pk, item.pk]))
    assert notice.status_code == 404


def test_a_case_page_shows_only_its_own_history(personas, places, login):
    mine = CaseFactory(grid=places.cg1)
    other = CaseFactory(grid=places.cg1)
    by_form(
        personas.officer_chunguang,
        other.pk,
        "decline",
        {"decline-note": "OTHER-CASE-HISTORY 重复诉求", "decline-explanation": "已合并"},
    )
    assert CaseEvent.objects.filter(case=other, move="decline").exists()
    page = login(personas.officer_chunguang).get(reverse("cases:detail", args=[mine.pk]))
    assert "OTHER-CASE-HISTORY" not in page.content.decode()
