"""What a new user tripped over: an emergency session called twice, a deadline in 9999, and
accepting a case with the page's defaults."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, State
from meetings.models import Meeting
from notifications.models import Notification
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_an_emergency_session_is_called_once_and_its_people_invited_once(places, personas, login):
    pipe = CaseFactory(
        grid=places.cg1, urgency="urgent", state=State.ACCEPTED, owner=personas.officer_chunguang
    )
    client = login(personas.officer_chunguang)
    form = {
        "emergency-day": "tomorrow",
        "emergency-at": "18:30",
        "emergency-venue_kind": "on_site",
        "emergency-address": "1号楼下",
    }
    first = client.post(reverse("meetings:emergency", args=[pipe.pk]), form)
    assert first.status_code == 302
    invitations = Notification.objects.count()
    page = client.get(reverse("cases:detail", args=[pipe.pk])).content.decode()
    assert "召集紧急协商会" not in page  # no second form while the session is pending
    second = client.post(reverse("meetings:emergency", args=[pipe.pk]), form, follow=True)
    assert "这件诉求的紧急协商会已经召集" in second.content.decode()
    assert Meeting.objects.count() == 1 and Notification.objects.count() == invitations


@pytest.mark.parametrize("far", ["9999-12-31T23:59", "2099-01-01T10:00"])
def test_a_deadline_beyond_a_year_is_refused(places, personas, login, far):
    case = CaseFactory(grid=places.cg1)
    response = login(personas.officer_chunguang).post(
        reverse("cases:move", args=[case.pk, "accept"]),
        {"accept-owner": personas.officer_chunguang.pk, "accept-response_deadline": far},
    )
    assert response.status_code == 400 and "期限必须在一年以内" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_accepting_with_the_pages_defaults_makes_the_officer_the_owner(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.officer_chunguang)
    # The form as its panel on the case page fetches it (htmx).
    url = reverse("cases:move", args=[case.pk, "accept"])
    form = client.get(url, headers={"HX-Request": "true"}).context["form"]
    data = {f"accept-{name}": value for name, value in form.initial.items()}
    deadline = timezone.localtime() + timedelta(days=3)
    data["accept-response_deadline"] = deadline.strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("cases:move", args=[case.pk, "accept"]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.owner == personas.officer_chunguang
