"""What residents may do without an account, and what they may see: nothing but their own
request's stages, found by its tracking code and the last four digits of its phone."""

from functools import lru_cache

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases import history
from cases.intake import save_new_case
from cases.models import Case, CaseEvent, Channel, Outcome, ResidentRating, State, Urgency
from common.phones import phone_digits

# The stages a resident sees, by the history row that opens each one.
RECEIVED = _("Request received")
STAGES = [
    ("accept", _("Accepted by the community")),
    ("propose", _("Put up for deliberation")),
    ("deliberate", _("Deliberated in a meeting")),
    ("decide", _("Decided")),
    ("start", _("Work started")),
    ("handle_directly", _("Work started")),
    ("resolve", _("Resolved")),
    ("verify", _("Follow-up visit made")),
    ("decline", _("Not taken up: please contact your community")),
]


def submit(form, place) -> Case:
    """The request lands in 点单 in the place's grid, as an online request."""
    unit = place if hasattr(place, "building_id") else None
    building = unit.building if unit else place
    case = Case(
        grid=building.grid,
        building=building,
        unit=unit,
        category=form.cleaned_data["category"],
        description=form.cleaned_data["description"],
        resident_name=form.cleaned_data["resident_name"],
        resident_phone=form.cleaned_data["resident_phone"],
        channel=Channel.ONLINE,
        urgency=Urgency.ROUTINE,
    )
    return save_new_case(case, form.cleaned_data.get("photos"), user=None)


def find(tracking_code: str, phone: str) -> Case | None:
    """The case only when both match; a wrong code and a wrong phone look the same.

    `phone` is the last four digits, or the whole number (digits only)."""
    case = Case.objects.filter(tracking_code=tracking_code).first()
    if case is None or not phone:
        return None
    digits = phone_digits(case.resident_phone)
    if not (digits == phone if len(phone) > 4 else digits.endswith(phone)):
        return None
    return case


def stage_rows(case_ids) -> dict:
    """{case id: [(move, at, explanation, outcome), …]}: the history rows that open stages,
    in order, for many cases in one query (a partner's list of 1,000 requests). Of each
    row's details only the resolution's two texts are read, not the whole JSON."""
    rows = {case_id: [] for case_id in case_ids}
    events = (
        CaseEvent.objects.filter(case_id__in=rows, move__in=[move for move, _l in STAGES])
        .order_by("at", "id")
        .values_list("case_id", "move", "at", KT("details__explanation"), KT("details__outcome"))
    )
    for case_id, *row in events:
        rows[case_id].append(row)
    return rows


@lru_cache(maxsize=8)
def _labels(language) -> tuple[str, dict]:
    """The stage labels in one language, translated once (a list of 1,000 cases would
    otherwise translate them 10,000 times)."""
    return str(RECEIVED), {move: str(label) for move, label in STAGES}


def stages(case: Case, rows=None) -> list[dict]:
    """Each stage reached, with its date; the resolution brings its explanation for residents.
    `rows`: the case's entry of `stage_rows`, when loaded with others."""
    if rows is None:
        rows = stage_rows([case.pk])[case.pk]
    return stages_of(case.created_at, rows)


def stages_of(created_at, rows) -> list[dict]:
    """`stages` of a case logged at `created_at` whose stage rows are `rows`."""
    received, labels = _labels(get_language())
    seen, result = set(), [{"label": received, "at": created_at}]
    for move, at, explanation, outcome in rows:
        label = labels[move]
        entry = {"label": label, "at": at, "move": move}
        if move == "resolve":
            entry["outcome"] = _outcome_label(outcome)
        if move in ("resolve", "decline"):
            entry["explanation"] = explanation or ""
        if move in ("decide", "resolve", "verify") or label not in seen:
            result.append(entry)
        seen.add(label)
    return result


def _linked_item(case: Case, move: str):
    """The agenda item the case's latest `move` row names (its own item, or the recurring
    problem's that carried it), with its meeting; a row that names only the meeting (as older
    rows and imported ones do) means the case's own item there. None when the move was made
    without a meeting."""
    from meetings.models import AgendaItem

    event = (
        CaseEvent.objects.filter(case=case, move=move)
        .filter(Q(details__agenda_item__isnull=False) | Q(details__meeting__isnull=False))
        .order_by("-at", "-id")
        .values_list(KT("details__agenda_item"), KT("details__meeting"))
        .first()
    )
    if event is None:
        return None
    item_id, meeting_id = event
    items = AgendaItem.objects.select_related(
        "meeting__community", "case__grid", "case__building", "case__category"
    )
    if item_id and item_id.isdigit():
        return items.filter(pk=int(item_id)).first()
    if meeting_id and meeting_id.isdigit():
        return items.filter(meeting_id=int(meeting_id), case=case).first()
    return None


def decision(case: Case) -> dict | None:
    """What the meeting decided on the request, in the words written for residents (the
    notice's public wording: the plan itself is the staff's and may name people), who does
    what by when, and until when residents may object. None while nothing is decided, and
    while the request is back before a meeting (its earlier decision no longer stands)."""
    from meetings.notices import notice_context
    from meetings.workflow import AGENDA_STATES

    if case.state in AGENDA_STATES:
        return None
    item = _linked_item(case, "decide")
    if item is None:
        return None
    notice = notice_context(item)
    wording = notice["wording"] if item.public_wording else ""
    return {"wording": wording, "tasks": notice["tasks"], "period": notice["period"]}


def stages_with_decision(case: Case) -> list[dict]:
    """The lookup's stages, the standing decision (`decision`) under the last "Decided"."""
    result = stages(case)
    decided = decision(case)
    decides = [stage for stage in result if stage.get("move") == "decide"]
    if decided and decides:
        decides[-1]["decision"] = decided
    return result


def coming_meeting(case: Case, now=None) -> dict | None:
    """The meeting that takes up the request, while it waits for it on an agenda (by an item
    of its own, or carried with a recurring problem's): its time and place are the resident's
    to know, and whether it is `ahead`, `under_way`, or neither (set for a time gone by and
    not opened: its result shows once recorded). None otherwise."""
    from meetings.models import AgendaItem, ItemStatus, MeetingState
    from meetings.workflow import AGENDA_STATES
    from recurring.models import Problem

    if case.state not in AGENDA_STATES:
        return None
    waiting = AgendaItem.objects.filter(
        status=ItemStatus.PENDING,
        meeting__state__in=(MeetingState.SCHEDULED, MeetingState.HELD),
    ).select_related("meeting__community")
    item = waiting.filter(case=case).order_by("-meeting__starts_at").first()
    if item is None:
        carrying = Problem.objects.filter(members__case=case, members__carried=True)
        item = waiting.filter(pk__in=carrying.values("agenda_item")).first()
    if item is None:
        return None
    meeting = item.meeting
    ahead = meeting.starts_at > (now or timezone.now())
    under_way = not ahead and meeting.state == MeetingState.HELD
    return {"meeting": meeting, "ahead": ahead, "under_way": under_way}


def _outcome_label(outcome):

    return dict(Outcome.choices).get(outcome, "")


def may_rate(case: Case) -> bool:
    return case.state == State.VERIFIED and not ResidentRating.objects.filter(case=case).exists()


def rate(case: Case, values) -> ResidentRating | None:
    """Once per case: a second rating is refused (None)."""
    if case.state != State.VERIFIED:
        return None
    try:
        with transaction.atomic():
            rating = ResidentRating.objects.create(case=case, **values)
            history.record(
                case,
                None,
                "rated",
                case.state,
                case.state,
                values.get("comment", ""),
                {"satisfaction": values["satisfaction"]},
            )
    except IntegrityError:
        return None
    return rating
