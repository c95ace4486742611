"""What each meeting action's inputs must hold, checked by the workflow under the meeting's lock.

Each function takes the typed inputs (`meetings/inputs.py`) and returns {field: message}, empty
when all is well; the workflow refuses with those messages (`MoveRefused.errors`), and a page
shows each beside its field. The pages' forms parse what was typed; the rules are here, so a
caller without a page cannot skip one.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.selectors import officers_of
from common.limits import too_long
from common.lists import joined
from common.text import CONTROL_CHARACTER_MESSAGE, has_refused_characters
from grids.models import ContactKind

from . import monthly
from .inputs import (
    Attendance,
    Cancellation,
    Deferral,
    EmergencySession,
    Guest,
    Invitation,
    ItemDecision,
    Minutes,
    NewMeeting,
    Rescheduling,
)
from .models import Kind, ParticipantKind, Venue

# How far back a meeting may be put: one entered the same evening, after it was held.
PAST_GRACE = timedelta(hours=12)
# An emergency session called for "now" may be entered a little late.
EMERGENCY_GRACE = timedelta(hours=1)
VOTES = range(0, 1000)


# Each text field by its name on the meeting's pages (meetings/forms.py), for its messages.
TEXT_LABELS = {
    "address": gettext_lazy("Address"),
    "reason": gettext_lazy("Why"),
    "name": gettext_lazy("Guest's name"),
    "organisation": gettext_lazy("Organisation"),
    "discussion": gettext_lazy("Discussion"),
    "plan": gettext_lazy("Decision: the plan"),
    "responsible": gettext_lazy("Responsible parties"),
    "public_wording": gettext_lazy("The decision in residents' words (for the notice)"),
    "minutes": gettext_lazy("Minutes"),
}


def _text(errors, name, value, max_length, required=True):
    if not isinstance(value, str) or required and not value.strip():
        errors[name] = _("This field is required.")
    elif len(value) > max_length:
        errors[name] = too_long(TEXT_LABELS[name], max_length, len(value))
    elif has_refused_characters(value):
        errors[name] = str(CONTROL_CHARACTER_MESSAGE)


def _choice(errors, name, value, choices):
    if value not in choices:
        errors[name] = _("Choose one of the options offered.")


def _when_and_where(errors, inputs, community, month=None, kept=None):
    """`month`: the month of the monthly session being scheduled or moved, held on its day
    (meetings/monthly.py); `kept`: the date it has now, which a move may keep."""
    if not _is_moment(inputs.starts_at):
        errors["starts_at"] = _("Enter a valid date and time.")
    elif inputs.starts_at < timezone.now() - PAST_GRACE:
        errors["starts_at"] = _(
            "A meeting's time can be at most %(hours)s hours ago (one held today, entered "
            "tonight); an earlier time cannot be scheduled."
        ) % {"hours": int(PAST_GRACE.total_seconds() // 3600)}
    elif month is not None:
        day = timezone.localtime(inputs.starts_at).date()
        refused = None if day == kept else monthly.day_refusal(month, day)
        if refused:
            errors["starts_at"] = refused
    _choice(errors, "venue_kind", inputs.venue_kind, Venue.values)
    _text(errors, "address", inputs.address, 200, required=False)
    host_id = getattr(inputs.host, "pk", None)
    if host_id is None:
        errors["host"] = _("This field is required.")
    elif not officers_of([community.pk]).filter(pk=host_id).exists():
        errors["host"] = _("The host must be an officer of the meeting's community.")
    return errors


def new_meeting(inputs: NewMeeting) -> dict:
    """A monthly session is scheduled on its month's day (meetings/monthly.py)."""
    errors = {}
    _choice(errors, "kind", inputs.kind, ("monthly", "emergency"))
    if inputs.kind != Kind.MONTHLY or not _is_moment(inputs.starts_at):
        return _when_and_where(errors, inputs, inputs.community)
    return _when_and_where(errors, inputs, inputs.community, monthly.month_of(inputs.starts_at))


def rescheduling(meeting, inputs: Rescheduling) -> dict:
    """A monthly session moves within its month's day (meetings/monthly.py): to another hour,
    or, when its 17th is a rest day, to the working day next to it. One that is not on such a
    day (scheduled before the rule) may keep its date."""
    if meeting.kind != Kind.MONTHLY:
        return _when_and_where({}, inputs, meeting.community)
    month = meeting.month or monthly.month_of(meeting.starts_at)
    kept = timezone.localtime(meeting.starts_at).date()
    return _when_and_where({}, inputs, meeting.community, month, kept)


def _is_moment(value) -> bool:
    return isinstance(value, datetime) and timezone.is_aware(value)


def cancellation(inputs: Cancellation) -> dict:
    errors = {}
    _text(errors, "reason", inputs.reason, 500)
    return errors


def emergency_session(inputs: EmergencySession) -> dict:
    """Today or tomorrow, not in the past."""
    errors = {}
    starts_at = inputs.starts_at
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        errors["at"] = _("Enter a valid date and time.")
    elif starts_at < timezone.now() - EMERGENCY_GRACE:
        errors["at"] = _("That time has passed; choose a later time or tomorrow.")
    elif timezone.localtime(starts_at).date() > timezone.localdate() + timedelta(days=1):
        errors["day"] = _("An emergency session is held today or tomorrow.")
    _choice(errors, "venue_kind", inputs.venue_kind, Venue.values)
    _text(errors, "address", inputs.address, 200, required=False)
    return errors


INVITED_KINDS = [kind for kind in ParticipantKind.values if kind != ParticipantKind.GUEST]


def invitation(meeting, inputs: Invitation) -> dict:
    errors = {}
    if any(kind not in INVITED_KINDS for kind in inputs.kinds):
        errors["kinds"] = _("Choose one of the options offered.")
    for body in inputs.outside_bodies:
        if body.street_id != meeting.street_id or body.kind != ContactKind.OUTSIDE_BODY:
            errors["outside_bodies"] = _("Choose one of the outside bodies offered.")
    if not inputs.kinds and not inputs.outside_bodies:
        errors["__all__"] = _("Tick at least one group of people to invite.")
    return errors


def guest(inputs: Guest) -> dict:
    errors = {}
    _text(errors, "name", inputs.name, 50)
    _text(errors, "organisation", inputs.organisation, 80, required=False)
    return errors


def attendance(inputs: Attendance) -> dict:
    ids = (*inputs.attended, *inputs.named)
    if not all(isinstance(pk, int) for pk in ids):
        return {"__all__": _("Tick people of this meeting only.")}
    return {}


def named_only_if_present(names) -> dict:
    """A notice names those who came and agreed (公示署名): a tick to be named beside someone
    not ticked as present would be dropped without a word, so it is refused, naming them."""
    if not names:
        return {}
    message = ngettext(
        "%(names)s is ticked to be named on notices but not as present: tick present too, or "
        "untick the name.",
        "%(names)s are ticked to be named on notices but not as present: tick present too, or "
        "untick the names.",
        len(names),
    ) % {"names": joined(names)}
    return {"__all__": message}


def attendance_covers_votes(attended: int, decided) -> dict:
    """Only those present vote, whichever is recorded second: the attendance cannot drop below
    the votes of a decision already recorded (`decided`: the decided items), as a decision
    cannot record more votes than the attendance (`item_decision`)."""
    for item in sorted(decided, key=_votes_cast, reverse=True)[:1]:
        votes = _votes_cast(item)
        if votes > attended:
            message = _(
                "The decision on %(code)s was voted with %(votes)s votes (%(for)s for, "
                "%(against)s against, %(abstain)s abstaining): at least %(votes)s people "
                "attended, not %(n)s."
            ) % {
                "code": item.case.tracking_code,
                "votes": votes,
                "for": item.votes_for,
                "against": item.votes_against,
                "abstain": item.votes_abstain,
                "n": attended,
            }
            return {"__all__": message}
    return {}


def _votes_cast(item) -> int:
    return item.votes_for + item.votes_against + item.votes_abstain


def deferral(inputs: Deferral) -> dict:
    errors = {}
    _text(errors, "discussion", inputs.discussion, 5000)
    return errors


def item_decision(inputs: ItemDecision, attendees: int) -> dict:
    """The plan must have won: more votes for than against, or it is deferred instead. Only
    those who attended vote, once each: the votes add up to at most the attendance."""
    errors = {}
    _text(errors, "discussion", inputs.discussion, 5000)
    _text(errors, "plan", inputs.plan, 2000)
    _text(errors, "responsible", inputs.responsible, 300)
    _text(errors, "public_wording", inputs.public_wording, 2000, required=False)
    votes = {
        name: getattr(inputs, name) for name in ("votes_for", "votes_against", "votes_abstain")
    }
    for name, value in votes.items():
        if not isinstance(value, int) or value not in VOTES:
            errors[name] = _("Enter a whole number from 0 to 999.")
    if errors.keys() & votes.keys():
        return errors
    if attendees == 0:
        errors["__all__"] = _("Record who attended before the vote: only those present vote.")
    elif sum(votes.values()) > attendees:
        message = ngettext(
            "%(n)s person attended: the votes for, against and abstaining add up to at most %(n)s.",
            "%(n)s people attended: the votes for, against and abstaining add up to at most %(n)s.",
            attendees,
        ) % {"n": attendees}
        errors["__all__"] = message  # said once, above the three counts it is about
    elif votes["votes_for"] <= votes["votes_against"]:
        errors["__all__"] = _("The plan did not win more votes for than against: defer it instead.")
    return errors


def minutes(inputs: Minutes) -> dict:
    errors = {}
    _text(errors, "minutes", inputs.text, 20000)
    return errors


def public_wording_names_nobody(inputs: ItemDecision, resident_name: str) -> dict:
    """The notice is posted for every resident to read: the resident who raised the case is
    not named in it (phone numbers in it are masked when it is shown)."""
    name = (resident_name or "").strip()
    if len(name) >= 2 and name in (inputs.public_wording or ""):
        return {
            "public_wording": _(
                "The notice is read by every resident: leave out the name of the resident "
                "who raised the case (%(name)s)."
            )
            % {"name": name}
        }
    return {}
