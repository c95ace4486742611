"""The case lifecycle: 点单 → 接单 → 解单 (提 · 议 · 决 · 办) → 查单, in one place.

Each move says where it may start, where it ends, who may make it and which fields it
needs (its form). `perform()` is the only way a case changes state: it locks the row,
checks the move again under the lock, writes the change and one history row in one
transaction, so two officers pressing the same button at once produce one move.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.scope import Scope
from accounts.selectors import possible_owners
from common.limits import too_long
from common.people import display_name, person_name
from common.text import CONTROL_CHARACTER_MESSAGE, has_refused_characters
from common.workdays import add_working_days
from grids.selectors import task_contacts

from . import history
from .inputs import (
    Decision,
    EscalationAnswer,
    NewTask,
    Note,
    Ownership,
    Reason,
    Reopening,
    Resolution,
    Visit,
)
from .models import (
    OPEN_STATES,
    Case,
    CasePhoto,
    Escalation,
    ExplanationMethod,
    Outcome,
    PhotoStage,
    Satisfaction,
    State,
    Task,
    TaskStatus,
)

KEEP = "keep"  # a move that changes who or what, not the state (assign)
REOPEN_TARGETS = (State.ACCEPTED, State.DELIBERATING)


class MoveRefused(Exception):
    """A move that is not allowed; the message is shown to the user as it is.

    `errors` ({field: message}) names the inputs that were wrong, so a page can show each
    field's message beside it; `.form` may carry the bound form the refusal belongs to.
    """

    def __init__(self, message, form=None, errors=None):
        super().__init__(message)
        self.form = form
        self.errors = errors or {}


def _invalid(errors: dict):
    if errors:
        raise MoveRefused(_("Please correct the fields below."), errors=errors)


def _text(errors, name, value, max_length, label, required=True):
    """A text input: present when required, and no longer than its field. `label` is the
    field's name on the page, said in the message as a form says it (common/forms.py)."""
    if not isinstance(value, str) or required and not value.strip():
        errors[name] = _("This field is required.")
    elif len(value) > max_length:
        errors[name] = too_long(label, max_length, len(value))
    elif has_refused_characters(value):  # the pages' forms refuse these too; the API may not
        errors[name] = CONTROL_CHARACTER_MESSAGE


LONGEST_DEADLINE = timedelta(days=366)


def _future(errors, name, moment):
    """A deadline is in the future, and within a year: a date in 9999 would take the case off
    every overdue list for good."""
    if not isinstance(moment, datetime) or moment <= timezone.now():
        errors[name] = _("The deadline must be in the future.")
    elif moment > timezone.now() + LONGEST_DEADLINE:
        errors[name] = _("The deadline must be within a year.")


def _choice(errors, name, value, choices):
    if value not in choices:
        errors[name] = _("Choose one of the options offered.")


# Who may act on a case, decided from the user's scope.
def is_officer_for(scope: Scope, case: Case) -> bool:
    # A partner's key (interop) holds its street to read and file, never to act as an officer.
    if scope.partner_id is not None:
        return False
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
    """One move of the lifecycle: where it starts and ends, who may make it, what it needs
    (`inputs`, a dataclass of cases/inputs.py), and what it checks and changes.

    A move with rules of its own subclasses this and overrides `condition`, `validate` or
    `apply`; `perform()` calls them in that order, under the case's row lock.
    """

    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the inputs choose (reopen); KEEP: the state stays
    may: callable
    inputs: type
    style: str = "primary"
    # 议 and 决 happen in a deliberation meeting: the meetings app makes these moves.
    meeting_only: bool = False

    def role_refusal(self, scope, user, case) -> str:
        return _("Your role does not allow “%(move)s” on this case.") % {"move": self.label}

    def condition(self, case) -> str | None:
        """Why the move waits for something on this case (open tasks, say), or None."""
        return None

    def validate(self, case, inputs) -> dict:
        errors = {}
        reason = isinstance(inputs, Reason)
        _text(errors, "note", inputs.note, 2000, _("Reason") if reason else _("Note"), reason)
        return errors

    def target_for(self, case, inputs) -> str:
        return case.state if self.target == KEEP else self.target

    def apply(self, case, inputs, user, now) -> dict:
        """Copy the inputs onto the case; return what the history row keeps besides."""
        return {}


class Accept(Move):
    def validate(self, case, inputs):
        errors = super().validate(case, inputs)
        if not possible_owners(case).filter(pk=getattr(inputs.owner, "pk", None)).exists():
            errors["owner"] = _("Choose one of the community's officers or the grid's workers.")
        _future(errors, "response_deadline", inputs.response_deadline)
        return errors

    def apply(self, case, inputs, user, now):
        case.owner = inputs.owner
        case.response_deadline = inputs.response_deadline
        if self.name == "accept":
            case.accepted_at = now
        return {
            "owner": display_name(inputs.owner),
            "response_deadline": inputs.response_deadline.isoformat(),
        }


class Decide(Move):
    def validate(self, case, inputs):
        errors = super().validate(case, inputs)
        _text(errors, "plan", inputs.plan, 2000, _("Plan"))
        return errors

    def apply(self, case, inputs, user, now):
        case.plan = inputs.plan
        return {"plan": inputs.plan}


class Decline(Move):
    def validate(self, case, inputs):
        errors = super().validate(case, inputs)
        told = _("What the resident is told")
        _text(errors, "explanation", inputs.explanation, 500, told, required=False)
        return errors

    def apply(self, case, inputs, user, now):
        return {"explanation": inputs.explanation} if inputs.explanation.strip() else {}


class Resolve(Move):
    def condition(self, case):
        if open_task_count(case):
            return _("Resolve after every task is done or dropped with a reason.")
        return None

    def validate(self, case, inputs):
        errors = {}
        _choice(errors, "outcome", inputs.outcome, Outcome.values)
        _text(errors, "note", inputs.note, 2000, _("What was done"))
        _choice(errors, "explanation_method", inputs.explanation_method, ExplanationMethod.values)
        _text(errors, "explanation", inputs.explanation, 2000, _("The explanation"))
        referral = _("Why not, and where the resident was referred")
        _text(errors, "referral", inputs.referral, 500, referral, required=False)
        if inputs.outcome == Outcome.CANNOT and not (inputs.referral or "").strip():
            errors["referral"] = _("Say why, and where the resident was referred.")
        return errors

    def apply(self, case, inputs, user, now):
        case.outcome = inputs.outcome
        case.resolved_by = user
        case.resolved_at = now
        case.follow_up_due = add_working_days(now, case.street.follow_up_working_days)
        return {
            "outcome": inputs.outcome,
            "explanation_method": inputs.explanation_method,
            "explanation": inputs.explanation,
            "referral": inputs.referral,
        }


class Verify(Move):
    def role_refusal(self, scope, user, case):
        if case.resolved_by_id == user.pk:
            return _("The follow-up visit must be made by someone other than who resolved it.")
        return super().role_refusal(scope, user, case)

    def validate(self, case, inputs):
        errors = {}
        _choice(errors, "satisfaction", inputs.satisfaction, Satisfaction.values)
        _text(errors, "note", inputs.note, 2000, _("Follow-up visit"))
        return errors

    def apply(self, case, inputs, user, now):
        case.satisfaction = inputs.satisfaction
        for photo in inputs.photos:
            add_photo(case, photo, user, PhotoStage.FOLLOW_UP)
        return {"satisfaction": inputs.satisfaction}


class Reopen(Move):
    def validate(self, case, inputs):
        errors = super().validate(case, inputs)
        _text(errors, "note", inputs.note, 2000, _("Reason"))
        _choice(errors, "back_to", inputs.back_to, REOPEN_TARGETS)
        return errors

    def target_for(self, case, inputs):
        return inputs.back_to

    def apply(self, case, inputs, user, now):
        case.outcome = ""
        case.satisfaction = ""
        case.resolved_by = None
        case.resolved_at = None
        case.follow_up_due = None
        return {}


MOVES = {
    move.name: move
    for move in [
        Accept("accept", _("Accept"), (State.SUBMITTED,), State.ACCEPTED, officer, Ownership),
        Accept(
            "assign",
            _("Assign to someone else"),
            tuple(s for s in OPEN_STATES if s != State.SUBMITTED),
            KEEP,
            officer,
            Ownership,
            "outline-secondary",
        ),
        Decline(
            "decline",
            _("Decline"),
            (State.SUBMITTED,),
            State.DECLINED,
            officer,
            Reason,
            "outline-danger",
        ),
        Move(
            "propose",
            _("Propose for deliberation"),
            (State.ACCEPTED,),
            State.PROPOSED,
            officer,
            Note,
        ),
        Move(
            "handle_directly",
            _("Handle directly (simple matter)"),
            (State.ACCEPTED,),
            State.IN_PROGRESS,
            officer,
            Reason,
            "outline-primary",
        ),
        Move(
            "deliberate",
            _("Open deliberation"),
            (State.PROPOSED,),
            State.DELIBERATING,
            officer,
            Note,
            meeting_only=True,
        ),
        Decide(
            "decide",
            _("Record the meeting's decision"),
            (State.DELIBERATING,),
            State.DECIDED,
            officer,
            Decision,
            meeting_only=True,
        ),
        Move(
            "start",
            _("Start the work"),
            (State.DECIDED,),
            State.IN_PROGRESS,
            officer_or_owner,
            Note,
        ),
        Resolve(
            "resolve",
            _("Resolve"),
            (State.IN_PROGRESS,),
            State.RESOLVED,
            officer_or_owner,
            Resolution,
        ),
        Verify(
            "verify",
            _("Record the follow-up visit"),
            (State.RESOLVED,),
            State.VERIFIED,
            verifier,
            Visit,
        ),
        Reopen(
            "reopen",
            _("Reopen (not satisfied)"),
            (State.RESOLVED, State.VERIFIED),
            None,
            officer_or_grid_worker,
            Reopening,
            "outline-danger",
        ),
    ]
}


# The states in which a case's owner has moves of his own (start the work, resolve): what the
# owner's queue on the homes lists (cases/queues.py, "my_cases").
OWNERS_MOVES_FROM = tuple(
    dict.fromkeys(state for m in MOVES.values() if m.may is officer_or_owner for state in m.sources)
)


def open_task_count(case: Case) -> int:
    annotated = getattr(case, "open_task_count", None)
    if annotated is not None:
        return annotated
    return case.tasks.filter(status=TaskStatus.OPEN).count()


def available_moves(scope: Scope, user, case: Case) -> list[Move]:
    """The moves this user may make on this case now: exactly the buttons to show."""
    return [m for m in MOVES.values() if refusal(scope, user, case, m) is None]


def blocked_moves(scope: Scope, user, case: Case) -> list[tuple[Move, str]]:
    """Moves this user could make here but for a condition (open tasks, a meeting needed):
    shown greyed, with why, so nobody wonders where the button went."""
    blocked = []
    for move in MOVES.values():
        if case.state in move.sources and move.may(scope, user, case):
            reason = refusal(scope, user, case, move)
            if reason:
                blocked.append((move, reason))
    return blocked


def refusal(scope: Scope, user, case: Case, move: Move, in_meeting=False) -> str | None:
    """Why `move` is not allowed now, or None when it is."""
    if case.state not in move.sources:
        return _("This case is %(state)s; “%(move)s” is not possible now.") % {
            "state": case.get_state_display(),
            "move": move.label,
        }
    if not move.may(scope, user, case):
        return move.role_refusal(scope, user, case)
    if move.meeting_only and not in_meeting:
        return _("This is recorded in a deliberation meeting: put the case on one.")
    return move.condition(case)


def locked_case(scope: Scope, case_id) -> Case:
    """The case under a row lock, through the scope; a second request waits here."""
    case = scope.narrow(Case.objects.select_for_update()).filter(pk=case_id).first()
    if case is None:
        raise MoveRefused(_("This case does not exist or is outside your places."))
    return case


# Every change below is written by history.record, which follows it with what it causes
# (cases/consequences.py: the report rollups, the notices, the hotline's status).
_record = history.record


def perform(scope: Scope, user, case_id: int, move_name: str, inputs, meeting=None) -> Case:
    """Make a move; raises MoveRefused (with the reason) or returns the changed case.

    `inputs` is the move's dataclass (`MOVES[name].inputs`, see cases/inputs.py); wrong values
    raise MoveRefused with `.errors` by field. `meeting` ({"meeting": id, ...}) is given by the
    meetings app for 议 and 决 and kept in the history row, which links to it.
    """
    move = MOVES.get(move_name)
    if move is None:
        raise MoveRefused(_("Unknown move."))
    if not isinstance(inputs, move.inputs):
        raise TypeError(f"{move_name} takes {move.inputs.__name__}, not {type(inputs).__name__}")
    with transaction.atomic():
        # Lock the row, then check everything again: a second officer waits here and then
        # finds the case already moved.
        case = locked_case(scope, case_id)
        reason = refusal(scope, user, case, move, in_meeting=meeting is not None)
        if reason:
            raise MoveRefused(reason)
        _invalid(move.validate(case, inputs))
        from_state = case.state
        target = move.target_for(case, inputs)
        details = {**move.apply(case, inputs, user, timezone.now()), **(meeting or {})}
        case.state = target
        case.save()
        history.record(case, user, move.name, from_state, target, inputs.note, details)
        if target in CLOSING_STATES:
            close_repeats(case, user)  # each repeat's change takes the same road
    return case


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
    "log": _("Logged"),
    "task_added": _("Task added"),
    "task_done": _("Task done"),
    "task_dropped": _("Task dropped"),
    "escalated": _("Escalated to the street"),
    "escalation_answered": _("The street answered"),
    "linked_duplicate": _("Linked as a repeat"),
    "anonymised": _("The resident's personal data anonymised"),
    "rated": _("Rated by the resident"),
    # The 12345 hotline (interop): 延期申请 and its answer, and the hotline's 回访.
    "hotline_extension_requested": _("Extension asked of the hotline"),
    "hotline_extension_answered": _("The hotline answered the extension request"),
    "hotline_visit": _("The hotline's follow-up call"),
    **{name: move.label for name, move in MOVES.items()},
}


# Bulk moves: each case is still checked on its own, under its own lock.
def perform_many(scope: Scope, user, case_ids, move_name: str, inputs) -> dict:
    """Returns {"done": [case, ...], "refused": [(case_id, message), ...]}."""
    done, refused = [], []
    for case_id in case_ids:
        try:
            done.append(perform(scope, user, case_id, move_name, inputs))
        except MoveRefused as error:
            # Inputs wrong for this case (an owner from another grid) refuse this case only.
            reason = " ".join(str(message) for message in error.errors.values())
            refused.append((case_id, reason or str(error)))
    return {"done": done, "refused": refused}


# Tasks (办): the decided plan broken into work with owners and due dates.
TASK_STATES = (State.DECIDED, State.IN_PROGRESS)


def may_add_tasks(scope, user, case) -> bool:
    return task_refusal(scope, user, case) is None


def task_refusal(scope, user, case) -> str | None:
    """Why this user cannot add tasks to this case now, or None."""
    if not officer_or_owner(scope, user, case):
        return _("Only an officer or the case owner manages its tasks.")
    if case.state not in TASK_STATES:
        return _("Tasks are added once the plan is decided.")
    return None


def may_close_task(scope, user, case, task) -> bool:
    """An officer, the case owner or the task's own owner marks it done or drops it."""
    return task.status == TaskStatus.OPEN and (
        officer_or_owner(scope, user, case) or task.owner_user_id == user.pk
    )


def _validate_task(case, task: NewTask) -> dict:
    errors = {}
    _text(errors, "title", task.title, 200, _("Task"))
    if (task.owner_user is None) == (task.owner_contact is None):
        errors["__all__"] = _("Choose one owner: a user or an outside contact.")
    elif task.owner_user is not None:
        if not possible_owners(case).filter(pk=task.owner_user.pk).exists():
            errors["owner_user"] = _(
                "Choose one of the community's officers or the grid's workers."
            )
    elif not task_contacts(case).filter(pk=task.owner_contact.pk).exists():
        errors["owner_contact"] = _("Choose one of the contacts offered.")
    if task.due_date is None or task.due_date < timezone.localdate():
        errors["due_date"] = _("The due date cannot be in the past.")
    elif task.due_date > timezone.localdate() + LONGEST_DEADLINE:
        errors["due_date"] = _("The deadline must be within a year.")
    return errors


def add_task(scope: Scope, user, case_id, task: NewTask, meeting=None) -> Task:
    """A task of the plan, from the case page or decided in a meeting (`meeting` links it)."""
    with transaction.atomic():
        case = locked_case(scope, case_id)
        reason = task_refusal(scope, user, case)
        if reason:
            raise MoveRefused(reason)
        _invalid(_validate_task(case, task))
        created = Task.objects.create(
            case=case,
            created_by=user,
            title=task.title,
            owner_user=task.owner_user,
            owner_contact=task.owner_contact,
            due_date=task.due_date,
        )
        case.response_deadline = plan_deadline(case)
        case.save(update_fields=["response_deadline", "updated_at"])
        _record(
            case,
            user,
            "task_added",
            case.state,
            case.state,
            created.title,
            {
                **_owner_written(created),
                "due_date": created.due_date.isoformat(),
                "response_deadline": case.response_deadline.isoformat(),
                **(meeting or {}),
            },
            subject=created,
        )
    return created


def _owner_written(task) -> dict:
    """A task's owner as its history row keeps it: a person by name, an outside contact by
    name with their kind apart (物业, a unit leader), so that each reader sees the kind in
    their own language (cases/templatetags/history_labels.py, `owner_label`)."""
    if task.owner_contact_id:
        return {"owner": task.owner_contact.name, "owner_kind": task.owner_contact.kind}
    return {"owner": person_name(task.owner)}


def plan_deadline(case: Case) -> datetime:
    """The decided plan's deadline: the end of its latest open task's due day, local time.

    From 决 on, the case is due when its plan says, so a case on plan is not overdue (the
    overdue queue, page, reminders and report all read `response_deadline`)."""
    latest = case.tasks.filter(status=TaskStatus.OPEN).aggregate(day=Max("due_date"))["day"]
    return timezone.make_aware(datetime.combine(latest, time(23, 59, 59)))


def close_task(scope: Scope, user, case_id, task_id, status, drop_reason="") -> Task:
    """Mark a task done, or drop it with a reason."""
    with transaction.atomic():
        case = locked_case(scope, case_id)
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
            errors = {}
            _text(errors, "drop_reason", drop_reason, 500, _("Why is it dropped?"))
            if errors:
                raise MoveRefused(_("Say why the task is dropped."))
            task.drop_reason = drop_reason
            note = _("%(task)s: %(reason)s") % {"task": task.title, "reason": task.drop_reason}
        elif status != TaskStatus.DONE:
            raise MoveRefused(_("Unknown move."))
        task.status = status
        task.closed_at = timezone.now()
        task.save()
        _record(case, user, f"task_{status}", case.state, case.state, note, subject=task)
    return task


# Escalation (督办): an overdue case is flagged to the street, which answers.
def is_overdue(case: Case, now=None) -> bool:
    now = now or timezone.now()
    return (
        case.state in OPEN_STATES
        and case.response_deadline is not None
        and case.response_deadline < now
        and case.duplicate_of_id is None  # a linked repeat follows its original (models.py)
    )


def escalation_refusal(scope, user, case) -> str | None:
    """Why this user cannot escalate this case now, or None."""
    if not officer_or_grid_worker(scope, user, case):
        return _("Your role does not allow escalating this case.")
    if not is_overdue(case):
        return _("Only an overdue case can be escalated to the street.")
    if case.escalations.filter(answered_at__isnull=True).exists():
        return _("This case is already escalated and waits for the street.")
    return None


def escalate(scope: Scope, user, case_id, reason: str) -> Escalation:
    with transaction.atomic():
        case = locked_case(scope, case_id)
        refused = escalation_refusal(scope, user, case)
        if refused:
            raise MoveRefused(refused)
        errors = {}
        _text(errors, "reason", reason, 1000, _("Why the street should step in"))
        _invalid(errors)
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(case=case, reason=reason, raised_by=user)
        except IntegrityError:  # a twin request got there first
            raise MoveRefused(
                _("This case is already escalated and waits for the street.")
            ) from None
        _record(case, user, "escalated", case.state, case.state, reason, subject=escalation)
    return escalation


def may_answer_escalation(scope: Scope, case) -> bool:
    """督办 is answered by the street the case belongs to."""
    return scope.is_superuser or case.street_id in scope.street_ids


def answer_escalation(
    scope: Scope, user, case_id, escalation_id, answer: EscalationAnswer
) -> Escalation:
    with transaction.atomic():
        case = locked_case(scope, case_id)
        if not may_answer_escalation(scope, case):
            raise MoveRefused(_("Only street staff answer an escalation."))
        escalation = (
            Escalation.objects.select_for_update().filter(pk=escalation_id, case=case).first()
        )
        if escalation is None:
            raise MoveRefused(_("This escalation does not belong to this case."))
        if escalation.answered_at is not None:
            raise MoveRefused(_("This escalation has already been answered."))
        errors = {}
        _text(errors, "comment", answer.comment, 1000, _("The street's comment"))
        _future(errors, "new_deadline", answer.new_deadline)
        _invalid(errors)
        escalation.comment = answer.comment
        escalation.new_deadline = answer.new_deadline
        escalation.answered_by = user
        escalation.answered_at = timezone.now()
        escalation.save()
        case.response_deadline = answer.new_deadline
        case.save(update_fields=["response_deadline", "updated_at"])
        _record(
            case,
            user,
            "escalation_answered",
            case.state,
            case.state,
            answer.comment,
            {"new_deadline": answer.new_deadline.isoformat()},
            subject=escalation,
        )
    return escalation


# Repeats (重复诉求): a new request about a matter already being handled is linked to the older
# case (`duplicate_of`), never the other way round. The repeat follows its original: it waits
# for no acceptance and is never overdue (models.overdue_condition), and when the original is
# resolved, verified or declined its open repeats are closed with it, in the same transaction:
#
# - original resolved or verified: each open repeat is resolved (解单) with the original's
#   outcome and its explanation for residents (the repeat's resident reads it in the status
#   lookup), and gets no follow-up visit of its own: 查单 is made once, on the original;
# - original declined: each open repeat is declined with the original's reason.
#
# Each closed repeat gets a history row naming the original (details["closed_with"]); its open
# tasks are dropped with that reason. A repeat already closed stays as it is.
CLOSING_STATES = (State.RESOLVED, State.VERIFIED, State.DECLINED)


def may_link(scope, user, case) -> bool:
    return officer_or_grid_worker(scope, user, case)


def linking_refusal(scope, user, case) -> str | None:
    """Why this user cannot link this case as a repeat, or None (the form and the POST)."""
    if not may_link(scope, user, case):
        return _("Your role does not allow linking this case.")
    return None


def link_refusal(case: Case, original: Case) -> str | None:
    """Why `case` cannot be linked as a repeat of `original` (the first of its chain), or None."""
    if original.pk == case.pk or original.duplicate_of_id == case.pk:
        return _("A case cannot repeat itself.")
    if case.created_at and original.created_at and original.created_at > case.created_at:
        return _(
            "%(code)s was logged after this case: link the newer case to the older one, "
            "from the newer case's page."
        ) % {"code": original.tracking_code}
    if original.state not in OPEN_STATES:
        return _(
            "%(code)s is already closed: this case is handled on its own (or reopen that one)."
        ) % {"code": original.tracking_code}
    return None


def link_differences(case: Case, named: Case) -> list[str]:
    """How the case the person `named` differs from `case` in place and category, said for
    them: a repeat is the same matter at the same place, so a difference is asked first."""
    differences = []
    if (case.grid_id, case.building_id, case.unit_id) != (
        named.grid_id,
        named.building_id,
        named.unit_id,
    ):
        differences.append(_("at %(place)s") % {"place": named.place})
    if case.category_id != named.category_id:
        differences.append(_("about %(category)s") % {"category": named.category})
    return differences


def _first_of_chain(original: Case) -> Case:
    # Link to the first of a chain, so every repeat points at the case being handled.
    return original.duplicate_of if original.duplicate_of_id else original


def record_link(case: Case, original: Case, user):
    _record(
        case,
        user,
        "linked_duplicate",
        case.state,
        case.state,
        "",
        {"duplicate_of": original.tracking_code},
    )


def link_duplicate(scope: Scope, user, case_id, tracking_code: str, elsewhere="") -> Case:
    """`elsewhere`: the tracking code the person confirmed linking to although the cases'
    places or categories differ (the box asked about it ticked)."""
    with transaction.atomic():
        case = locked_case(scope, case_id)
        refused = linking_refusal(scope, user, case)
        if refused:
            raise MoveRefused(refused)
        code = (tracking_code or "").strip().upper()
        errors = {}
        _text(errors, "tracking_code", code, 12, _("Tracking code of the case this one repeats"))
        _invalid(errors)
        found = (
            scope.narrow(Case.objects.select_related("duplicate_of"))
            .filter(tracking_code=code)
            .first()
        )
        if found is None:
            raise MoveRefused(_("No case with this tracking code in your places."))
        original = _first_of_chain(found)
        refused = link_refusal(case, original)
        if refused:
            raise MoveRefused(refused)
        # Said of the case the person named, which is in their places (the first of its
        # chain may not be).
        differences = link_differences(case, found)
        if differences and (elsewhere or "").strip().upper() != code:
            question = _(
                "%(code)s is %(differences)s, unlike this case. Tick the box if this case "
                "repeats it all the same, and link again."
            ) % {
                "code": found.tracking_code,
                "differences": pgettext("between differences", ", ").join(differences),
            }
            raise MoveRefused(
                question, errors={"elsewhere": _("Tick this box to link all the same.")}
            )
        case.duplicate_of = original
        case.save(update_fields=["duplicate_of", "updated_at"])
        record_link(case, original, user)
    return case


def _last_resolution(case: Case) -> dict:
    event = case.events.filter(move="resolve").order_by("-at", "-id").first()
    return dict(event.details) if event else {}


def close_repeats(original: Case, user, _seen=None) -> list[Case]:
    """Close the open repeats of `original`, which has just been resolved, verified or
    declined; called inside the move's transaction (see the rule above). A case that had
    repeats of its own before it was linked takes them along: they close with it."""
    seen = _seen if _seen is not None else {original.pk}
    repeats = [
        repeat
        for repeat in Case.objects.select_for_update()
        .filter(duplicate_of=original, state__in=OPEN_STATES)
        .order_by("pk")
        if repeat.pk not in seen
    ]
    if not repeats:
        return []
    now = timezone.now()
    declined = original.state == State.DECLINED
    details = {"closed_with": original.tracking_code}
    if declined:
        note, told = (
            original.events.filter(move="decline")
            .order_by("-at", "-id")
            .values_list("note", KT("details__explanation"))
            .first()
        ) or ("", None)
        if told:  # the repeat's resident is told what the original's was
            details["explanation"] = told
    else:
        note = ""
        resolution = _last_resolution(original)
        details.update(
            {
                key: resolution.get(key, "")
                for key in ("outcome", "explanation_method", "explanation", "referral")
            }
        )
    for repeat in repeats:
        from_state = repeat.state
        if declined:
            repeat.state = State.DECLINED
        else:
            repeat.state = State.RESOLVED
            repeat.outcome = original.outcome
            repeat.resolved_by = user
            repeat.resolved_at = now
            repeat.follow_up_due = None  # 查单 is made once, on the original
        repeat.save()
        repeat.tasks.filter(status=TaskStatus.OPEN).update(
            status=TaskStatus.DROPPED,
            drop_reason=_("Closed with %(code)s, which this case repeats.")
            % {"code": original.tracking_code},
            closed_at=now,
        )
        seen.add(repeat.pk)
        _record(
            repeat,
            user,
            "decline" if declined else "resolve",
            from_state,
            repeat.state,
            note,
            details,
        )
    for repeat in repeats:
        close_repeats(repeat, user, seen)
    return repeats
