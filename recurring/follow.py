"""The decision on a problem's agenda item applies to every case carried with it.

A problem goes to a session as one agenda item, whose case is the problem's lead (its oldest
open case); the other open cases are carried with it (`Member.carried`). When the meeting
moves the lead (议 as the session opens, 决 with the plan, each task of the plan), the same
move is made on each carried case through `cases.workflow`, with the meeting and the item in
its history. This is a consequence of the lead's change, declared in cases/consequences.py.
"""

from django.utils.translation import gettext as _

from accounts.scope import Scope
from cases import workflow
from cases.inputs import Decision, NewTask, Note
from cases.models import Case, State
from cases.workflow import TASK_STATES, MoveRefused

from .models import Problem, Status

CARRIED_CHANGES = ("deliberate", "decide", "task_added")


def follow_change(change) -> None:
    """Called for every recorded change (cases/consequences.py); a query only for the lead's
    meeting changes."""
    if change.change not in CARRIED_CHANGES or "meeting" not in change.details:
        return
    problem = Problem.objects.filter(
        status=Status.DELIBERATED,
        agenda_item__case_id=change.case.pk,
        agenda_item__meeting_id=change.details["meeting"],
    ).first()
    if problem is not None:
        carry(problem, change.change, change.actor, change.note, change.details, change.subject)


def carry(problem, change: str, actor, note="", details=None, subject=None) -> None:
    details = details or {}
    scope = Scope.for_user(actor)
    lead_id = problem.agenda_item.case_id
    link = {
        "meeting": problem.agenda_item.meeting_id,
        "agenda_item": problem.agenda_item_id,
        "recurring_problem": problem.pk,
    }
    followers = (
        Case.objects.filter(recurring_member__problem=problem, recurring_member__carried=True)
        .exclude(pk=lead_id)
        .order_by("created_at", "pk")
        .values_list("pk", "tracking_code", "state")
    )
    for case_id, code, state in followers:
        try:
            _carry_one(scope, actor, case_id, state, change, note, details, subject, link)
        except MoveRefused as refused:
            reason = " ".join(str(m) for m in refused.errors.values()) or str(refused)
            raise MoveRefused(
                _(
                    "%(code)s goes with this item as a recurring problem and cannot follow: "
                    "%(reason)s"
                )
                % {"code": code, "reason": reason}
            ) from None


def _carry_one(scope, actor, case_id, state, change, note, details, subject, link):
    # A carried case someone has since moved on its own (handled directly, closed) is left
    # where it is: only cases still at the lead's step follow it.
    if change == "deliberate" and state in (State.ACCEPTED, State.PROPOSED):
        if state == State.ACCEPTED:
            workflow.perform(scope, actor, case_id, "propose", Note(), meeting=link)
        workflow.perform(scope, actor, case_id, "deliberate", Note(), meeting=link)
    elif change == "decide" and state == State.DELIBERATING:
        decision = Decision(plan=details.get("plan", ""), note=note)
        workflow.perform(scope, actor, case_id, "decide", decision, meeting=link)
    elif change == "task_added" and state in TASK_STATES and subject is not None:
        task = NewTask(
            title=subject.title,
            due_date=subject.due_date,
            owner_user=subject.owner_user,
            owner_contact=subject.owner_contact,
        )
        workflow.add_task(scope, actor, case_id, task, meeting=link)
