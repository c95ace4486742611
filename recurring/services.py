"""What staff do with a recurring problem: dismiss it, split it, take it to a session, close
its cases together. Each locks the problem row, checks again under the lock (rules.py) and
changes cases only through cases.workflow."""

from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability
from accounts.selectors import officers_of, possible_owners
from cases import workflow
from cases.inputs import Note, Ownership, Resolution
from cases.models import Case, State, TaskStatus
from cases.workflow import MoveRefused
from common.limits import too_long
from common.text import CONTROL_CHARACTER_MESSAGE, has_refused_characters
from meetings import workflow as meetings
from meetings.inputs import NewMeeting
from meetings.models import AgendaItem, Kind

from . import follow, grouping, rules, selectors
from .inputs import SessionChoice
from .models import JoinRule, Member, Problem, Status

# A case accepted as it goes to a session is due a fortnight after the session's day: the
# decision's tasks then set its deadline (cases/workflow.py plan_deadline).
DUE_AFTER_SESSION = timedelta(days=14)


def _locked(scope, problem_id) -> Problem:
    problem = (
        scope.granting(Capability.RECURRING_PROBLEMS)
        .narrow(Problem.objects.select_for_update(of=("self",)))
        .select_related("street", "community", "grid", "category")
        .filter(pk=problem_id)
        .first()
    )
    if problem is None:
        raise MoveRefused(_("This recurring problem does not exist or is outside your places."))
    return problem


def _refuse(reason):
    if reason:
        raise MoveRefused(reason)


def dismiss(scope, user, problem_id, reason: str) -> Problem:
    """Not a problem after all (say why): it stays dismissed until a new case joins it."""
    with transaction.atomic():
        problem = _locked(scope, problem_id)
        _refuse(rules.dismiss_refusal(problem))
        reason = (reason or "").strip()
        if not reason:
            raise MoveRefused(
                _("Say why this is not a recurring problem."),
                errors={"reason": _("This field is required.")},
            )
        if len(reason) > 500:
            message = too_long(_("Why this is not a recurring problem"), 500, len(reason))
            raise MoveRefused(message, errors={"reason": message})
        if has_refused_characters(reason):
            raise MoveRefused(
                CONTROL_CHARACTER_MESSAGE, errors={"reason": CONTROL_CHARACTER_MESSAGE}
            )
        now = timezone.now()
        problem.status = Status.DISMISSED
        problem.dismissed_reason = reason
        problem.dismissed_by = user
        problem.dismissed_at = now
        problem.activity_at = now
        problem.save()
        with connection.cursor() as cursor:  # a dismissed problem is no hot spot
            grouping.refresh_months(cursor, [problem.pk])
    return problem


def split(scope, user, problem_id, case_ids) -> Problem:
    """The ticked cases become a problem of their own; neither takes the other's cases back
    (a case belongs to one problem, ever)."""
    with transaction.atomic():
        problem = _locked(scope, problem_id)
        member_ids = list(problem.members.values_list("case_id", flat=True))
        chosen = set(case_ids)
        _refuse(rules.split_refusal(problem, chosen, member_ids))
        seed = Case.objects.filter(pk__in=chosen).order_by("created_at", "pk").first()
        now = timezone.now()
        part = Problem.objects.create(
            street_id=problem.street_id,
            community_id=problem.community_id,
            grid_id=problem.grid_id,
            building_id=problem.building_id,
            category_id=seed.category_id,
            seed_case=seed,
            first_at=seed.created_at,
            last_at=seed.created_at,
            activity_at=now,
            split_from=problem,
        )
        Member.objects.filter(problem=problem, case_id__in=chosen).update(
            problem=part, rule=JoinRule.SPLIT, similarity=None
        )
        problem.activity_at = now
        problem.save(update_fields=["activity_at"])
        with connection.cursor() as cursor:
            grouping.refresh(cursor, {}, [problem.pk, part.pk])
    return part


def carried_cases(problem) -> list:
    """The open cases that go to the session with the problem: not yet in a session's hands."""
    return list(
        selectors.carriable_cases()
        .filter(recurring_member__problem=problem)
        .order_by("created_at", "pk")
    )


def put_on_session(scope, user, problem_id, choice: SessionChoice) -> AgendaItem:
    """One action: the problem goes on the community's next monthly session (or a new
    emergency one) as one agenda item, its oldest open case the item's case and the others
    carried with it; cases not yet accepted are accepted by the officer first."""
    with transaction.atomic():
        problem = _locked(scope, problem_id)
        cases = carried_cases(problem)
        _refuse(rules.session_refusal(problem, len(cases)))
        meeting = _session(scope, user, problem, choice)
        due = (
            timezone.make_aware(
                datetime.combine(timezone.localtime(meeting.starts_at).date(), time(23, 59))
            )
            + DUE_AFTER_SESSION
        )
        link = {"meeting": meeting.pk}
        for case in cases:
            if case.state == State.SUBMITTED:
                owner = _owner(user, case)
                workflow.perform(
                    scope, user, case.pk, "accept", Ownership(owner=owner, response_deadline=due)
                )
        lead = cases[0]
        if Case.objects.get(pk=lead.pk).state == State.ACCEPTED:
            note = _("Taken to the session as the recurring problem “%(title)s”.") % {
                "title": rules.title(problem)
            }
            workflow.perform(scope, user, lead.pk, "propose", Note(note=note), meeting=link)
        meetings.add_to_agenda(scope, user, meeting.pk, [lead.pk])
        item = AgendaItem.objects.get(meeting=meeting, case=lead)
        # The others go to 提 with the item now, each with the meeting and the item in its
        # history: their pages say which session takes them up.
        carried = {**link, "agenda_item": item.pk, "recurring_problem": problem.pk}
        note = _("Carried with the recurring problem “%(title)s” to the session.") % {
            "title": rules.title(problem)
        }
        for case in cases[1:]:  # those logged were accepted above; a 提 one is there already
            if case.state in (State.SUBMITTED, State.ACCEPTED):
                workflow.perform(scope, user, case.pk, "propose", Note(note=note), meeting=carried)
        # Whom they concern is invited and told, as the lead's people are, in the same notice
        # while it has not left (meetings/workflow.py, notifications/events.py).
        meetings.carry_to_meeting(scope, user, meeting.pk, [case.pk for case in cases[1:]])
        now = timezone.now()
        problem.status = Status.DELIBERATED
        problem.agenda_item = item
        problem.deliberated_at = now
        problem.deliberated_by = user
        problem.activity_at = now
        problem.save()
        problem.members.filter(case__in=cases).update(carried=True)
        if Case.objects.get(pk=lead.pk).state == State.DELIBERATING:
            # The session is already under way: the lead went straight to 议, so do the others.
            follow.carry(problem, "deliberate", user)
    return item


def _owner(user, case):
    """Who owns a case accepted as it goes to the session: the officer acting, else the
    community's first officer (street staff do not own cases)."""
    if possible_owners(case).filter(pk=user.pk).exists():
        return user
    return _first_officer(case.community_id)


# A new meeting's fields → the session form's (recurring/forms.py SessionForm).
SESSION_FIELDS = {"starts_at": "at"}


def _session(scope, user, problem, choice: SessionChoice):
    if choice.kind == Kind.MONTHLY:
        return meetings.next_session(problem.community, timezone.now())
    if choice.kind != Kind.EMERGENCY or choice.starts_at is None:
        raise MoveRefused(_("Choose the next monthly session or an emergency session's time."))
    officers = officers_of([problem.community_id])
    host = user if officers.filter(pk=user.pk).exists() else _first_officer(problem.community_id)
    # The meetings app's own scheduling, with its typed inputs; what it refuses of the time is
    # said on this page's time field (a meeting's "starts_at" is this form's day and "at").
    try:
        return meetings.create_meeting(
            scope,
            user,
            NewMeeting(
                community=problem.community,
                starts_at=choice.starts_at,
                venue_kind=choice.venue_kind,
                address=choice.address or rules.place_name(problem),
                host=host,
                kind=Kind.EMERGENCY,
            ),
        )
    except MoveRefused as refused:
        errors = {SESSION_FIELDS.get(k, k): v for k, v in refused.errors.items()}
        raise MoveRefused(str(refused), errors=errors) from None


def _first_officer(community_id):
    officer = officers_of([community_id]).first()
    if officer is None:
        raise MoveRefused(_("The community has no officer to own its cases or host its sessions."))
    return officer


def close_together(scope, user, problem_id, resolution: Resolution, close_tasks: bool) -> dict:
    """The root cause is fixed: each carried case is resolved (解单) with the same answer, each
    in its own transaction and through workflow, so each gets its own follow-up visit (查单)
    and the hotline hears 办结 for its orders. `close_tasks` marks their open tasks done first.
    Returns {"done": [case, ...], "refused": [(case, reason), ...]}."""
    problem = (
        scope.granting(Capability.RECURRING_PROBLEMS)
        .narrow(Problem.objects.all())
        .filter(pk=problem_id)
        .first()
    )
    if problem is None:
        raise MoveRefused(_("This recurring problem does not exist or is outside your places."))
    if problem.status != Status.DELIBERATED:
        raise MoveRefused(_("The cases close together once the problem has been to a session."))
    cases = list(
        Case.objects.filter(
            recurring_member__problem=problem,
            recurring_member__carried=True,
            state__in=(State.DECIDED, State.IN_PROGRESS),
        ).order_by("created_at", "pk")
    )
    if not cases:
        raise MoveRefused(_("None of its cases is decided and waiting to be resolved."))
    done, refused = [], []
    for case in cases:
        try:
            with transaction.atomic():
                if case.state == State.DECIDED:
                    workflow.perform(scope, user, case.pk, "start", Note())
                if close_tasks:
                    for task_id in case.tasks.filter(status=TaskStatus.OPEN).values_list(
                        "pk", flat=True
                    ):
                        workflow.close_task(scope, user, case.pk, task_id, TaskStatus.DONE)
                done.append(workflow.perform(scope, user, case.pk, "resolve", resolution))
        except MoveRefused as error:
            reason = " ".join(str(m) for m in error.errors.values()) or str(error)
            refused.append((case, reason))
    return {"done": done, "refused": refused}
