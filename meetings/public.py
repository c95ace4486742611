"""The meeting's public page: what a resident or a unit leader, who have no login, open from
the SMS that tells them of a meeting. Its address carries a signed token that names the meeting
and expires the day after it; the page shows the time, the place, the community and the agenda's
matters by category and building, and nobody's name or phone."""

from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from cases.categories import category_label

from .models import ItemStatus, Meeting, MeetingState
from .workflow import REPORTED, too_late_to_come

SALT = "meetings.public"
# What the page says of a matter the meeting has settled, in the residents' words.
OUTCOMES = {
    ItemStatus.DECIDED: pgettext_lazy("a matter, to residents", "a decision was taken"),
    ItemStatus.DEFERRED: pgettext_lazy("a matter, to residents", "to be discussed again later"),
}
# The link is read before the meeting and on its day; after that it says nothing.
VALID_AFTER_START = timedelta(days=1)


def public_url(meeting) -> str:
    until = int((meeting.starts_at + VALID_AFTER_START).timestamp())
    token = signing.dumps({"m": meeting.pk, "u": until}, salt=SALT, compress=True)
    return reverse("meeting_public", args=[token])


def _meeting_of(token):
    try:
        data = signing.loads(token, salt=SALT)
        meeting_id, until = int(data["m"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None
    if timezone.now().timestamp() > until:
        raise Http404
    meeting = (
        Meeting.objects.select_related("community")
        .exclude(state=MeetingState.CANCELLED)
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


@login_not_required
@require_GET
def meeting_page(request, token):
    meeting = _meeting_of(token)
    matters = [
        {
            "category": category_label(item.case.category.name),
            "place": item.case.building or item.case.grid.name,
            # Said beside the matter once the meeting has settled it (决 or deferred).
            "outcome": OUTCOMES.get(item.status, ""),
        }
        for item in meeting.items.select_related(
            "case__category", "case__building", "case__grid"
        ).order_by("position")
    ]
    decided = sum(1 for item in matters if item["outcome"])
    # What a resident can still do: come, join while it runs, or read its decisions after. A
    # meeting that began too long ago asks nobody to come, opened or not (one recorded later).
    if meeting.state in REPORTED:
        phase = "ended"
    elif too_late_to_come(meeting):
        phase = "begun"
    elif meeting.state == MeetingState.HELD:
        phase = "under_way"
    else:
        phase = "coming"
    response = render(
        request,
        "meetings/public.html",
        {"meeting": meeting, "matters": matters, "phase": phase, "decided": decided},
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
