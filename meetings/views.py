"""Meeting pages. Every meeting is loaded through request.scope; the rules live in workflow.py."""

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import Capability
from cases.models import Case, Task
from cases.views import case_page_refused
from cases.workflow import MoveRefused
from common.params import EARLIEST_MONTH, LATEST_MONTH, id_param, month_param, year_param
from common.replicas import reads_from_replica
from grids.models import Community

from . import monthly, notices, panels, selectors, workflow
from .forms import (
    AgendaForm,
    AttendanceForm,
    DecisionForm,
    DiscussionForm,
    EmergencyForm,
    GuestForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    NewMeetingForm,
    ReasonForm,
    decision_task_forms,
)
from .models import AgendaItem, ItemStatus, Kind, MeetingState, Venue
from .panels import EMERGENCY


def _officers_only(request):
    if Capability.RUN_MEETINGS not in request.scope.capabilities:
        raise Http404  # grid workers have no meeting pages


def _community_param(request):
    pk = id_param(request.GET, "community", label=_("Community"))
    if pk is None:
        return None
    try:
        return request.scope.narrow(Community.objects.all()).get(pk=pk)
    except Community.DoesNotExist:
        return False


# Lists, calendar and counts ------------------------------------------------------------
@require_GET
@reads_from_replica
def meeting_list(request):
    _officers_only(request)
    meetings = selectors.meetings(request.scope)
    community = _community_param(request)
    problems = []
    if community is False:
        problems.append(_("Unknown community."))
    elif community:
        meetings = meetings.filter(community=community)
    kind, state = request.GET.get("kind"), request.GET.get("state")
    if kind in Kind.values:
        meetings = meetings.filter(kind=kind)
    elif kind:
        problems.append(_("Unknown kind of meeting."))
    if state in MeetingState.values:
        meetings = meetings.filter(state=state)
    elif state:
        problems.append(_("Unknown state."))
    page = Paginator(meetings, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/list.html",
        {
            "page": page,
            "problems": problems,
            "communities": request.scope.narrow(Community.objects.all()),
            "kinds": Kind.choices,
            "states": [(v, label, v == state) for v, label in MeetingState.choices],
            "query": query.urlencode(),
            "chosen": {"community": community or None, "kind": kind, "state": state},
        },
    )


@require_GET
def meeting_calendar(request):
    _officers_only(request)
    month = month_param(request.GET, "month", label=_("Month")) or timezone.localdate().replace(
        day=1
    )
    community = _community_param(request)
    meetings = selectors.meetings(request.scope).filter(
        starts_at__year=month.year, starts_at__month=month.month
    )
    if community:
        meetings = meetings.filter(community=community)
    by_day = defaultdict(list)
    for meeting in meetings.order_by("starts_at"):
        by_day[timezone.localtime(meeting.starts_at).day].append(meeting)
    weeks = [
        [
            (day, by_day.get(day, []), day and monthly.is_rest_day(month.replace(day=day)))
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(month.year, month.month)
    ]
    previous = (month - timezone.timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    # No link to a month the calendar would refuse.
    previous = previous if previous >= EARLIEST_MONTH else None
    following = following if following <= LATEST_MONTH else None
    return render(
        request,
        "meetings/calendar.html",
        {
            "month": month,
            "weeks": weeks,
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
            "previous": previous,
            "following": following,
            "community": community or None,
            "communities": request.scope.narrow(Community.objects.all()),
        },
    )


@require_GET
@reads_from_replica
def meeting_stats(request):
    _officers_only(request)
    year = year_param(request.GET, "year", label=_("Year"), default=timezone.localdate().year)
    community = _community_param(request)
    if community is False:
        raise Http404
    rows = selectors.held_per_month(request.scope, year, community)
    columns = [("kind", k, label) for k, label in Kind.choices] + [
        ("venue_kind", v, label) for v, label in Venue.choices
    ]
    table = {m: defaultdict(int) for m in range(1, 13)}
    for row in rows:
        cells = table[row["month_number"]]
        cells[("kind", row["kind"])] += row["n"]
        cells[("venue_kind", row["venue_kind"])] += row["n"]
        cells["total"] += row["n"]
    months = [
        (m, [table[m][(field, value)] for field, value, _label in columns], table[m]["total"])
        for m in range(1, 13)
    ]
    totals = [sum(row[1][i] for row in months) for i in range(len(columns))]
    # Each cell with its column's name: on a phone each month is a card of labelled counts.
    labels = [label for _field, _value, label in columns]
    labelled_months = [(m, list(zip(labels, cells, strict=True)), n) for m, cells, n in months]
    return render(
        request,
        "meetings/stats.html",
        {
            "year": year,
            "columns": columns,
            "months": labelled_months,
            "totals": list(zip(labels, totals, strict=True)),
            "grand_total": sum(row[2] for row in months),
            "attendance": selectors.attendance_totals(request.scope, year, community),
            "community": community,
            "communities": request.scope.narrow(Community.objects.all()),
        },
    )


# One meeting ---------------------------------------------------------------------------
ITEM_BADGES = {ItemStatus.DECIDED: "text-bg-success", ItemStatus.DEFERRED: "text-bg-warning"}


def _readable_meeting(request, pk):
    """The meeting, for its officers and its readers (invitees, workers of its grids)."""
    return request.scope.get_readable(selectors.readable_meetings(request.scope), pk=pk)


def _meeting_page(request, meeting, *, bound=None, refusal=None, status=200):
    scope = request.scope
    bound = bound or {}
    items = list(meeting.items.select_related("case__category", "case__grid", "case__building"))
    actions = workflow.available_actions(scope, request.user, meeting, items)
    # Links only to the cases this user may open: an invitee reads the whole agenda.
    openable = set(
        scope.narrow(Case.objects.filter(pk__in=[i.case_id for i in items])).values_list(
            "pk", flat=True
        )
    )
    for item in items:
        prefix = f"item{item.pk}"
        item.actions = actions.on(item)
        item.has_notice = workflow.has_notice(item)
        item.badge = ITEM_BADGES.get(item.status, "text-bg-light border")
        item.case_openable = item.case_id in openable
        item.decision_form = bound.get(prefix) or DecisionForm(prefix=prefix)
        item.task_forms = bound.get(f"{prefix}-tasks") or decision_task_forms(
            item.case, prefix=prefix
        )
        item.defer_form = bound.get(f"defer{item.pk}") or DiscussionForm(prefix=f"defer{item.pk}")
    # What other apps say of an item (a recurring problem's: how many cases it stands for).
    notes = panels.agenda_notes(scope, items)
    for item in items:
        item.notes = notes.get(item.pk, [])
    noticed_case_ids = [i.case_id for i in items if i.has_notice]
    tasks = defaultdict(list)
    for task in Task.objects.filter(case_id__in=noticed_case_ids).select_related(
        "owner_user", "owner_contact"
    ):
        tasks[task.case_id].append(task)
    for item in items:
        item.tasks = tasks.get(item.case_id, [])
    participants = list(meeting.participants.select_related("user", "contact"))
    # Ticks sent and refused come back as they were sent: only the wrong one needs changing.
    sent = _ticks(bound.get("attendance"), "attendance" in actions.meeting, "attended", "named")
    for participant in participants:
        # Reachable but not told: listed once the meeting had begun, when nobody is invited.
        participant.listed_late = participant.notified_at is None and participant.reachable
        participant.attended_ticked = (
            participant.attended if sent is None else str(participant.pk) in sent["attended"]
        )
        participant.named_ticked = (
            participant.named_in_public if sent is None else str(participant.pk) in sent["named"]
        )
    offered = list(workflow.offered_cases(meeting)) if "agenda" in actions.meeting else []
    sent = _ticks(bound.get("agenda"), bool(offered), "cases")
    for case in offered:
        case.ticked = sent is not None and str(case.pk) in sent["cases"]
    attended = [p for p in participants if p.attended]
    changes = list(meeting.changes.select_related("actor"))
    context = {
        "meeting": meeting,
        "actions": actions.meeting,
        "items": items,
        "participants": participants,
        "attended": attended,
        "organisations": sorted({p.organisation for p in attended if p.organisation}),
        "offered": offered,
        "changes": changes,
        # A meeting scheduled by hand has its "scheduled" row; one the monthly schedule made
        # (or one older than those rows) gets a line from when it was created instead.
        "scheduled_row": any(change.what == "scheduled" for change in changes),
        "rest_day": monthly.is_rest_day(timezone.localtime(meeting.starts_at).date()),
        "has_report": meeting.state in workflow.REPORTED,
        # Once it has begun, people are listed for its attendance, not invited.
        "too_late_to_come": workflow.too_late_to_come(meeting),
        "invite_form": bound.get("invite") or InviteForm(meeting=meeting, prefix="invite"),
        "guest_form": bound.get("guest") or GuestForm(prefix="guest"),
        "minutes_form": bound.get("minutes")
        or MinutesForm(
            prefix="minutes", initial={"minutes": meeting.minutes, "version": meeting.version}
        ),
        "cancel_form": bound.get("cancel") or ReasonForm(prefix="cancel"),
        # Lists and the calendar are for the officers; a reader's way back is the home page.
        "lists": Capability.RUN_MEETINGS in scope.capabilities,
        # A session on the calendar that may not be opened yet says from when it may.
        "open_waits": workflow.refusal(scope, request.user, meeting, "open")
        if "edit" in actions.meeting and "open" not in actions.meeting
        else None,
        "refusal": refusal,
        # A form sent back refused: the switches send its fields along, without JavaScript too
        # (residents/switches.py); its id is meeting-form-<its name on the page>.
        "switch_form": f"meeting-form-{_switched(bound)}" if bound else None,
        # … and come back to this page, not to the action's address the answer was sent from.
        "switch_next": reverse("meetings:detail", args=[meeting.pk]) if bound else None,
    }
    return render(request, "meetings/detail.html", context, status=status)


def _switched(bound) -> str:
    """The page's form that holds the first form sent back: a decision's tasks are in its
    decision's form."""
    return next(iter(bound)).removesuffix("-tasks")


def _ticks(form, offered, *names):
    """{name: the ids ticked, as sent} of a table's boxes sent back refused (`form`, bound), or
    None to show what is saved: no form came back, or the table is no longer offered (its
    boxes, shown disabled, say what is recorded)."""
    if form is None or not offered:
        return None
    return {name: {str(value) for value in form[name].value() or ()} for name in names}


@require_GET
def meeting_detail(request, pk):
    return _meeting_page(request, _readable_meeting(request, pk))


@dataclass(frozen=True)
class PageAction:
    """One button or form of the meeting page.

    `forms(request, meeting, item)` binds what was sent: {name on the page: form, or a list of
    task rows}, the first entry being the action's own form (a name of "" for the ticks of a
    table, which the page draws itself: sent back refused, they come back under the action's
    name). `inputs(forms)` turns them into the workflow's typed inputs, and
    `run(request, meeting_pk, item_pk, inputs)` makes the change. `success` is what the page
    says then, or a function of the request and the meeting's id that says it."""

    run: Callable
    success: str | Callable
    forms: Callable | None = None
    inputs: Callable | None = None


def _one_form(name, form_class):
    """The `forms` and `inputs` of an action with one form, drawn under `name` (its prefix)."""
    return {
        "forms": lambda r, meeting, item: {name: form_class(r.POST, prefix=name)},
        "inputs": lambda forms: forms[name].inputs(),
    }


def _act(request, pk, name, action: PageAction, item_pk=None):
    """Run one action from the meeting page. An action the page does not offer this user now
    is refused before anything is read from the form (409), with the reason shown; then what
    was typed is checked (400), then the workflow checks everything again under its lock."""
    meeting = _readable_meeting(request, pk)  # 404 first for everyone else
    item = None
    if item_pk is not None:
        item = meeting.items.filter(pk=item_pk).first()
        if item is None:
            raise Http404
    reason = workflow.refusal(request.scope, request.user, meeting, name, item)
    if reason:
        return _meeting_page(request, meeting, refusal=reason, status=409)
    forms = action.forms(request, meeting, item) if action.forms else {}
    if not all(form.is_valid() for form in _each(forms)):
        return _refused(request, pk, name, forms, _top_message(forms), 400)
    try:
        result = action.run(request, pk, item_pk, action.inputs(forms) if action.inputs else None)
    except workflow.StaleVersion as stale:
        _show_current_version(next(iter(forms.values())), stale)
        return _refused(request, pk, name, forms, str(stale), 400)
    except MoveRefused as refused:
        if not refused.errors:
            return _refused(request, pk, name, forms, str(refused), 409)
        _add_errors(forms, refused.errors)
        return _refused(request, pk, name, forms, _top_message(forms), 400)
    said = action.success(request, pk) if callable(action.success) else action.success
    messages.success(request, str(said))
    target = (
        result.pk if getattr(result, "_meta", None) and result._meta.model_name == "meeting" else pk
    )
    return redirect("meetings:detail", target)


def _each(forms):
    for value in forms.values():
        yield from value if isinstance(value, list) else [value]


def _add_errors(forms, errors):
    """A refusal's messages beside their fields: `task<n>-<field>` on the n-th task row, the
    rest on the action's own form."""
    if not forms:
        return
    own = next(iter(forms.values()))
    rows = next((value for value in forms.values() if isinstance(value, list)), [])
    for key, message in errors.items():
        target, field = own, key
        number, _sep, rest = key.partition("-")
        if number.startswith("task") and number[4:].isdigit() and int(number[4:]) < len(rows):
            target, field = rows[int(number[4:])], rest
        target.add_error(field if field in target.fields else None, message)


def _top_message(forms) -> str:
    """What the page says at the top. A form drawn on the page shows its errors beside its
    fields; ticks in a table (attendance, agenda) have no place for them, so they are said."""
    if "" in forms:
        return _errors_said(forms[""].errors)
    return _("Please correct the fields below.")


def _show_current_version(form, stale):
    """The user's text again, now carrying the current version: saving again overwrites on
    purpose."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(stale.current_version)
    form.data = data
    form.full_clean()
    form.add_error(None, str(stale))


def _listed_or_invited(meeting) -> str:
    """After inviting: nobody is invited to a meeting that began too long ago, and the page
    does not say they were."""
    if workflow.too_late_to_come(meeting):
        return _(
            "This meeting began at %(start)s: invitations are not sent. The people are listed "
            "so that their attendance can be recorded."
        ) % {"start": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")}
    return _("The people are invited.")


def _refused(request, pk, action, forms, refusal, status):
    """The meeting page again with what was sent, each form under its name on the page (a
    table's ticks under the action's)."""
    bound = {name or action: form for name, form in forms.items()}
    meeting = _readable_meeting(request, pk)
    return _meeting_page(request, meeting, bound=bound, refusal=refusal, status=status)


# What each action says when done: lazy, so that it is said in each reader's language, not in the
# language of the request during which this module was first imported.
ACTIONS = {
    "open": PageAction(
        lambda r, pk, _i, _inputs: workflow.open_meeting(r.scope, r.user, pk),
        gettext_lazy("The meeting is open: its cases are now under deliberation."),
    ),
    "approve": PageAction(
        lambda r, pk, _i, _inputs: workflow.approve_minutes(r.scope, r.user, pk),
        gettext_lazy("The minutes are approved."),
    ),
    "close": PageAction(
        lambda r, pk, _i, _inputs: workflow.close_meeting(r.scope, r.user, pk),
        gettext_lazy("The meeting is closed."),
    ),
    "cancel": PageAction(
        lambda r, pk, _i, cancellation: workflow.cancel_meeting(r.scope, r.user, pk, cancellation),
        gettext_lazy("The meeting is cancelled."),
        **_one_form("cancel", ReasonForm),
    ),
    "minutes": PageAction(
        lambda r, pk, _i, minutes: workflow.save_minutes(r.scope, r.user, pk, minutes),
        gettext_lazy("The draft minutes are saved."),
        **_one_form("minutes", MinutesForm),
    ),
    "invite": PageAction(
        lambda r, pk, _i, invitation: workflow.invite(r.scope, r.user, pk, invitation),
        lambda r, pk: _listed_or_invited(_readable_meeting(r, pk)),
        forms=lambda r, meeting, _item: {
            "invite": InviteForm(r.POST, meeting=meeting, prefix="invite")
        },
        inputs=lambda forms: forms["invite"].inputs(),
    ),
    "guest": PageAction(
        lambda r, pk, _i, guest: workflow.add_guest(r.scope, r.user, pk, guest),
        gettext_lazy("The guest is added."),
        **_one_form("guest", GuestForm),
    ),
    "attendance": PageAction(
        lambda r, pk, _i, attendance: workflow.record_attendance(r.scope, r.user, pk, attendance),
        gettext_lazy("Attendance is recorded."),
        forms=lambda r, _meeting, _item: {"": AttendanceForm(r.POST)},
        inputs=lambda forms: forms[""].inputs(),
    ),
    "agenda": PageAction(
        lambda r, pk, _i, case_ids: workflow.add_to_agenda(r.scope, r.user, pk, case_ids),
        gettext_lazy("The cases are on the agenda."),
        forms=lambda r, _meeting, _item: {"": AgendaForm(r.POST)},
        inputs=lambda forms: sorted(forms[""].cleaned_data["cases"]),
    ),
}


@require_POST
def meeting_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    return _act(request, pk, action, ACTIONS[action])


def _decision_forms(request, _meeting, item):
    prefix = f"item{item.pk}"
    return {
        prefix: DecisionForm(request.POST, prefix=prefix),
        f"{prefix}-tasks": decision_task_forms(item.case, request.POST, prefix=prefix),
    }


def _decision_inputs(forms):
    decision, tasks = forms.values()
    return decision.inputs(tasks)


ITEM_ACTIONS = {
    "decide": PageAction(
        lambda r, pk, i, decision: workflow.record_decision(r.scope, r.user, pk, i, decision),
        gettext_lazy("The decision is recorded; the case is decided."),
        forms=_decision_forms,
        inputs=_decision_inputs,
    ),
    "defer": PageAction(
        lambda r, pk, i, deferral: workflow.defer_item(r.scope, r.user, pk, i, deferral),
        gettext_lazy("Deferred to the next session."),
        forms=lambda r, _meeting, item: {
            f"defer{item.pk}": DiscussionForm(r.POST, prefix=f"defer{item.pk}")
        },
        inputs=lambda forms: next(iter(forms.values())).inputs(),
    ),
    "remove": PageAction(
        lambda r, pk, i, _inputs: workflow.remove_from_agenda(r.scope, r.user, pk, i),
        gettext_lazy("The case is off the agenda."),
    ),
}


@require_POST
def item_action(request, pk, item_pk, action):
    if action not in ITEM_ACTIONS:
        raise Http404
    return _act(request, pk, action, ITEM_ACTIONS[action], item_pk=item_pk)


def _schedule_page(request, form, meeting=None, status=200):
    # Its one form goes along with a language switch, without JavaScript too (common/drafts.py).
    context = {"form": form, "meeting": meeting, "switch_form": "meeting-form"}
    return render(request, "meetings/form.html", context, status=status)


def meeting_new(request):
    _officers_only(request)
    form = NewMeetingForm(request.POST or None, scope=request.scope)
    if request.method != "POST":
        return _schedule_page(request, form)
    if not form.is_valid():
        return _schedule_page(request, form, status=400)
    try:
        meeting = workflow.create_meeting(request.scope, request.user, form.inputs())
    except MoveRefused as refused:
        _add_errors({"": form}, refused.errors or {"__all__": str(refused)})
        return _schedule_page(request, form, status=400 if refused.errors else 409)
    messages.success(request, _("The meeting is scheduled."))
    return redirect("meetings:detail", meeting.pk)


def meeting_edit(request, pk):
    meeting = _readable_meeting(request, pk)
    reason = workflow.refusal(request.scope, request.user, meeting, "edit")
    if reason:  # a meeting that cannot be moved has no form to fill in
        return _meeting_page(request, meeting, refusal=reason, status=409)
    form = MeetingForm(request.POST or None, instance=meeting, scope=request.scope)
    if request.method != "POST":
        return _schedule_page(request, form, meeting)
    if not form.is_valid():
        return _schedule_page(request, form, meeting, status=400)
    try:
        workflow.change_meeting(request.scope, request.user, pk, form.inputs())
    except workflow.StaleVersion as stale:
        _show_current_version(form, stale)
        return _schedule_page(request, form, meeting, status=400)
    except MoveRefused as refused:
        if not refused.errors:
            messages.error(request, str(refused))
            return redirect("meetings:detail", pk)
        _add_errors({"": form}, refused.errors)
        return _schedule_page(request, form, meeting, status=400)
    messages.success(request, _("The meeting is moved; the change is recorded."))
    return redirect("meetings:detail", pk)


@require_POST
def emergency(request, case_pk):
    case = request.scope.get(Case, pk=case_pk)
    # Whether this user may call one at all comes first; then what was typed. Refused, the
    # case page comes back with the form as it was sent, in its open panel (meetings/panels.py).
    refused = workflow.emergency_refusal(request.scope, request.user, case)
    if refused:
        return case_page_refused(request, case.pk, refusal=refused, status=409)
    form = EmergencyForm(request.POST, prefix=EMERGENCY)
    if not form.is_valid():
        return _emergency_refused(request, case, form, _("Please correct the fields below."))
    try:
        meeting = workflow.call_emergency_session(
            request.scope, request.user, case.pk, form.inputs()
        )
    except MoveRefused as refusal:
        if not refusal.errors:
            return _emergency_refused(request, case, form, str(refusal), status=409)
        _add_errors({EMERGENCY: form}, refusal.errors)
        return _emergency_refused(request, case, form, _("Please correct the fields below."))
    if workflow.too_late_to_come(meeting):
        said = _(
            "The emergency session is called. It began at %(start)s: invitations are not sent; "
            "its people are listed so that their attendance can be recorded."
        ) % {"start": timezone.localtime(meeting.starts_at).strftime("%H:%M")}
    else:
        notified = getattr(meeting, "notified", 0)
        said = ngettext(
            "The emergency session is called; %(n)s invited person is notified.",
            "The emergency session is called; %(n)s invited people are notified.",
            notified,
        ) % {"n": notified}
    messages.success(request, said)
    return redirect("meetings:detail", meeting.pk)


def _emergency_refused(request, case, form, refusal, status=400):
    return case_page_refused(
        request, case.pk, bound={EMERGENCY: form}, refusal=refusal, status=status
    )


def _errors_said(errors) -> str:
    """Errors in one line ({field: [messages]} of a form, or {field: message} of a refusal),
    for a page that has no place beside the fields."""
    said = []
    for messages_of_field in errors.values():
        said += messages_of_field if isinstance(messages_of_field, list) else [messages_of_field]
    return "; ".join(str(message) for message in said)


@require_GET
def notice(request, pk, item_pk):
    """The one-page public notice (公示) of a decision, worded for residents, no phones.
    Everyone who may read the meeting may print it."""
    item = request.scope.get_readable(
        AgendaItem.objects.select_related(
            "meeting__community", "case__category", "case__grid", "case__building"
        ),
        pk=item_pk,
        meeting_id=pk,
    )
    if not workflow.has_notice(item):
        raise Http404
    return render(request, "meetings/notice.html", notices.notice_context(item))
