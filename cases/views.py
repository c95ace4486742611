"""Case pages. Every object is loaded through request.scope; the rules live in workflow.py."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability
from accounts.selectors import PEOPLE, owners_in_scope
from common import fragments
from common.bodylimit import accepts_upload
from common.drafts import drafted_prefix
from common.ordering import naturally
from common.params import id_param
from common.people import display_name, display_name_of
from common.queries import rows_of
from common.replicas import reads_from_replica
from grids.models import Building, Grid, Unit

from . import exports, list_rows, panels, queues, retention, workflow
from .filters import FILTER_CHOICES, CaseFilter, filter_panel, with_list_columns
from .forms import (
    MOVE_FORMS,
    NOT_A_REPEAT,
    AnonymiseForm,
    AnswerEscalationForm,
    BulkForm,
    DropTaskForm,
    EscalateForm,
    LinkDuplicateForm,
    LogCaseForm,
    TaskForm,
    move_form,
)
from .inputs import Ownership
from .intake import SIMILAR_SHOWN, SubmissionTaken, log_case, possible_duplicates
from .models import Case, CasePhoto, ResidentRating, TaskStatus
from .next_step import meeting_takes_it_up, next_step
from .offline import offline_cacheable
from .photos import photos_upload_bytes
from .privacy import (
    exportable,
    may_export,
    may_search_number,
    record_number_search,
    reveal_phone,
    searched_number,
)


def _private(response):
    # Case pages carry personal information: never kept by a browser or a proxy.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def _owner_choices(scope):
    """(id, name) pairs for the bulk form's owner select: plain values render fastest."""
    return naturally(
        (
            (pk, display_name_of(first, last, username))
            for pk, first, last, username in owners_in_scope(scope).values_list(
                "pk", "first_name", "last_name", "username"
            )
        ),
        key=lambda choice: choice[1],
    )


def _owner_options(scope, chosen=""):
    """The bulk form's owner <option>s, kept by each process until an account or a role
    changes (common/fragments.py): a street has some 120 people to sort and render. With the
    owner `chosen` in a refused bulk move, drawn for that page alone with it chosen again."""
    if chosen:
        return _options(_owner_choices(scope), chosen)
    return fragments.cached(PEOPLE, scope.places_key, lambda: _options(_owner_choices(scope)))


def _options(choices, chosen=""):
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if str(pk) == chosen else "", name) for pk, name in choices),
    )


# The list -------------------------------------------------------------------------------
QUICK_QUEUES_OFFICER = ("to_accept", "overdue", "escalation_waiting", "to_deliberate")
QUICK_QUEUES_WORKER = ("follow_up_due", "my_cases", "my_tasks", "to_accept", "overdue")
QUICK_PARAMETERS = {"q", "queue", "progress"}


@require_GET
@reads_from_replica
def case_list(request):
    return _list_page(request, request.GET)


def _list_page(request, params, *, bulk_sent=None, status=200):
    """The list for the query `params`. `bulk_sent` is a bulk move sent back refused: its
    ticks, move, owner and deadline are drawn again as they were sent (`_list_again`)."""
    scope = request.scope
    # The list as the menu opens it: nothing chosen, so nothing to check or filter.
    plain = not params
    case_filter = None if plain else CaseFilter(params, scope=scope)
    queryset = scope.narrow(Case.objects.all())
    refused = not plain and not case_filter.is_valid()
    number = None if plain else searched_number(case_filter)
    status = 400 if refused else status
    search_refusal = None
    if number and not may_search_number(scope, request.user, number, "cases:list"):
        search_refusal = _too_many_searches()
        refused, status = True, 429
    if not plain and not refused:
        queryset = case_filter.filter_queryset(queryset)
    elif refused:
        queryset = queryset.none()
    page = list_rows.page_of(queryset, params.get("page"), settings.CASE_LIST_PAGE_SIZE)
    bulk = Capability.BULK_MOVES in scope.capabilities
    sent = bulk_sent or {}
    rows = list_rows.rows(page, selectable=bulk, ticked=sent.get("ids", ()))
    if number and not refused:
        record_number_search(scope, request.user, number, page.paginator.count, "cases:list")
    query = params.copy()
    query.pop("page", None)
    quick = QUICK_QUEUES_OFFICER if bulk else QUICK_QUEUES_WORKER
    filters_open = any(key not in QUICK_PARAMETERS for key in query)
    context = {
        "search_form": _search_form(scope, case_filter, search_refusal, filters_open),
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        # Labelled for who reads them: a grid worker's 待接单 says it waits for the officer.
        "quick_queues": [
            {"key": key, "label": queues.QUEUES[key].label_for(queues.viewer_role(scope))}
            for key in quick
        ],
        "chosen_queue": params.get("queue", "") if len(query) == 1 else "",
        "may_export": may_export(scope),
        "bulk_form": bulk,
        "bulk_owner_options": _owner_options(
            scope.granting(Capability.BULK_MOVES), sent.get("owner", "")
        )
        if bulk
        else "",
        "bulk_action": sent.get("action", ""),
        "bulk_deadline": sent["response_deadline"]
        if bulk_sent
        else (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    if bulk_sent is not None:  # drawn by the bulk move's address: a switch returns to the list
        context["switch_next"] = reverse("cases:list") + (
            f"?{params.urlencode()}" if params else ""
        )
    return _private(render(request, "cases/list.html", context, status=status))


def _search_form(scope, case_filter, search_refusal, filters_open):
    """The search box and the filter panel (a quick filter shows its results first; the panel
    opens for the filters in it). The plain list's is the same for everyone with the same
    places and language: each process keeps it with the panel (common/fragments.py)."""

    def render(case_filter):
        context = {
            "filter": case_filter,
            "search_refusal": search_refusal,
            "filters_open": filters_open,
            "filter_panel": filter_panel(case_filter, scope),
        }
        return render_to_string("cases/_search.html", context)

    if case_filter is not None:
        return render(case_filter)
    return fragments.cached(
        FILTER_CHOICES,
        (scope.places_key, get_language(), "plain list"),
        lambda: render(CaseFilter(None, scope=scope)),
    )


def _too_many_searches():
    return _(
        "You have searched by a full phone number %(n)s times in the last hour, the most "
        "allowed. Search by the last four digits or the tracking code, or try again later."
    ) % {"n": settings.PHONE_SEARCHES_PER_USER_PER_HOUR}


@require_POST
def case_bulk(request):
    scope = request.scope.granting(Capability.BULK_MOVES)  # cases of other places are not found
    if not scope.has_any_place:
        raise PermissionDenied
    form = BulkForm(request.POST, owners=owners_in_scope(scope))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _list_again(request, form.data.getlist("ids"), status=400)
    data = form.cleaned_data
    ownership = Ownership(owner=data["owner"], response_deadline=data["response_deadline"])
    # Messages name only cases loaded through the scope: ids outside it are counted, never
    # looked up, so a made-up id cannot tell whether a case exists or what its code is.
    codes = dict(
        scope.narrow(Case.objects.filter(pk__in=data["ids"])).values_list("pk", "tracking_code")
    )
    outside = len(data["ids"]) - len(codes)
    results = workflow.perform_many(scope, request.user, list(codes), data["action"], ownership)
    if results["done"]:
        messages.success(
            request,
            ngettext(
                "%(n)s case done: %(codes)s", "%(n)s cases done: %(codes)s", len(results["done"])
            )
            % {
                "n": len(results["done"]),
                "codes": _(", ").join(c.tracking_code for c in results["done"]),
            },
        )
    for case_id, message in results["refused"]:
        messages.warning(
            request, _("%(code)s: %(message)s") % {"code": codes[case_id], "message": message}
        )
    if outside:
        messages.warning(
            request,
            ngettext(
                "%(n)s ticked case is not among your places; nothing was done to it.",
                "%(n)s ticked cases are not among your places; nothing was done to them.",
                outside,
            )
            % {"n": outside},
        )
    if results["refused"]:
        # The refused cases stay ticked, with the move as it was sent, to be put right.
        done = {str(case.pk) for case in results["done"]}
        ticked = [pk for pk in form.data.getlist("ids") if pk not in done]
        return _list_again(request, ticked, status=200 if done else 400)
    return redirect(_back_to_list(request))


def _back_query(request) -> QueryDict:
    """The filters the bulk form came from. The query string is parsed and encoded again; one
    longer than a browser would send is dropped rather than followed."""
    back = request.POST.get("back", "")
    return QueryDict(back if len(back) <= 2000 else "", mutable=True)


def _back_to_list(request):
    """The list with the filters the bulk form came from."""
    query = _back_query(request).urlencode()
    return reverse("cases:list") + (f"?{query}" if query else "")


def _list_again(request, ticked, *, status):
    """The list the bulk form came from, on its page, drawn again with the move as it was sent:
    the cases `ticked` still ticked, its move, owner and deadline as chosen and typed."""
    params = _back_query(request)
    page = request.POST.get("page", "")
    if page.isascii() and page.isdigit() and len(page) <= 6:
        params["page"] = page
    sent = {
        "ids": set(ticked),
        "action": request.POST.get("action", ""),
        "owner": request.POST.get("owner", ""),
        "response_deadline": request.POST.get("response_deadline", ""),
    }
    return _list_page(request, params, bulk_sent=sent, status=status)


# Logging --------------------------------------------------------------------------------
@accepts_upload(photos_upload_bytes(LogCaseForm))
def case_new(request):
    scope = request.scope
    if not scope.has_any_place:
        raise PermissionDenied
    form = LogCaseForm(request.POST or None, request.FILES or None, scope=scope)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            case = log_case(form, request.user)
        except SubmissionTaken:
            form.add_error(
                None,
                _(
                    "This form was already sent from another account. Check the fields and "
                    "send it again: it will be logged as a new case."
                ),
            )
            form.renew_submission()
            status = 409
        else:
            messages.success(
                request,
                _("Case %(code)s is logged. Give the resident this tracking code.")
                % {"code": case.tracking_code},
            )
            return redirect("cases:detail", case.pk)
    grids = naturally(form.places("grid"), key=lambda g: f"{g.community.name} {g.name}")
    chosen_grid = _chosen(form, "grid") or (grids[0].pk if len(grids) == 1 else None)
    buildings = _buildings(scope, chosen_grid)
    # A building of the grid chosen before (another grid now) offers none of its units.
    chosen_building = _chosen(form, "building")
    if chosen_building not in {building.pk for building in buildings}:
        chosen_building = None
    context = {
        "form": form,
        "grids": grids,
        "chosen_grid": chosen_grid,
        "chosen_building": chosen_building,
        "chosen_unit": _chosen(form, "unit"),
        "buildings": buildings,
        "units": _units(scope, chosen_building),
        # Drawn again with the page (a form sent back, or no JavaScript): the warning stays.
        **_similar_context(
            form,
            grid=chosen_grid,
            building=chosen_building,
            unit=_chosen(form, "unit"),
            # The category select has no empty choice: unchosen, it shows the first one.
            category=_chosen(form, "category")
            or form.fields["category"].queryset.values_list("pk", flat=True).first(),
            chosen=_chosen(form, "duplicate_of"),
            asked=form.is_bound,
        ),
        "switch_form": "log-form",
    }
    response = _private(render(request, "cases/new.html", context, status=status))
    # The empty form is kept for logging offline; one drawn with what was typed before a
    # switch is not (common/drafts.py).
    typed = getattr(request, "draft", None)
    return response if form.is_bound or typed else offline_cacheable(response, request.user)


def _similar_context(form, *, grid, building, unit, category, chosen=None, asked=False):
    """The open cases the new case may repeat, for the place and category chosen so far.

    Places are read through the user's scope (one outside it is ignored, as is a unit not in
    the chosen building); only the narrowest place chosen counts, as for a saved case.
    """
    scope = form.scope
    unit_obj = scope.narrow(Unit.objects.all()).filter(pk=unit or 0).first()
    building_obj = scope.narrow(Building.objects.all()).filter(pk=building or 0).first()
    grid_obj = scope.narrow(Grid.objects.all()).filter(pk=grid or 0).first()
    if building_obj is None and unit_obj is not None:
        building_obj = unit_obj.building
    if unit_obj is not None and unit_obj.building_id != building_obj.pk:
        unit_obj = None
    if grid_obj is None and building_obj is not None:
        grid_obj = building_obj.grid
    if building_obj is not None and building_obj.grid_id != grid_obj.pk:
        building_obj, unit_obj = None, None
    if grid_obj is None or category is None:
        return {"similar": [], "chosen_duplicate": None, "logging_notes": []}
    candidate = Case(grid=grid_obj, building=building_obj, unit=unit_obj, category_id=category)
    similar = list(
        form.similar(candidate).select_related("category", "building", "unit")[:SIMILAR_SHOWN]
    )
    return {
        "similar": similar,
        "chosen_duplicate": chosen,
        # The question needs an answer only once the person chose the place and category (the
        # empty page, kept for logging offline, shows it for the defaults: nothing to answer).
        "repeat_asked": asked,
        # Other apps' notes (cases/panels.py): the recurring problem this case would join.
        "logging_notes": panels.logging_notes(scope, candidate),
    }


@require_GET
def similar_cases(request):
    """The possible-repeat warning of the logging page, asked for while the place and the
    category are chosen (htmx): `?grid=&building=&unit=&category=&duplicate_of=`."""
    scope = request.scope
    if not scope.has_any_place:
        raise PermissionDenied
    form = LogCaseForm(scope=scope)
    category = id_param(request.GET, "category", label=_("Category"), default=0) or None
    if category and not form.fields["category"].queryset.filter(pk=category).exists():
        category = None
    context = _similar_context(
        form,
        grid=id_param(request.GET, "grid", label=_("Grid"), default=0),
        building=id_param(request.GET, "building", label=_("Building"), default=0),
        unit=id_param(request.GET, "unit", label=_("Unit"), default=0),
        category=category,
        # A case ticked stays ticked while it is still offered. "Not a repeat" does not: the
        # place or category changed, so the cases offered are new and the question too.
        chosen=None
        if request.GET.get("duplicate_of") == str(NOT_A_REPEAT)
        else id_param(request.GET, "duplicate_of", label=_("The case it repeats")),
        asked=True,
    )
    return _private(render(request, "cases/_similar.html", context))


def _chosen(form, name):
    value = form[name].value()  # sent, or typed before a switch, or the form's own
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _buildings(scope, grid_id):
    if not grid_id:
        return []
    return naturally(scope.narrow(Building.objects.filter(grid_id=grid_id)))


def _units(scope, building_id):
    if not building_id:
        return []
    return naturally(
        scope.narrow(Unit.objects.filter(building_id=building_id)), key=lambda u: u.name
    )


@require_GET
def place_picker(request):
    """The next tap of the place picker: a grid's buildings, or a building's units (htmx)."""
    scope = request.scope
    building = id_param(request.GET, "building", label=_("Building"))
    if building:
        building_obj = scope.get(Building, pk=building)
        return render(
            request,
            "cases/_units.html",
            {"units": _units(scope, building), "chosen_building": building_obj.pk},
        )
    grid = scope.get(Grid, pk=id_param(request.GET, "grid", label=_("Grid"), default=0))
    return render(
        request,
        "cases/_grid_picked.html",
        {"buildings": _buildings(scope, grid.pk), "chosen_grid": grid.pk},
    )


# The case page --------------------------------------------------------------------------
# What the case page lists besides the case, by its reverse relation: the case comes with
# whether it has any (EXISTS, one index probe each), and the page asks only for the lists a case
# has; most cases have no photos, escalations, repeats, rating or meetings.
LISTED = ("tasks", "photos", "escalations", "duplicates", "rating", "agenda_items", "external")


HAS_ANY = {f"has_{relation}": rows_of(Case, relation, exist=True) for relation in LISTED}
OPEN_TASK_COUNT = rows_of(Case, "tasks", status=TaskStatus.OPEN)


def _load_case(request, pk):
    case = request.scope.get(
        # Few joins (PostgreSQL plans wide joins slowly: about 2 ms for seven tables, 0.3 ms
        # for three); the places below the grid come by id, one query each.
        Case.objects.select_related("grid", "category", "community")
        .prefetch_related("duplicate_of")
        .annotate(
            open_task_count=OPEN_TASK_COUNT,
            **HAS_ANY,
        ),
        pk=pk,
    )
    _place_below_the_grid(case)
    # The owner and who logged it, in one query (often the same person).
    people = {case.owner_id, case.created_by_id} - {None}
    if people:
        found = get_user_model()._base_manager.in_bulk(people)
        if case.owner_id:
            case.owner = found[case.owner_id]
        if case.created_by_id:
            case.created_by = found[case.created_by_id]
    return case


def _place_below_the_grid(case):
    """The case's unit with its building in one query (a unit lies in the case's building);
    the building alone where no unit is named."""
    unit = building = None
    if case.unit_id:
        unit = Unit.objects.select_related("building").filter(pk=case.unit_id).first()
        if unit is not None and unit.building_id == case.building_id:
            building = unit.building
    if case.building_id and building is None:
        building = Building.objects.filter(pk=case.building_id).first()
    case.unit, case.building = unit, building


def _listed(case, relation, queryset=None):
    """The rows of `relation` the page shows: none asked for when the case has none."""
    if not getattr(case, f"has_{relation}", True):
        return []
    return list(queryset if queryset is not None else getattr(case, relation).all())


def _owners_by_name(events):
    """History rows name a task's or a case's new owner. Older rows wrote a user's login name
    there: those read as the person's name (the rows themselves never change)."""
    written = {e.details.get("owner") for e in events if isinstance(e.details, dict)} - {None}
    if not written:
        return events
    names = {
        user.username: display_name(user)
        for user in get_user_model()._base_manager.filter(username__in=written)
    }
    for event in events:
        owner = event.details.get("owner") if isinstance(event.details, dict) else None
        if owner in names:
            event.details = {**event.details, "owner": names[owner]}
    return events


def _case_page(request, case, *, bound=None, opened=None, refusal=None, status=200, phone=None):
    """Render the case page. `bound` replaces forms with the submitted ones; `opened` names
    a form drawn in the page, open (its URL asked for without JavaScript, see CASE_FORMS)."""
    scope, user = request.scope, request.user
    drawn = dict(bound or {})
    if not drawn and not opened and request.method == "GET":
        # Back from a language switch pressed in a panel: the panel again, as it was typed.
        prefix = drafted_prefix(request)
        if prefix in workflow.MOVES or prefix in CASE_FORMS or prefix in panels.PANEL_FORMS:
            opened = prefix  # its form fills itself from the draft (common/drafts.py)
    if opened and opened not in drawn and opened not in panels.PANEL_FORMS:
        drawn[opened] = _empty_form(opened, case, user)
    moves = [
        (
            move,
            drawn.get(move.name)
            or (move_form(move.name, case, user=user) if move.name in DRAWN_WITH_PAGE else None),
        )
        for move in workflow.available_moves(scope, user, case)
    ]
    blocked = workflow.blocked_moves(scope, user, case)
    tasks = _listed(case, "tasks", case.tasks.select_related("owner_user", "owner_contact"))
    for task in tasks:
        task.badge = _task_badge(task)
        task.drop_form = drawn.get(f"drop{task.pk}")  # its reason to drop it, sent back refused
    events = _owners_by_name(list(case.events.select_related("actor")))
    agenda_items = _agenda_items(case, events)
    on_agenda = next((i.meeting for i in agenda_items if i.status == "pending"), None)
    if on_agenda:
        blocked = [
            (move, meeting_takes_it_up(on_agenda) if move.meeting_only else reason)
            for move, reason in blocked
        ]
    may_link = workflow.may_link(scope, user, case)
    escalations = _listed(
        case, "escalations", case.escalations.select_related("raised_by", "answered_by")
    )
    open_tasks = any(t.status == TaskStatus.OPEN for t in tasks)
    context = {
        "case": case,
        "moves": moves,
        "opened": opened,
        # The language switch sends the open form's fields along (residents/switches.py); a
        # panel opened and typed into in the browser is wired to it by static/js/youjie.js.
        "switch_form": f"case-form-{opened or next(iter(drawn))}" if opened or bound else None,
        "blocked": blocked,
        "events": events,
        "tasks": tasks,
        "deadline_follows_plan": case.state in workflow.TASK_STATES and open_tasks,
        "may_manage_tasks": workflow.may_add_tasks(scope, user, case),
        "task_form": drawn.get("task"),
        "closable_tasks": {t.pk for t in tasks if workflow.may_close_task(scope, user, case, t)},
        "photos": _listed(case, "photos"),
        "escalations": escalations,
        "duplicates": _listed(case, "duplicates"),
        "similar": list(
            possible_duplicates(case, among=scope.narrow(Case.objects.all()))[:SIMILAR_SHOWN]
        )
        if not case.duplicate_of_id
        else [],
        "is_overdue": workflow.is_overdue(case),
        # Who acts next, for whoever cannot (a grid worker on a case waiting to be accepted).
        "next_step": next_step(
            case,
            open_escalation=any(e.answered_at is None for e in escalations),
            on_agenda=on_agenda,
            open_tasks=open_tasks,
        ),
        "may_escalate": workflow.escalation_refusal(scope, user, case) is None,
        "may_answer": workflow.may_answer_escalation(scope, case),
        "may_link": may_link,
        "may_link_as_repeat": may_link and not case.duplicate_of_id,
        "escalate_form": drawn.get("escalate"),
        "answer_form": drawn.get("answer") or AnswerEscalationForm(prefix="answer"),
        "duplicate_form": drawn.get("duplicate"),
        "refusal": refusal,
        "phone": phone,
        # The meetings that took the case up (提/议/决), linked both ways.
        "agenda_items": agenda_items,
        "readable_meetings": _readable_meetings(scope, case, agenda_items),
        "rating": ResidentRating.objects.filter(case=case).first()
        if getattr(case, "has_rating", True)
        else None,
        "may_anonymise": not case.anonymised_at and scope.may(Capability.ANONYMISE, case),
        "anonymise_form": drawn.get("anonymise"),
    }
    # E.g. the meetings' emergency session, its form as sent when it was refused.
    context.update(panels.context(scope, user, case, drawn=drawn, opened=opened))
    response = render(request, "cases/detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return _private(response)


# The case page's forms. A form is drawn with the page only when the page must show it at
# once: sent back with its errors, asked for without JavaScript (below), or needed offline (the
# follow-up visit, recorded on a kept page without a signal: static/js/offline.js). Any other
# form waits in its panel and is fetched when the panel is opened (htmx), from the URL it is
# sent to: a GET there draws it after the same checks its POST makes first, so a form refused
# meanwhile says why (409) and a case outside the user's places is a 404. Without JavaScript
# the panel holds a link to that URL, which answers with the case page and that form open.
DRAWN_WITH_PAGE = {"verify"}
CASE_FORMS = {
    # name (the form's prefix): (its template, the empty form for a case and a user)
    "task": ("cases/_task_form.html", lambda case, user: TaskForm(case=case, prefix="task")),
    "escalate": ("cases/_escalate_form.html", lambda case, user: EscalateForm(prefix="escalate")),
    "duplicate": (
        "cases/_duplicate_form.html",
        lambda case, user: LinkDuplicateForm(prefix="duplicate"),
    ),
    "anonymise": (
        "cases/_anonymise_form.html",
        lambda case, user: AnonymiseForm(prefix="anonymise"),
    ),
}


def _empty_form(name, case, user):
    if name in workflow.MOVES:
        return move_form(name, case, user=user)
    return CASE_FORMS[name][1](case, user)


def _form_on_request(request, case, name, refusal):
    """A GET on a case form's URL: the form alone for its panel (htmx), or the case page with
    the form open. `refusal` is what the form's POST would answer first (409)."""
    if request.htmx:
        if refusal:
            response = render(request, "cases/_form_refused.html", {"refusal": refusal}, status=409)
        else:
            template = CASE_FORMS[name][0] if name in CASE_FORMS else "cases/_move_form.html"
            context = {
                "case": case,
                "move": workflow.MOVES.get(name),
                "form": _empty_form(name, case, request.user),
            }
            response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return _private(response)
    if refusal:
        return _case_page(request, case, refusal=refusal, status=409)
    return _case_page(request, case, opened=name)


TASK_BADGES = {TaskStatus.DONE: "text-bg-success", TaskStatus.DROPPED: "text-bg-secondary"}


def _task_badge(task):
    if task.status in TASK_BADGES:
        return TASK_BADGES[task.status]
    return "text-bg-danger" if task.is_overdue else "text-bg-light"


def _agenda_items(case, events) -> list:
    """The agenda items that took this case up: its own, and the item of another case that
    carries it (a recurring problem's, named in its history, recurring/services.py)."""
    items = _listed(case, "agenda_items", case.agenda_items.select_related("meeting"))
    carriers = {
        e.details["agenda_item"]
        for e in events
        if isinstance(e.details, dict) and e.details.get("agenda_item")
    } - {item.pk for item in items}
    if carriers:
        model = case.agenda_items.model
        carrying = list(
            model._base_manager.filter(pk__in=carriers).select_related("meeting", "case")
        )
        for item in carrying:
            item.carries_this_case = True
        items += carrying
    return items


def _readable_meetings(scope, case, agenda_items) -> set:
    """The meetings that took this case up and that this user may open; the others are shown
    as text. Who may read a meeting is decided in accounts/scope.py (agenda items carry the
    meeting's readers). A case on no meeting's agenda (most cases) has none to ask about."""
    if not agenda_items:
        return set()
    items = case.agenda_items.model._base_manager.filter(pk__in=[i.pk for i in agenda_items])
    return set(scope.readable(items).values_list("meeting_id", flat=True))


def case_page_refused(request, pk, *, bound=None, refusal, status):
    """The case page again for a form another app draws on it (cases/panels.py), sent back
    refused: `bound` holds it by its name, drawn as it was sent in its open panel."""
    return _case_page(request, _load_case(request, pk), bound=bound, refusal=refusal, status=status)


@require_GET
def case_detail(request, pk):
    # Kept by the service worker for offline reading: phones masked (a revealed number is
    # the answer to a POST, cases:phone, and is never marked).
    return offline_cacheable(_case_page(request, _load_case(request, pk)), request.user)


def _act(request, pk, *, run, success, form=None, form_name="", check=None, case=None, sent=None):
    """Run one workflow action from the case page; on refusal show the page with why.

    The order keeps what a user is told honest: first whether they may do it at all (409),
    then their fields (400), then the action itself, which checks everything again under
    the case's lock. `case` is the case the view has loaded already (through the scope).
    `sent` ({name: form}) is what a refused action draws again as it was sent, for a form
    the action does not check itself (a task's reason to drop it).
    """
    if case is None:
        case = _load_case(request, pk)  # 404 before anything else for a case outside the scope
    reason = check(case) if check else None
    if reason:
        return _case_page(request, case, refusal=reason, status=409)
    if form is not None and not form.is_valid():
        return _case_page(
            request,
            case,
            bound={form_name: form},
            refusal=_("Please correct the fields below."),
            status=400,
        )
    try:
        run(form)
    except workflow.MoveRefused as refused:
        bound = dict(sent or {})
        if refused.errors and form is not None:
            for field, message in refused.errors.items():
                form.add_error(field if field in form.fields else None, message)
            bound = {form_name: form}
        status = 400 if refused.errors else 409
        return _case_page(request, case, bound=bound, refusal=str(refused), status=status)
    messages.success(request, success)
    return redirect("cases:detail", case.pk)


@require_http_methods(["GET", "POST"])
@accepts_upload(photos_upload_bytes(*MOVE_FORMS.values()))
def case_move(request, pk, move):
    """POST makes the move; GET draws its form (see CASE_FORMS)."""
    if move not in workflow.MOVES:
        raise Http404
    scope, user = request.scope, request.user
    case = _load_case(request, pk)

    def check(case):
        return workflow.refusal(scope, user, case, workflow.MOVES[move])

    if request.method == "GET":
        return _form_on_request(request, case, move, check(case))
    return _act(
        request,
        pk,
        case=case,
        check=check,
        form=move_form(move, case, request.POST, request.FILES),
        form_name=move,
        run=lambda form: workflow.perform(scope, user, pk, move, form.inputs()),
        success=_("Done: %(move)s.") % {"move": workflow.MOVES[move].label},
    )


@require_http_methods(["GET", "POST"])
def task_add(request, pk):
    scope, user = request.scope, request.user
    case = _load_case(request, pk)

    def check(case):
        return workflow.task_refusal(scope, user, case)

    if request.method == "GET":
        return _form_on_request(request, case, "task", check(case))
    return _act(
        request,
        pk,
        case=case,
        check=check,
        form=TaskForm(request.POST, case=case, prefix="task"),
        form_name="task",
        run=lambda form: workflow.add_task(scope, user, pk, form.inputs()),
        success=_("Task added."),
    )


@require_POST
def task_close(request, pk, task_pk, status):
    if status not in (TaskStatus.DONE, TaskStatus.DROPPED):
        raise Http404
    reason = DropTaskForm(request.POST, prefix=f"drop{task_pk}")
    drop_reason = reason.cleaned_data["drop_reason"] if reason.is_valid() else ""
    # Refused, a reason comes back as it was typed, in its task's open panel.
    sent = {f"drop{task_pk}": reason} if status == TaskStatus.DROPPED else None
    if status == TaskStatus.DROPPED and reason.has_error("drop_reason", "max_length"):
        # The reason's field is drawn in the task's row: its limit is said at the top.
        case = _load_case(request, pk)
        return _case_page(
            request, case, bound=sent, refusal=reason.errors["drop_reason"][0], status=400
        )
    return _act(
        request,
        pk,
        run=lambda _form: workflow.close_task(
            request.scope, request.user, pk, task_pk, status, drop_reason
        ),
        success=_("Task marked done.") if status == TaskStatus.DONE else _("Task dropped."),
        sent=sent,
    )


@require_http_methods(["GET", "POST"])
def case_escalate(request, pk):
    scope, user = request.scope, request.user
    case = _load_case(request, pk)

    def check(case):
        return workflow.escalation_refusal(scope, user, case)

    if request.method == "GET":
        return _form_on_request(request, case, "escalate", check(case))
    return _act(
        request,
        pk,
        case=case,
        check=check,
        form=EscalateForm(request.POST, prefix="escalate"),
        form_name="escalate",
        run=lambda form: workflow.escalate(scope, user, pk, form.cleaned_data["reason"]),
        success=_("Escalated to the street."),
    )


@require_POST
def escalation_answer(request, pk, escalation_pk):
    scope, user = request.scope, request.user
    return _act(
        request,
        pk,
        check=lambda case: (
            None
            if workflow.may_answer_escalation(scope, case)
            else _("Only street staff answer an escalation.")
        ),
        form=AnswerEscalationForm(request.POST, prefix="answer"),
        form_name="answer",
        run=lambda form: workflow.answer_escalation(scope, user, pk, escalation_pk, form.inputs()),
        success=_("The street's answer is recorded and the deadline moved."),
    )


@require_http_methods(["GET", "POST"])
def case_link_duplicate(request, pk):
    scope, user = request.scope, request.user
    case = _load_case(request, pk)

    def check(case):
        return workflow.linking_refusal(scope, user, case)

    if request.method == "GET":
        return _form_on_request(request, case, "duplicate", check(case))
    return _act(
        request,
        pk,
        case=case,
        check=check,
        form=LinkDuplicateForm(request.POST, prefix="duplicate"),
        form_name="duplicate",
        run=lambda form: workflow.link_duplicate(
            scope,
            user,
            pk,
            form.cleaned_data["tracking_code"],
            elsewhere=form.cleaned_data["elsewhere"],
        ),
        success=_("Linked as a repeat of an earlier case."),
    )


@require_POST
def case_phone(request, pk):
    """Show the full number once, on this page only; the viewing is recorded."""
    reveal_phone(request.scope, request.user, pk)
    case = _load_case(request, pk)
    return _case_page(request, case, phone=case.resident_phone)


@require_http_methods(["GET", "POST"])
def case_anonymise(request, pk):
    """Street staff anonymise a resident's cases in their street on the resident's request;
    GET draws the form (see CASE_FORMS)."""
    case = _load_case(request, pk)
    scope = request.scope.granting(Capability.ANONYMISE)
    if not scope.holds(case):
        raise Http404
    if request.method == "GET":
        return _form_on_request(request, case, "anonymise", None)
    form = AnonymiseForm(request.POST, prefix="anonymise")
    if not form.is_valid():
        refusal = _("Give the reason and tick the confirmation; nothing was changed.")
        return _case_page(request, case, bound={"anonymise": form}, refusal=refusal, status=400)
    ids = list(retention.residents_cases(scope, case).values_list("pk", flat=True))
    done = retention.anonymise(ids, user=request.user, reason=form.cleaned_data["reason"])
    messages.success(
        request,
        ngettext(
            "The resident's name and phone are anonymised in %(n)s case: %(codes)s",
            "The resident's name and phone are anonymised in %(n)s cases: %(codes)s",
            len(done),
        )
        % {"n": len(done), "codes": _(", ").join(c.tracking_code for c in done)},
    )
    return redirect("cases:detail", case.pk)


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
@reads_from_replica
def case_export(request, file_format):
    scope = exportable(request.scope)  # the rows of places where the user may export
    if not scope.has_any_place:
        raise PermissionDenied
    case_filter = CaseFilter(request.GET or None, scope=scope)
    if case_filter.is_bound and not case_filter.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        for error in case_filter.form.non_field_errors():
            messages.error(request, error)
        return redirect("cases:list")
    queryset = with_list_columns(scope.narrow(Case.objects.all()))
    number = searched_number(case_filter)
    if number and not may_search_number(scope, request.user, number, "cases:export"):
        refusal = _too_many_searches()
        return _private(HttpResponse(refusal, status=429, content_type="text/plain; charset=utf-8"))
    if case_filter.is_bound:
        queryset = case_filter.filter_queryset(queryset)
    if number:
        matched = queryset.count()
        record_number_search(scope, request.user, number, matched, "cases:export")
    return exports.export(scope, request.user, queryset, file_format, request.GET.urlencode())
