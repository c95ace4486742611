"""The case lifecycle: 点单 → 接单 → 解单 (提 · 议 · 决 · 办) → 查单, in one place.

Each move says where it may start, where it ends, who may make it and which fields it
needs (its form). `perform()` is the only way a case changes state: it locks the row,
checks the move again under the lock, writes the change and one history row in one
transaction, so two officers pressing the same button at once produce one move.
"""

from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from common.people import display_name
from common.workdays import add_working_days

from .forms import (
    AcceptForm,
    AnswerEscalationForm,
    AssignForm,
    DecideForm,
    DropTaskForm,
    EscalateForm,
    LinkDuplicateForm,
    NoteForm,
    ReasonForm,
    ReopenForm,
    ResolveForm,
    TaskForm,
    VerifyForm,
)
from .models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Escalation,
    PhotoStage,
    State,
    Task,
    TaskStatus,
)

KEEP = "keep"  # a move that changes who or what, not the state (assign)


class MoveRefused(Exception):
    """A move that is not allowed; the message is shown to the user as it is.

    When the fields were the problem, `.form` holds the bound form with each field's message.
    """

    def __init__(self, message, form=None):
        super().__init__(message)
        self.form = form


# Who may act on a case, decided from the user's scope.
def is_officer_for(scope: Scope, case: Case) -> bool:
    return scope.is_superuser or (
        case.community_id in scope.community_ids or case.street_id in scope.street_ids
    )


def is_grid_worker_for(scope: Scope, case: Case) -> bool:
    return case.grid_id in scope.grid_ids


def officer(scope, user, case):
    return is_officer_for(scope, case)


def officer_or_owner(scope, user, case):
    return is_officer_for(scope, case) or (case.owner_id == user.pk and scope.holds(case))


def verifier(scope, user, case):
    # The grid worker who visits is not the one who resolved (a second pair of eyes).
    return (is_grid_worker_for(scope, case) or is_officer_for(scope, case)) and (
        case.resolved_by_id != user.pk
    )


def officer_or_grid_worker(scope, user, case):
    return is_officer_for(scope, case) or is_grid_worker_for(scope, case)


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the form chooses (reopen); KEEP: the state stays
    may: callable
    form: type[forms.Form]
    style: str = "primary"
    # 议 and 决 happen in a deliberation meeting: the meetings app makes these moves.
    meeting_only: bool = False

    def form_for(self, case, data=None, files=None):
        if issubclass(self.form, (AcceptForm, AssignForm)):
            return self.form(data, case=case, prefix=self.name)
        return self.form(data, files, prefix=self.name)


MOVES = {
    move.name: move
    for move in [
        Move("accept", _("Accept (接单)"), (State.SUBMITTED,), State.ACCEPTED, officer, AcceptForm),
        Move(
            "assign",
            _("Assign to someone else"),
            tuple(s for s in OPEN_STATES if s != State.SUBMITTED),
            KEEP,
            officer,
            AssignForm,
            "outline-secondary",
        ),
        Move(
            "decline",
            _("Decline"),
            (State.SUBMITTED,),
            State.DECLINED,
            officer,
            ReasonForm,
            "outline-danger",
        ),
        Move(
            "propose",
            _("Propose for deliberation (提)"),
            (State.ACCEPTED,),
            State.PROPOSED,
            officer,
            NoteForm,
        ),
        Move(
            "handle_directly",
            _("Handle directly (simple matter)"),
            (State.ACCEPTED,),
            State.IN_PROGRESS,
            officer,
            ReasonForm,
            "outline-primary",
        ),
        Move(
            "deliberate",
            _("Open deliberation (议)"),
            (State.PROPOSED,),
            State.DELIBERATING,
            officer,
            NoteForm,
            meeting_only=True,
        ),
        Move(
            "decide",
            _("Record the decision (决)"),
            (State.DELIBERATING,),
            State.DECIDED,
            officer,
            DecideForm,
            meeting_only=True,
        ),
        Move(
            "start",
            _("Start the work (办)"),
            (State.DECIDED,),
            State.IN_PROGRESS,
            officer_or_owner,
            NoteForm,
        ),
        Move(
            "resolve",
            _("Resolve (解单)"),
            (State.IN_PROGRESS,),
            State.RESOLVED,
            officer_or_owner,
            ResolveForm,
        ),
        Move(
            "verify",
            _("Record the follow-up visit (查单)"),
            (State.RESOLVED,),
            State.VERIFIED,
            verifier,
            VerifyForm,
        ),
        Move(
            "reopen",
            _("Reopen (not satisfied)"),
            (State.RESOLVED, State.VERIFIED),
            None,
            officer_or_grid_worker,
            ReopenForm,
            "outline-danger",
        ),
    ]
}


def may_call_emergency_session(scope: Scope, user, case: Case) -> bool:
    """紧急事项即时协商: an officer calls a session at once for an urgent, accepted case."""
    return (
        case.urgency == "urgent"
        and case.state in (State.ACCEPTED, State.PROPOSED)
        and officer(scope, user, case)
    )


def open_task_count(case: Case) -> int:
    annotated = getattr(case, "open_task_count", None)
    if annotated is not None:
        return annotated
    return case.tasks.filter(status=TaskStatus.OPEN).count()


def available_moves(scope: Scope, user, case: Case) -> list[Move]:
    """The moves this user may make on this case now: exactly the buttons to show."""
    return [m for m in MOVES.values() if refusal(scope, user, case, m) is None]


def refusal(scope: Scope, user, case: Case, move: Move, in_meeting=False) -> str | None:
    """Why `move` is not allowed now, or None when it is."""
    if case.state not in move.sources:
        return _("This case is %(state)s; “%(move)s” is not possible now.") % {
            "state": case.get_state_display(),
            "move": move.label,
        }
    if not move.may(scope, user, case):
        if move.name == "verify" and case.resolved_by_id == user.pk:
            return _("The follow-up visit must be made by someone other than who resolved it.")
        return _("Your role does not allow “%(move)s” on this case.") % {"move": move.label}
    if move.meeting_only and not in_meeting:
        return _("This is recorded in a deliberation meeting (议事协商会): put the case on one.")
    if move.name == "resolve" and open_task_count(case):
        return _("Resolve after every task is done or dropped with a reason.")
    return None


def _locked_case(scope: Scope, case_id) -> Case:
    """The case under a row lock, through the scope; a second request waits here."""
    case = scope.narrow(Case.objects.select_for_update()).filter(pk=case_id).first()
    if case is None:
        raise MoveRefused(_("This case does not exist or is outside your places."))
    return case


def _bound(form) -> dict:
    if not form.is_valid():
        raise MoveRefused(_("Please correct the fields below."), form=form)
    return form.cleaned_data


def _record(case, user, name, from_state, to_state, note="", details=None):
    CaseEvent.objects.create(
        case=case,
        move=name,
        from_state=from_state,
        to_state=to_state,
        actor=user,
        note=note,
        details=details or {},
    )


def perform(
    scope: Scope, user, case_id: int, move_name: str, data, files=None, meeting=None
) -> Case:
    """Make a move; raises MoveRefused (with the reason) or returns the changed case.

    `data` is the submitted form data; invalid data raises MoveRefused with the form attached
    as `.form`, so the page can show each field's message. `meeting` ({"meeting": id, ...}) is
    given by the meetings app for 议 and 决 and kept in the history row, which links to it.
    """
    move = MOVES.get(move_name)
    if move is None:
        raise MoveRefused(_("Unknown move."))
    with transaction.atomic():
        # Lock the row, then check everything again: a second officer waits here and then
        # finds the case already moved.
        case = _locked_case(scope, case_id)
        reason = refusal(scope, user, case, move, in_meeting=meeting is not None)
        if reason:
            raise MoveRefused(reason)
        values = _bound(move.form_for(case, data, files))
        from_state = case.state
        target = {None: values.get("back_to"), KEEP: case.state}.get(move.target, move.target)
        details = {**_apply(move, case, values, user), **(meeting or {})}
        case.state = target
        case.save()
        _record(case, user, move.name, from_state, target, values.get("note", ""), details)
    return case


def _apply(move: Move, case: Case, values: dict, user) -> dict:
    """Copy the move's fields onto the case; return what the history row keeps besides."""
    now = timezone.now()
    if move.name in ("accept", "assign"):
        case.owner = values["owner"]
        case.response_deadline = values["response_deadline"]
        if move.name == "accept":
            case.accepted_at = now
        return {
            "owner": display_name(values["owner"]),
            "response_deadline": values["response_deadline"].isoformat(),
        }
    if move.name == "decide":
        case.plan = values["plan"]
        return {"plan": values["plan"]}
    if move.name == "resolve":
        case.outcome = values["outcome"]
        case.resolved_by = user
        case.resolved_at = now
        case.follow_up_due = add_working_days(now, case.street.follow_up_working_days)
        return {
            key: values[key] for key in ("outcome", "explanation_method", "explanation", "referral")
        }
    if move.name == "verify":
        case.satisfaction = values["satisfaction"]
        for photo in values.get("photos") or []:
            add_photo(case, photo, user, PhotoStage.FOLLOW_UP)
        return {"satisfaction": values["satisfaction"]}
    if move.name == "reopen":
        case.outcome = ""
        case.satisfaction = ""
        case.resolved_by = None
        case.resolved_at = None
        case.follow_up_due = None
    return {}


def add_photo(case: Case, photo, user, stage=PhotoStage.REPORT) -> CasePhoto:
    """Store a cleaned photo (see photos.clean_photo) under a name the server makes."""
    record = CasePhoto(
        case=case,
        extension=photo.extension,
        content_type=photo.content_type,
        stage=stage,
        uploaded_by=user,
    )
    record.image.save("photo", photo.as_file(), save=False)
    record.save()
    return record


# What the timeline calls each history row: the moves, and the actions that keep the state.
EVENT_LABELS = {
    "log": _("Logged (点单)"),
    "task_added": _("Task added"),
    "task_done": _("Task done"),
    "task_dropped": _("Task dropped"),
    "escalated": _("Escalated to the street (督办)"),
    "escalation_answered": _("The street answered"),
    "linked_duplicate": _("Linked as a repeat"),
    "rated": _("Rated by the resident"),
    **{name: move.label for name, move in MOVES.items()},
}


# Bulk moves: each case is still checked on its own, under its own lock.
def perform_many(scope: Scope, user, case_ids, move_name: str, data) -> dict:
    """Returns {"done": [case, ...], "refused": [(case_id, message), ...]}."""
    done, refused = [], []
    for case_id in case_ids:
        try:
            done.append(perform(scope, user, case_id, move_name, data))
        except MoveRefused as error:
            if error.form is not None:  # the shared fields are wrong: stop, say which
                raise
            refused.append((case_id, str(error)))
    return {"done": done, "refused": refused}


# Tasks (办): the decided plan broken into work with owners and due dates.
TASK_STATES = (State.DECIDED, State.IN_PROGRESS)


def may_add_tasks(scope, user, case) -> bool:
    return officer_or_owner(scope, user, case) and case.state in TASK_STATES


def _task_holder(scope, user, case):
    if not officer_or_owner(scope, user, case):
        raise MoveRefused(_("Only an officer or the case owner manages its tasks."))


def add_task(scope: Scope, user, case_id, data) -> Task:
    with transaction.atomic():
        case = _locked_case(scope, case_id)
        _task_holder(scope, user, case)
        if case.state not in TASK_STATES:
            raise MoveRefused(_("Tasks are added once the plan is decided (决)."))
        values = _bound(TaskForm(data, case=case, prefix="task"))
        task = Task.objects.create(case=case, created_by=user, **values)
        _record(
            case,
            user,
            "task_added",
            case.state,
            case.state,
            task.title,
            {"owner": str(task.owner), "due_date": task.due_date.isoformat()},
        )
    return task


def close_task(scope: Scope, user, case_id, task_id, status, data=None) -> Task:
    """Mark a task done, or drop it with a reason."""
    with transaction.atomic():
        case = _locked_case(scope, case_id)
        task = Task.objects.select_for_update().filter(pk=task_id, case=case).first()
        if task is None:
            raise MoveRefused(_("This task does not belong to this case."))
        may_close = officer_or_owner(scope, user, case) or task.owner_user_id == user.pk
        if not may_close:
            raise MoveRefused(_("Only an officer, the case owner or the task owner may do this."))
        if task.status != TaskStatus.OPEN:
            raise MoveRefused(_("This task is already closed."))
        note = task.title
        if status == TaskStatus.DROPPED:
            form = DropTaskForm(data, prefix=f"drop{task.pk}")
            if not form.is_valid():
                raise MoveRefused(_("Say why the task is dropped."))
            task.drop_reason = form.cleaned_data["drop_reason"]
            note = f"{task.title}: {task.drop_reason}"
        elif status != TaskStatus.DONE:
            raise MoveRefused(_("Unknown move."))
        task.status = status
        task.closed_at = timezone.now()
        task.save()
        _record(case, user, f"task_{status}", case.state, case.state, note)
    return task


# Escalation (督办): an overdue case is flagged to the street, which answers.
def is_overdue(case: Case, now=None) -> bool:
    now = now or timezone.now()
    return (
        case.state in OPEN_STATES
        and case.response_deadline is not None
        and case.response_deadline < now
    )


def escalate(scope: Scope, user, case_id, data) -> Escalation:
    with transaction.atomic():
        case = _locked_case(scope, case_id)
        if not officer_or_grid_worker(scope, user, case):
            raise MoveRefused(_("Your role does not allow escalating this case."))
        if not is_overdue(case):
            raise MoveRefused(_("Only an overdue case can be escalated to the street."))
        if case.escalations.filter(answered_at__isnull=True).exists():
            raise MoveRefused(_("This case is already escalated and waits for the street."))
        reason = _bound(EscalateForm(data, prefix="escalate"))["reason"]
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(case=case, reason=reason, raised_by=user)
        except IntegrityError:  # a twin request got there first
            raise MoveRefused(
                _("This case is already escalated and waits for the street.")
            ) from None
        _record(case, user, "escalated", case.state, case.state, reason)
    return escalation


def may_answer_escalation(scope: Scope, case) -> bool:
    """督办 is answered by the street the case belongs to."""
    return scope.is_superuser or case.street_id in scope.street_ids


def answer_escalation(scope: Scope, user, case_id, escalation_id, data) -> Escalation:
    with transaction.atomic():
        case = _locked_case(scope, case_id)
        if not may_answer_escalation(scope, case):
            raise MoveRefused(_("Only street staff answer an escalation."))
        escalation = (
            Escalation.objects.select_for_update().filter(pk=escalation_id, case=case).first()
        )
        if escalation is None:
            raise MoveRefused(_("This escalation does not belong to this case."))
        if escalation.answered_at is not None:
            raise MoveRefused(_("This escalation has already been answered."))
        values = _bound(AnswerEscalationForm(data, prefix="answer"))
        escalation.comment = values["comment"]
        escalation.new_deadline = values["new_deadline"]
        escalation.answered_by = user
        escalation.answered_at = timezone.now()
        escalation.save()
        case.response_deadline = values["new_deadline"]
        case.save(update_fields=["response_deadline", "updated_at"])
        _record(
            case,
            user,
            "escalation_answered",
            case.state,
            case.state,
            values["comment"],
            {"new_deadline": values["new_deadline"].isoformat()},
        )
    return escalation


# Duplicates: a repeated request is linked to the one already being handled.
def link_duplicate(scope: Scope, user, case_id, data) -> Case:
    with transaction.atomic():
        case = _locked_case(scope, case_id)
        if not officer_or_grid_worker(scope, user, case):
            raise MoveRefused(_("Your role does not allow linking this case."))
        code = _bound(LinkDuplicateForm(data, prefix="duplicate"))["tracking_code"]
        original = scope.narrow(Case.objects.all()).filter(tracking_code=code).first()
        if original is None:
            raise MoveRefused(_("No case with this tracking code in your places."))
        if original.pk == case.pk or original.duplicate_of_id == case.pk:
            raise MoveRefused(_("A case cannot repeat itself."))
        # Link to the first of a chain, so every repeat points at the case being handled.
        case.duplicate_of_id = original.duplicate_of_id or original.pk
        case.save(update_fields=["duplicate_of", "updated_at"])
        _record(
            case,
            user,
            "linked_duplicate",
            case.state,
            case.state,
            "",
            {"duplicate_of": original.tracking_code},
        )
    return case
