"""The case lifecycle: 点单 → 接单 → 解单 (提 · 议 · 决 · 办) → 查单, in one place.

Each move says where it may start, where it ends, who may make it and which fields it
needs (its form). `perform()` is the only way a case changes state: it locks the row,
checks the move again under the lock, writes the change and one history row in one
transaction, so two officers pressing the same button at once produce one move.
"""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope

from .models import Case, CaseEvent, ExplanationMethod, Outcome, Satisfaction, State


class MoveRefused(Exception):
    """A move that is not allowed; the message is shown to the user as it is."""


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


# The fields each move needs.
class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(NoteForm):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    response_deadline = forms.DateTimeField(
        label=_("Response deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        if case is not None:
            self.fields["owner"].queryset = possible_owners(case)
            self.initial.setdefault(
                "response_deadline",
                (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            )

    def clean_response_deadline(self):
        deadline = self.cleaned_data["response_deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError(_("The deadline must be in the future."))
        return deadline


class DecideForm(NoteForm):
    plan = forms.CharField(
        label=_("Plan"),
        max_length=2000,
        help_text=_("For example: 自筹资金+具体施工+临时供水"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    explanation_method = forms.ChoiceField(
        label=_("How it was explained to residents"), choices=ExplanationMethod.choices
    )
    explanation = forms.CharField(
        label=_("The explanation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    referral = forms.CharField(
        label=_("Why not, and where the resident was referred"),
        required=False,
        max_length=500,
        help_text=_("Needed when the case cannot be resolved."),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.CANNOT and not data.get("referral"):
            self.add_error("referral", _("Say why, and where the resident was referred."))
        return data


class VerifyForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Resident's satisfaction"), choices=Satisfaction.choices
    )
    note = forms.CharField(
        label=_("Follow-up visit"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(ReasonForm):
    back_to = forms.ChoiceField(
        label=_("Back to"),
        choices=[
            (State.ACCEPTED, _("accepted (接单)")),
            (State.DELIBERATING, _("deliberating again (再协商)")),
        ],
    )


def possible_owners(case: Case):
    """Users who may own the case: the community's officers and the grid's workers."""
    from accounts.models import Role

    holders = Role.objects.filter(
        Q(community_id=case.community_id, grid__isnull=True) | Q(grid_id=case.grid_id)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=holders.values("user_id"))
        .order_by("first_name", "username")
    )


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the form chooses (reopen)
    may: callable
    form: type[forms.Form]
    style: str = "primary"

    def form_for(self, case, data=None):
        if self.form is AcceptForm:
            return self.form(data, case=case, prefix=self.name)
        return self.form(data, prefix=self.name)


MOVES = {
    move.name: move
    for move in [
        Move("accept", _("Accept (接单)"), (State.SUBMITTED,), State.ACCEPTED, officer, AcceptForm),
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
        ),
        Move(
            "decide",
            _("Record the decision (决)"),
            (State.DELIBERATING,),
            State.DECIDED,
            officer,
            DecideForm,
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


def available_moves(scope: Scope, user, case: Case) -> list[Move]:
    """The moves this user may make on this case now: exactly the buttons to show."""
    return [m for m in MOVES.values() if case.state in m.sources and m.may(scope, user, case)]


def refusal(scope: Scope, user, case: Case, move: Move) -> str | None:
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
    return None


def perform(scope: Scope, user, case_id: int, move_name: str, data) -> Case:
    """Make a move; raises MoveRefused (with the reason) or returns the changed case.

    `data` is the submitted form data; invalid data raises MoveRefused with the form attached
    as `.form`, so the page can show each field's message.
    """
    move = MOVES.get(move_name)
    if move is None:
        raise MoveRefused(_("Unknown move."))
    with transaction.atomic():
        # Lock the row, then check everything again: a second officer waits here and then
        # finds the case already moved.
        case = scope.narrow(Case.objects.select_for_update()).filter(pk=case_id).first()
        if case is None:
            raise MoveRefused(_("This case does not exist or is outside your places."))
        reason = refusal(scope, user, case, move)
        if reason:
            raise MoveRefused(reason)
        form = move.form_for(case, data)
        if not form.is_valid():
            error = MoveRefused(_("Please correct the fields below."))
            error.form = form
            raise error
        values = form.cleaned_data
        from_state = case.state
        target = move.target or values["back_to"]
        details = _apply(move, case, values, user)
        case.state = target
        case.save()
        CaseEvent.objects.create(
            case=case,
            move=move.name,
            from_state=from_state,
            to_state=target,
            actor=user,
            note=values.get("note", ""),
            details=details,
        )
    return case


def _apply(move: Move, case: Case, values: dict, user) -> dict:
    """Copy the move's fields onto the case; return what the history row keeps besides."""
    if move.name == "accept":
        case.owner = values["owner"]
        case.response_deadline = values["response_deadline"]
        return {
            "owner": values["owner"].get_full_name() or values["owner"].username,
            "response_deadline": values["response_deadline"].isoformat(),
        }
    if move.name == "decide":
        case.plan = values["plan"]
        return {"plan": values["plan"]}
    if move.name == "resolve":
        case.outcome = values["outcome"]
        case.resolved_by = user
        return {
            key: values[key] for key in ("outcome", "explanation_method", "explanation", "referral")
        }
    if move.name == "verify":
        case.satisfaction = values["satisfaction"]
        return {"satisfaction": values["satisfaction"]}
    if move.name == "reopen":
        case.outcome = ""
        case.satisfaction = ""
        case.resolved_by = None
    return {}
