"""Field work without a signal: what the service worker may keep, and the endpoints the
phone's queue sends to when the connection returns (static/js/offline.js, static/js/sw.js).

The queue sends each item as the page's own form would: the same fields, bound to the same
form class (`LogCaseForm`, the `verify` move form) and handed to the same functions
(`log_case`, `workflow.perform`), so no check is skipped. The answer is JSON: the case's
code, or the reason for a refusal, shown on the queued item.
"""

from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.bodylimit import accepts_upload
from common.people import display_name
from grids.models import Building, Grid, Unit

from . import workflow
from .categories import category_label
from .forms import LogCaseForm, VerifyForm, move_form
from .intake import SubmissionTaken, log_case
from .models import OPEN_STATES, Case, Category, Channel, State, Urgency
from .photos import photos_upload_bytes
from .queues import QUEUES

# The response header that lets the service worker keep a page for offline reading, naming
# the user it belongs to (the worker files it in that user's cache and nowhere else). Pages
# without it are never kept; a revealed phone number is never sent with it.
OFFLINE_HEADER = "X-Offline-Cache"


class NoCookiesForKeeping:
    """The phone fetches pages to keep in the background (X-Offline-Keep): their answers set
    no cookie. One that arrives late, after the session ended and someone started logging
    in, would otherwise put the old CSRF or session cookie back under the login form's feet.
    Nothing is lost: such a request never starts or renews a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("X-Offline-Keep") == "1":
            response.cookies.clear()
        return response


def offline_cacheable(response, user):
    if response.status_code == 200:
        response[OFFLINE_HEADER] = str(user.pk)
    return response


def _private_json(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store, private"
    return response


def _open_cases(request):
    """The cases a user may want to read offline: due follow-up visits first, then the
    newest open cases, at most OFFLINE_CASE_PAGES."""
    scope = request.scope
    due = QUEUES["follow_up_due"].condition(request.user.pk)
    due_cases = scope.narrow(Case.objects.filter(due)).order_by("follow_up_due")
    due_ids = list(due_cases.values_list("pk", flat=True))
    limit = settings.OFFLINE_CASE_PAGES
    cases = list(
        scope.narrow(Case.objects.filter(pk__in=due_ids[:limit]))
        .select_related("category")
        .prefetch_related("building", "unit", "grid")
    )
    if len(cases) < limit:
        cases += list(
            scope.narrow(Case.objects.filter(state__in=OPEN_STATES))
            .select_related("category")
            .prefetch_related("building", "unit", "grid")
            .order_by("-created_at")[: limit - len(cases)]
        )
    due_set = set(due_ids)
    return [
        {
            "id": case.pk,
            "code": case.tracking_code,
            "url": reverse("cases:detail", args=[case.pk]),
            "category": category_label(case.category.name),
            "place": str(case.unit or case.building or case.grid),
            "state": case.get_state_display(),
            "follow_up_due": case.pk in due_set,
        }
        for case in cases
    ]


@require_GET
def places(request):
    """The user's grids, buildings and units and the categories, for logging offline; the
    open cases to keep for reading; a fresh CSRF token for the queue's next sends."""
    scope = request.scope
    grids = scope.narrow(Grid.objects.select_related("community")).order_by("community_id", "id")
    buildings = scope.narrow(Building.objects.all()).order_by("grid_id", "estate", "name")
    units = scope.narrow(Unit.objects.all()).order_by("building_id", "name")
    data = {
        "user": request.user.pk,
        "csrf": get_token(request),
        "grids": [{"id": g.pk, "name": f"{g.community.name} {g.name}"} for g in grids],
        "buildings": [
            {"id": b.pk, "grid": b.grid_id, "name": f"{b.estate} {b.name}".strip()}
            for b in buildings
        ],
        "units": [{"id": u.pk, "building": u.building_id, "name": u.name} for u in units],
        "categories": [
            {"id": c.pk, "name": category_label(c.name)}
            for c in Category.objects.filter(is_active=True)
        ],
        "channels": [list(choice) for choice in Channel.choices],
        "urgencies": [list(choice) for choice in Urgency.choices],
        "cases": _open_cases(request) if scope.has_any_place else [],
    }
    return offline_cacheable(_private_json(data), request.user)


@require_GET
def queue_page(request):
    """The list of what waits on this phone: drawn by offline.js from IndexedDB."""
    response = render(request, "cases/offline.html", {})
    response["Cache-Control"] = "no-store, private"
    return offline_cacheable(response, request.user)


def _field_errors(form):
    """Each field's messages, named by the field's label: the queued item shows them."""

    def named(field, error):
        label = form.fields[field].label if field in form.fields else None
        return _("%(label)s: %(error)s") % {"label": label, "error": error} if label else error

    return {
        field: [named(field, str(error)) for error in errors]
        for field, errors in form.errors.items()
    }


@require_POST
@accepts_upload(photos_upload_bytes(LogCaseForm))
def send_case(request):
    """One queued request, sent once it can be: the same case for the same submission id."""
    scope = request.scope
    if not scope.has_any_place:
        return _private_json({"message": _("You hold no places to log requests for.")}, 403)
    form = LogCaseForm(request.POST, request.FILES, scope=scope)
    if not request.POST.get("submission"):
        form.add_error(None, _("The queued request has no submission id; log it again."))
    if not form.is_valid():
        return _private_json(
            {"message": _("Please correct the fields below."), "errors": _field_errors(form)}, 400
        )
    try:
        case = log_case(form, request.user)
    except SubmissionTaken:
        message = _(
            "This form was already sent from another account. Check the fields and "
            "send it again: it will be logged as a new case."
        )
        return _private_json({"message": message, "errors": {}}, 409)
    return _private_json(
        {"code": case.tracking_code, "url": reverse("cases:detail", args=[case.pk])}
    )


@require_POST
@accepts_upload(photos_upload_bytes(VerifyForm))
def send_visit(request, pk):
    """One follow-up visit recorded offline. If the case left 已办结 meanwhile (someone else
    verified or reopened it) nothing is written and the worker is told who did what."""
    scope, user = request.scope, request.user
    case = scope.get(Case, pk=pk)
    form = move_form("verify", case, request.POST, request.FILES)
    note = request.POST.get("verify-note", "")
    if _same_visit_already_recorded(case, user, note):
        return _made_before(case)
    if case.state != State.RESOLVED:
        return _conflict(case)
    reason = workflow.refusal(scope, user, case, workflow.MOVES["verify"])
    if reason:
        return _private_json({"message": str(reason), "errors": {}}, 409)
    if not form.is_valid():
        return _private_json(
            {"message": _("Please correct the fields below."), "errors": _field_errors(form)}, 400
        )
    try:
        workflow.perform(scope, user, pk, "verify", form.inputs())
    except workflow.MoveRefused as refused:
        case.refresh_from_db()
        # The same visit sent twice at once (a page left while it was sending, then the queue
        # page sending it again): the second waited on the case's lock and finds it verified
        # by the first, which is this visit, not someone else's.
        if _same_visit_already_recorded(case, user, note):
            return _made_before(case)
        if case.state != State.RESOLVED:
            return _conflict(case)
        errors = {key: [str(message)] for key, message in refused.errors.items()}
        return _private_json({"message": str(refused), "errors": errors}, 400 if errors else 409)
    return _private_json({"code": case.tracking_code, "url": _url(case)})


def _url(case):
    return reverse("cases:detail", args=[case.pk])


def _made_before(case):
    """The answer to a visit that was already made: done, as the first time."""
    return _private_json({"code": case.tracking_code, "url": _url(case), "again": True})


def _same_visit_already_recorded(case, user, note):
    """A visit whose answer was lost on the way is sent again: the case's last follow-up
    visit by the same user with the same note is that visit, so it is answered as done."""
    last = case.events.filter(move="verify").order_by("-at", "-pk").first()
    return (
        last is not None
        and case.state != State.RESOLVED
        and last.actor_id == user.pk
        and last.note.strip() == note.strip()
    )


def _conflict(case):
    last = case.events.exclude(move="log").order_by("-at", "-pk").select_related("actor").first()
    who = display_name(last.actor) if last and last.actor else ""
    message = _(
        "Conflict: %(who)s changed this case meanwhile (now %(state)s). Your visit was not "
        "saved and nothing was overwritten."
    ) % {"who": who or _("someone else"), "state": case.get_state_display()}
    return _private_json(
        {"message": message, "conflict": True, "state": case.get_state_display(), "errors": {}},
        409,
    )
