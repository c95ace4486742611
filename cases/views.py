"""Case pages. Every object is loaded through request.scope; the rules live in workflow.py."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from common.bodylimit import accepts_upload
from common.queries import count_of
from grids.models import Building, Grid, Unit

from . import exports, workflow
from .filters import CaseFilter, field_list, with_list_columns
from .forms import (
    AnswerEscalationForm,
    BulkForm,
    EscalateForm,
    LinkDuplicateForm,
    LogCaseForm,
    TaskForm,
)
from .intake import log_case, possible_duplicates
from .models import Case, CasePhoto, ResidentRating, Task, TaskStatus
from .photos import photos_upload_bytes
from .privacy import may_export, reveal_phone


def _private(response):
    # Case pages carry personal information: never kept by a browser or a proxy.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def _bulk_owners(scope):
    """Whom an officer may give cases to: officers and grid workers of their communities."""
    holders = Role.objects.filter(
        Q(community_id__in=scope.community_ids) | Q(street_id__in=scope.street_ids)
    ).exclude(kind="street_staff")
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=holders.values("user_id"))
        .order_by("first_name", "username")
    )


def _owner_choices(scope):
    """(id, name) pairs for the bulk form's owner select: plain values render fastest."""
    return [
        (pk, f"{first} {last}".strip() or username)
        for pk, first, last, username in _bulk_owners(scope).values_list(
            "pk", "first_name", "last_name", "username"
        )
    ]


# The list -------------------------------------------------------------------------------
@require_GET
def case_list(request):
    scope = request.scope
    case_filter = CaseFilter(request.GET or None, scope=scope)
    queryset = with_list_columns(scope.narrow(Case.objects.all()))
    refused = case_filter.is_bound and not case_filter.is_valid()
    if case_filter.is_bound and not refused:
        queryset = case_filter.filter_queryset(queryset)
    elif refused:
        queryset = queryset.none()
    page = Paginator(queryset, settings.CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": case_filter,
        "page": page,
        "query": query.urlencode(),
        "may_export": may_export(scope),
        "filter_fields": field_list(case_filter.form),
        "bulk_form": scope.is_officer,
        "bulk_owners": _owner_choices(scope) if scope.is_officer else (),
        "bulk_deadline": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    return _private(render(request, "cases/list.html", context, status=400 if refused else 200))


@require_POST
def case_bulk(request):
    scope = request.scope
    if not scope.is_officer:
        raise PermissionDenied
    form = BulkForm(request.POST, owners=_bulk_owners(scope))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back_to_list(request))
    data = form.cleaned_data
    action = data["action"]
    move_data = {
        f"{action}-owner": data["owner"].pk,
        f"{action}-response_deadline": request.POST.get("response_deadline", ""),
    }
    results = workflow.perform_many(scope, request.user, data["ids"], action, move_data)
    if results["done"]:
        messages.success(
            request,
            _("%(n)s cases done: %(codes)s")
            % {
                "n": len(results["done"]),
                "codes": ", ".join(c.tracking_code for c in results["done"]),
            },
        )
    codes = dict(
        Case.objects.filter(pk__in=[i for i, _m in results["refused"]]).values_list(
            "pk", "tracking_code"
        )
    )
    for case_id, message in results["refused"]:
        messages.warning(request, f"{codes.get(case_id, _('a case'))}: {message}")
    return redirect(_back_to_list(request))


def _back_to_list(request):
    """The list with the filters the bulk form came from. The query string is parsed and
    encoded again; one longer than a browser would send is dropped rather than followed."""
    from django.http import QueryDict
    from django.urls import reverse

    back = request.POST.get("back", "")
    query = QueryDict(back).urlencode() if len(back) <= 2000 else ""
    return reverse("cases:list") + (f"?{query}" if query else "")


# Logging --------------------------------------------------------------------------------
@accepts_upload(photos_upload_bytes(LogCaseForm))
def case_new(request):
    scope = request.scope
    if not scope.has_any_place:
        raise PermissionDenied
    form = LogCaseForm(request.POST or None, request.FILES or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        case = log_case(form, request.user)
        messages.success(
            request,
            _("Case %(code)s is logged. Give the resident this tracking code.")
            % {"code": case.tracking_code},
        )
        return redirect("cases:detail", case.pk)
    grids = list(form.fields["grid"].queryset)
    chosen_grid = _chosen(form, "grid") or (grids[0].pk if len(grids) == 1 else None)
    chosen_building = _chosen(form, "building")
    context = {
        "form": form,
        "grids": grids,
        "chosen_grid": chosen_grid,
        "chosen_building": chosen_building,
        "chosen_unit": _chosen(form, "unit"),
        "buildings": _buildings(scope, chosen_grid),
        "units": _units(scope, chosen_building),
    }
    status = 400 if form.is_bound else 200
    return _private(render(request, "cases/new.html", context, status=status))


def _chosen(form, name):
    value = form.data.get(name) if form.is_bound else form.initial.get(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _buildings(scope, grid_id):
    if not grid_id:
        return []
    return list(scope.narrow(Building.objects.filter(grid_id=grid_id)).order_by("estate", "name"))


def _units(scope, building_id):
    if not building_id:
        return []
    return list(scope.narrow(Unit.objects.filter(building_id=building_id)).order_by("name"))


@require_GET
def place_picker(request):
    """The next tap of the place picker: a grid's buildings, or a building's units (htmx)."""
    scope = request.scope
    building = _int(request.GET.get("building"))
    if building:
        building_obj = scope.get(Building, pk=building)
        return render(
            request,
            "cases/_units.html",
            {"units": _units(scope, building), "chosen_building": building_obj.pk},
        )
    grid = scope.get(Grid, pk=_int(request.GET.get("grid")) or 0)
    return render(
        request,
        "cases/_buildings.html",
        {"buildings": _buildings(scope, grid.pk), "chosen_grid": grid.pk},
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# The case page --------------------------------------------------------------------------
def _load_case(request, pk):
    return request.scope.get(
        # Few joins (PostgreSQL plans wide joins slowly); the rest comes by id, one query each.
        Case.objects.select_related("grid", "category")
        .prefetch_related(
            "community", "street", "building", "unit", "owner", "created_by", "duplicate_of"
        )
        .annotate(open_task_count=count_of(Task.objects.filter(status=TaskStatus.OPEN), "case")),
        pk=pk,
    )


def _case_page(request, case, *, bound=None, refusal=None, status=200, phone=None):
    """Render the case page; `bound` replaces one action's empty form with the submitted one."""
    scope, user = request.scope, request.user
    bound = bound or {}
    moves = [
        (move, bound.get(move.name) or move.form_for(case))
        for move in workflow.available_moves(scope, user, case)
    ]
    # Moves this user could make here but for a condition (open tasks): shown greyed, with why.
    blocked = [
        (move, workflow.refusal(scope, user, case, move))
        for move in workflow.MOVES.values()
        if case.state in move.sources
        and move.may(scope, user, case)
        and workflow.refusal(scope, user, case, move)
    ]
    tasks = list(case.tasks.select_related("owner_user", "owner_contact"))
    may_manage_tasks = workflow.may_add_tasks(scope, user, case)
    context = {
        "case": case,
        "moves": moves,
        "blocked": blocked,
        "events": case.events.select_related("actor"),
        "tasks": tasks,
        "task_form": bound.get("task")
        or (TaskForm(case=case, prefix="task") if may_manage_tasks else None),
        "may_close_tasks": workflow.officer_or_owner(scope, user, case),
        "photos": list(case.photos.all()),
        "escalations": list(case.escalations.select_related("raised_by", "answered_by")),
        "duplicates": list(case.duplicates.all()),
        "similar": list(possible_duplicates(case)) if not case.duplicate_of_id else [],
        "is_overdue": workflow.is_overdue(case),
        "may_escalate": workflow.is_overdue(case)
        and workflow.officer_or_grid_worker(scope, user, case),
        "may_answer": workflow.may_answer_escalation(scope, case),
        "may_link": workflow.officer_or_grid_worker(scope, user, case),
        "escalate_form": bound.get("escalate") or EscalateForm(prefix="escalate"),
        "answer_form": bound.get("answer") or AnswerEscalationForm(prefix="answer"),
        "duplicate_form": bound.get("duplicate") or LinkDuplicateForm(prefix="duplicate"),
        "refusal": refusal,
        "phone": phone,
        # The meetings that took the case up (提/议/决), linked both ways.
        "agenda_items": list(case.agenda_items.select_related("meeting")),
        "rating": ResidentRating.objects.filter(case=case).first(),
        "emergency_form": _emergency_form(scope, user, case),
    }
    return _private(render(request, "cases/detail.html", context, status=status))


def _emergency_form(scope, user, case):
    if not workflow.may_call_emergency_session(scope, user, case):
        return None
    from meetings.forms import EmergencyForm  # the meetings app calls the session

    return EmergencyForm(prefix="emergency")


@require_GET
def case_detail(request, pk):
    return _case_page(request, _load_case(request, pk))


def _act(request, pk, action, bound_name, success):
    """Run one workflow action; on refusal show the page again with the message."""
    case = _load_case(request, pk)  # 404 before anything else for a case outside the scope
    try:
        action()
    except workflow.MoveRefused as refused:
        bound = {bound_name: refused.form} if refused.form is not None else {}
        status = 400 if refused.form is not None else 409
        return _case_page(request, case, bound=bound, refusal=str(refused), status=status)
    messages.success(request, success)
    return redirect("cases:detail", case.pk)


@require_POST
@accepts_upload(photos_upload_bytes(*(move.form for move in workflow.MOVES.values())))
def case_move(request, pk, move):
    if move not in workflow.MOVES:
        raise Http404
    label = workflow.MOVES[move].label
    return _act(
        request,
        pk,
        lambda: workflow.perform(
            request.scope, request.user, pk, move, request.POST, request.FILES
        ),
        move,
        _("Done: %(move)s.") % {"move": label},
    )


@require_POST
def task_add(request, pk):
    return _act(
        request,
        pk,
        lambda: workflow.add_task(request.scope, request.user, pk, request.POST),
        "task",
        _("Task added."),
    )


@require_POST
def task_close(request, pk, task_pk, status):
    if status not in (TaskStatus.DONE, TaskStatus.DROPPED):
        raise Http404
    return _act(
        request,
        pk,
        lambda: workflow.close_task(request.scope, request.user, pk, task_pk, status, request.POST),
        f"drop{task_pk}",
        _("Task marked done.") if status == TaskStatus.DONE else _("Task dropped."),
    )


@require_POST
def case_escalate(request, pk):
    return _act(
        request,
        pk,
        lambda: workflow.escalate(request.scope, request.user, pk, request.POST),
        "escalate",
        _("Escalated to the street."),
    )


@require_POST
def escalation_answer(request, pk, escalation_pk):
    return _act(
        request,
        pk,
        lambda: workflow.answer_escalation(
            request.scope, request.user, pk, escalation_pk, request.POST
        ),
        "answer",
        _("The street's answer is recorded and the deadline moved."),
    )


@require_POST
def case_link_duplicate(request, pk):
    return _act(
        request,
        pk,
        lambda: workflow.link_duplicate(request.scope, request.user, pk, request.POST),
        "duplicate",
        _("Linked as a repeat of an earlier case."),
    )


@require_POST
def case_phone(request, pk):
    """Show the full number once, on this page only; the viewing is recorded."""
    reveal_phone(request.scope, request.user, pk)
    case = _load_case(request, pk)
    return _case_page(request, case, phone=case.resident_phone)


@require_GET
def case_photo(request, pk, photo_pk):
    photo = request.scope.get(CasePhoto.objects.filter(case_id=pk), pk=photo_pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.{photo.extension}"'
    return _private(response)


# Export (street staff; logged) ----------------------------------------------------------
@require_GET
def case_export(request, file_format):
    scope = request.scope
    if not may_export(scope):
        raise PermissionDenied
    case_filter = CaseFilter(request.GET or None, scope=scope)
    if case_filter.is_bound and not case_filter.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        for error in case_filter.form.non_field_errors():
            messages.error(request, error)
        return redirect("cases:list")
    queryset = with_list_columns(scope.narrow(Case.objects.all()))
    if case_filter.is_bound:
        queryset = case_filter.filter_queryset(queryset)
    return exports.export(request.user, queryset, file_format, request.GET.urlencode())
