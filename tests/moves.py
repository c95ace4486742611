"""A case move as its page makes it: whether the user may make it, then the page's form bound
to what was sent, then the workflow with the form's typed inputs."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from cases import workflow
from cases.forms import move_form
from cases.inputs import Ownership, Reason
from cases.models import Case


def by_form(user, case_id, name, data, files=None, meeting=None):
    scope = Scope.for_user(user)
    case = scope.narrow(Case.objects.all()).filter(pk=case_id).first()
    if case is None:
        raise workflow.MoveRefused(_("This case does not exist or is outside your places."))
    reason = workflow.refusal(scope, user, case, workflow.MOVES[name], meeting is not None)
    if reason:
        raise workflow.MoveRefused(reason)
    form = move_form(name, case, data, files)
    if not form.is_valid():
        raise workflow.MoveRefused("the fields are wrong", form=form, errors=form.errors)
    try:
        return workflow.perform(scope, user, case_id, name, form.inputs(), meeting=meeting)
    except workflow.MoveRefused as refused:
        for field, message in refused.errors.items():
            form.add_error(field if field in form.fields else None, message)
        refused.form = form if refused.errors else None
        raise


def taken_on(officer, case, days=20):
    """The officer accepts the case, with a deadline `days` ahead, and handles it directly."""
    scope = Scope.for_user(officer)
    deadline = timezone.now() + timedelta(days=days)
    workflow.perform(
        scope, officer, case.pk, "accept", Ownership(owner=officer, response_deadline=deadline)
    )
    workflow.perform(scope, officer, case.pk, "handle_directly", Reason(note="直接办"))
