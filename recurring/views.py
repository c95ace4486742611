"""The recurring problems pages: the list of the user's places, one problem with why its cases
belong together, and the officer's actions on it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import Capability
from cases.workflow import MoveRefused
from common.params import BadParameter

from . import rules, selectors, services
from .forms import CloseForm, DismissForm, SessionForm, SplitForm
from .models import Problem, Status

PER_PAGE = 50


@require_GET
def problem_list(request):
    status = request.GET.get("status") or Status.OPEN
    if status not in Status.values:
        raise BadParameter("status", _("Choose one of the options offered."))
    problems = list(selectors.listed(request.scope, (status,))[:PER_PAGE])
    return render(
        request,
        "recurring/list.html",
        {
            "problems": problems,
            # The tabs: (value, label, whether it is the one shown).
            "tabs": [(value, label, value == status) for value, label in Status.choices],
        },
    )


def _problem(request, pk, capability=None):
    """The problem through the user's places (a 404 outside them); with `capability`, only
    where the user holds it."""
    scope = request.scope.granting(capability) if capability else request.scope
    return scope.get(selectors.shown(Problem.objects.all()), pk=pk)


@require_GET
def problem_detail(request, pk):
    return _page(request, _problem(request, pk))


def _page(request, problem, bound=None, refusal=None, status=200):
    bound = bound or {}
    members = selectors.members(problem)
    may_act = request.scope.may(Capability.RECURRING_PROBLEMS, problem)
    carried = services.carried_cases(problem) if may_act else []
    forms = {}
    no_session = None  # why it cannot go to a session, said where the form would be
    if may_act and problem.status == Status.OPEN:
        forms["dismiss"] = bound.get("dismiss") or DismissForm(prefix="dismiss")
        forms["split"] = bound.get("split") or SplitForm(prefix="split", members=members)
        no_session = rules.session_refusal(problem, len(carried))
        if not no_session:
            forms["session"] = bound.get("session") or SessionForm(prefix="session")
    closable = [m for m in members if m.carried and m.case.state in ("decided", "in_progress")]
    if may_act and problem.status == Status.DELIBERATED and closable:
        forms["close"] = bound.get("close") or CloseForm(prefix="close")
    would_go = {case.pk for case in carried} if "session" in forms else set()
    for member in members:
        member.why = rules.why(member)
        member.would_go = member.case_id in would_go
    context = {
        "problem": problem,
        "title": rules.title(problem),
        "members": members,
        "carried": carried,
        "forms": forms,
        "no_session": no_session,
        "refusal": refusal,
        "place": rules.place_name(problem),
        "window": problem.street.recurring_window_days,
        "min_cases": rules.MIN_CASES,
    }
    return render(request, "recurring/detail.html", context, status=status)


ACTIONS = {
    "dismiss": (
        DismissForm,
        lambda r, p, f: services.dismiss(r.scope, r.user, p.pk, f.cleaned_data["reason"]),
    ),
    "split": (
        SplitForm,
        lambda r, p, f: services.split(r.scope, r.user, p.pk, f.cleaned_data["cases"]),
    ),
    "session": (
        SessionForm,
        lambda r, p, f: services.put_on_session(r.scope, r.user, p.pk, f.inputs()),
    ),
    "close": (
        CloseForm,
        lambda r, p, f: services.close_together(
            r.scope, r.user, p.pk, f.inputs(), f.cleaned_data["close_tasks"]
        ),
    ),
}


@require_POST
def problem_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    problem = _problem(request, pk, Capability.RECURRING_PROBLEMS)
    form_class, run = ACTIONS[action]
    extra = {"members": selectors.members(problem)} if action == "split" else {}
    form = form_class(request.POST, prefix=action, **extra)
    if not form.is_valid():
        return _page(request, problem, bound={action: form}, status=400)
    try:
        result = run(request, problem, form)
    except MoveRefused as refused:
        for field, message in refused.errors.items():
            # A refusal of something the form has no field for is said above the form.
            form.add_error(field if field in form.fields else None, message)
        problem = _problem(request, pk)
        return _page(request, problem, bound={action: form}, refusal=str(refused), status=409)
    return _after(request, problem, action, result)


def _after(request, problem, action, result):
    if action == "dismiss":
        messages.success(request, _("Dismissed. It stays dismissed until a new case joins it."))
    elif action == "split":
        messages.success(request, _("Split off as a problem of its own."))
        return redirect("recurring:detail", result.pk)
    elif action == "session":
        carried = problem.members.filter(carried=True).count()
        messages.success(
            request,
            ngettext(
                "On the agenda of the session on %(day)s, as one item: %(n)s case is "
                "deliberated with it.",
                "On the agenda of the session on %(day)s, as one item: %(n)s cases are "
                "deliberated with it.",
                carried,
            )
            % {
                "day": timezone.localtime(result.meeting.starts_at).strftime("%Y-%m-%d"),
                "n": carried,
            },
        )
        return redirect("meetings:detail", result.meeting_id)
    else:
        done, refused = result["done"], result["refused"]
        messages.success(
            request,
            ngettext(
                "%(n)s case resolved; each gets its own follow-up visit.",
                "%(n)s cases resolved; each gets its own follow-up visit.",
                len(done),
            )
            % {"n": len(done)},
        )
        for case, reason in refused:
            messages.error(request, f"{case.tracking_code}: {reason}")
    return redirect("recurring:detail", problem.pk)
