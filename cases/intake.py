"""Logging a new request: the case, its photos and its first history row, in one step."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.workdays import add_working_days

from . import history
from .models import OPEN_STATES, Case, State, Urgency, new_tracking_code
from .workflow import add_photo, record_link


def first_response_deadline(logged_at, street, urgency=Urgency.ROUTINE):
    """When an officer must have accepted a new case by: the street's working days, or for
    an urgent case the street's hours on the clock."""
    if urgency == Urgency.URGENT:
        return logged_at + timedelta(hours=street.urgent_response_hours)
    return add_working_days(logged_at, street.response_working_days)


class SubmissionTaken(Exception):
    """The form's submission id is already another user's: their case is never handed out."""


def log_case(form, user) -> Case:
    """Save a valid LogCaseForm: the wider places follow from the grid; photos go with it.

    The same form sent again by the same user (its submission id) returns the case it made
    the first time. An id that someone else's form used is refused, not answered with their
    case: the id travels in the page and could be copied.
    """
    case = form.save(commit=False)
    case.submission_id = form.cleaned_data.get("submission")
    try:
        return save_new_case(
            case, form.cleaned_data.get("photos"), user, form.cleaned_data.get("duplicate_of")
        )
    except IntegrityError:
        if case.submission_id is None:
            raise
        earlier = Case.objects.filter(submission_id=case.submission_id).first()
        if earlier is None:
            raise
        if earlier.created_by_id != user.pk:
            raise SubmissionTaken from None
        return earlier


def save_new_case(case, photos, user=None, repeats=None, attempts=5) -> Case:
    """A new case in 点单 with its photos and first history row; `user` None: the resident.

    `repeats`: the older open case the user marked this one as repeating; the link is made in
    the same transaction, with its own history row. Should that case have been closed in the
    meantime, the new case is saved unlinked: it is then handled on its own, like any other.

    Tracking codes are random (40 bits); at city scale two can meet. The insert that finds its
    code taken fails its transaction, which is then made again with a new code: nothing of it
    was kept, and the usual insert needs no savepoint of its own.
    """
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return _save_new_case(case, photos, user, repeats)
        except IntegrityError as error:
            if "tracking_code" not in str(error) or attempt == attempts - 1:
                raise
            case.tracking_code = new_tracking_code()
    raise AssertionError("unreachable")  # pragma: no cover


def _save_new_case(case, photos, user, repeats):
    if repeats is not None:
        repeats = (
            Case.objects.select_for_update()
            .filter(pk=repeats.pk, state__in=OPEN_STATES, duplicate_of__isnull=True)
            .first()
        )
        case.duplicate_of = repeats
    # The grid comes with its community and street when the form found it (LogCaseForm).
    community = case.grid.community
    case.community_id = community.pk
    case.street_id = community.street_id
    case.created_by = user
    case.state = State.SUBMITTED
    case.created_at = timezone.now()
    case.response_deadline = first_response_deadline(
        case.created_at, community.street, case.urgency
    )
    case.accept_by = case.response_deadline
    case.save(force_insert=True)
    for photo in photos or []:
        add_photo(case, photo, user)
    history.record(case, user, "log", "", State.SUBMITTED, details={"channel": case.channel})
    if case.duplicate_of_id:
        record_link(case, case.duplicate_of, user)
    return case


SIMILAR_SHOWN = 5


def possible_duplicates(case: Case, among=None):
    """Open cases at the same place and of the same category that `case` may repeat, newest
    first: older than it (a new case is linked to the older one, never the reverse) and not
    repeats themselves (a repeat is linked to the first of its chain). `case` may be unsaved:
    the logging page asks while the place and category are being chosen. `among` narrows the
    search (the user's scope); pages always pass it.
    """
    same_place = {"unit_id": case.unit_id} if case.unit_id else {}
    if not same_place and case.building_id:
        same_place = {"building_id": case.building_id}
    if not same_place:
        same_place = {"grid_id": case.grid_id, "building__isnull": True}
    found = (among if among is not None else Case.objects.all()).filter(
        category_id=case.category_id,
        state__in=OPEN_STATES,
        duplicate_of__isnull=True,
        **same_place,
    )
    if case.pk:
        found = found.exclude(pk=case.pk).exclude(pk=case.duplicate_of_id or 0)
    if case.created_at:
        found = found.filter(created_at__lt=case.created_at)
    return found.order_by("-created_at")
