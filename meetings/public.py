"""The meeting's public page: what a resident or a unit leader, who have no login, open from
the SMS that tells them of a meeting. Its address carries a signed token that names the meeting
and expires the day after it; the page shows the time, the place, the community and the agenda's
matters by category and building, and nobody's name or phone.

A link that cannot show the meeting says why, in the residents' frame and in their words, never
with the staff's "outside your places": a cancelled meeting says so, when it was to be held and
the reason given (410 Gone, whenever the link is opened: the cancellation SMS carries it); an
expired link says it has expired and names the community to ask (410); a token that cannot be
read says the link is incomplete or wrong (404)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from cases.categories import category_label
from cases.models import Case
from common.people import display_name, mask_names_in
from common.phones import redact_phones

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


def read_token(token):
    """The meeting's id and the moment the link expires, or None for a token that cannot be
    read (cut off, mistyped or forged)."""
    try:
        data = signing.loads(token, salt=SALT)
        return int(data["m"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _answer(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _unavailable(request, why, meeting=None, status=410, reason=""):
    """The residents' page for a link that shows no meeting: `why` is "cancelled", "expired"
    or "unreadable"."""
    context = {"why": why, "meeting": meeting, "reason": reason}
    return _answer(request, "meetings/public_unavailable.html", context, status)


def _public_reason(meeting) -> str:
    """The reason given for the cancellation, as the public may read it: phone numbers masked,
    and so are the names of the meeting's people, its host and the residents of its cases."""
    cancelled = meeting.changes.filter(what="cancelled").order_by("-at").first()
    codes = (cancelled.details or {}).get("cases", []) if cancelled else []
    names = set(meeting.participants.values_list("name", flat=True))
    if meeting.host_id:
        names.add(display_name(meeting.host))
    names |= set(
        Case.objects.filter(community_id=meeting.community_id, tracking_code__in=codes)
        .exclude(resident_name="")
        .values_list("resident_name", flat=True)
    )
    return mask_names_in(redact_phones(meeting.cancel_reason), names)


@login_not_required
@require_GET
def meeting_page(request, token):
    read = read_token(token)
    if read is None:
        return _unavailable(request, "unreadable", status=404)
    meeting_id, until = read
    meeting = Meeting.objects.select_related("community").filter(pk=meeting_id).first()
    if meeting is not None and meeting.state == MeetingState.CANCELLED:
        # Said whenever the link is opened: the cancellation's own SMS carries it.
        return _unavailable(request, "cancelled", meeting, reason=_public_reason(meeting))
    if meeting is None or timezone.now().timestamp() > until:
        return _unavailable(request, "expired", meeting)
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
    return _answer(
        request,
        "meetings/public.html",
        {"meeting": meeting, "matters": matters, "phase": phase, "decided": decided},
    )
