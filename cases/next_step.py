"""Who acts next on a case, and how, in words for its page: a grid worker who cannot accept a
case reads that it waits for the community officer, rather than guessing at a missing button.

It follows cases/workflow.py: each open state's next moves and who may make them there.
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from common.people import display_name

from .models import State

# The moves of the officer alone (workflow.officer), by the state they leave.
BY_THE_OFFICER = {
    State.SUBMITTED: _("Next: the community officer accepts it or declines it."),
    State.ACCEPTED: _(
        "Next: the community officer proposes it for deliberation or has it handled directly."
    ),
    State.PROPOSED: _("Next: the community officer puts it on a deliberation meeting."),
    State.DELIBERATING: _("Next: the deliberation meeting records its decision."),
    State.RESOLVED: _(
        "Next: a grid worker or the community officer, not who resolved it, visits the resident."
    ),
}
# The moves of the owner or the officer (workflow.officer_or_owner).
BY_THE_OWNER = {
    State.DECIDED: (
        _("Next: %(owner)s (the owner) or the community officer starts the work."),
        _("Next: the community officer starts the work."),
    ),
    State.IN_PROGRESS: (
        _(
            "Next: %(owner)s (the owner) or the community officer resolves it once "
            "every task is done or dropped."
        ),
        _("Next: the community officer resolves it once every task is done or dropped."),
    ),
}
# 办 with no task open (handled directly, or every task closed): nothing to wait for.
NOTHING_OPEN = (
    _("Next: %(owner)s (the owner) or the community officer resolves it."),
    _("Next: the community officer resolves it."),
)


# A case on a meeting's agenda (its own item, or carried by a recurring problem's).
ON_AGENDA = {
    State.PROPOSED: _("Next: the deliberation meeting of %(date)s takes it up."),
    State.DELIBERATING: _("Next: the deliberation meeting of %(date)s records its decision."),
}


def meeting_takes_it_up(meeting) -> str:
    """Why the meeting's moves are not buttons here, for a case already on an agenda."""
    return str(
        _("It is on the agenda of the deliberation meeting of %(date)s and is recorded there.")
        % {"date": _meeting_date(meeting)}
    )


def _meeting_date(meeting) -> str:
    return date_format(timezone.localtime(meeting.starts_at), "SHORT_DATETIME_FORMAT")


def next_step(case, open_escalation=False, on_agenda=None, open_tasks=True) -> str:
    """What happens next on this case and who does it; "" once it is closed. `on_agenda` is
    the meeting whose agenda holds the case, if one does; `open_tasks`, whether any of its
    tasks is still open."""
    if on_agenda is not None and case.state in ON_AGENDA:
        return str(ON_AGENDA[case.state] % {"date": _meeting_date(on_agenda)})
    if case.duplicate_of_id:
        return str(_("Next: nothing of its own; it is closed together with the case it repeats."))
    if open_escalation:
        return str(_("Next: the street answers the escalation and sets a new deadline."))
    if case.state in BY_THE_OWNER:
        with_owner, without = BY_THE_OWNER[case.state]
        if case.state == State.IN_PROGRESS and not open_tasks:
            with_owner, without = NOTHING_OPEN
        return str(with_owner % {"owner": display_name(case.owner)} if case.owner_id else without)
    return str(BY_THE_OFFICER.get(case.state, ""))
