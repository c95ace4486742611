"""The case lifecycle: allowed moves succeed, every other move is refused and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.scope import Scope
from cases import inputs as workflow_inputs
from cases import workflow
from cases.models import Case, CaseEvent, State
from tests.factories import CaseFactory
from tests.moves import by_form

pytestmark = pytest.mark.django_db


def move(user, case, name, **data):
    """A move as its page makes it; 议 and 决 as a meeting makes them (tests/test_meetings.py
    goes through the meeting pages)."""
    prefixed = {f"{name}-{key}": value for key, value in data.items()}
    meeting = {"meeting": None} if workflow.MOVES[name].meeting_only else None
    return by_form(user, case.pk, name, prefixed, meeting=meeting)


def test_deliberation_and_decision_happen_only_in_a_meeting(tap, personas):
    officer = personas.officer_chunguang
    move(officer, tap, "accept", **accept_data(officer))
    move(officer, tap, "propose")
    with pytest.raises(workflow.MoveRefused, match="议事协商会"):
        by_form(officer, tap.pk, "deliberate", {})
    tap.refresh_from_db()
    assert tap.state == State.PROPOSED


def accept_data(owner):
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    return {"owner": owner.pk, "response_deadline": deadline}


RESOLVE = {
    "outcome": "resolved",
    "note": "更换了锈蚀管道",
    "explanation_method": "home_visit",
    "explanation": "入户说明了施工和临时供水安排",
}


@pytest.fixture
def tap(places, personas):
    """The dripping tap in 春光社区, logged by the grid worker of grid 1."""
    return CaseFactory(grid=places.cg1, created_by=personas.worker_cg1)


def test_the_dripping_tap_goes_through_the_whole_lifecycle(tap, personas):
    officer, worker = personas.officer_chunguang, personas.worker_cg1
    move(officer, tap, "accept", **accept_data(officer))
    move(officer, tap, "propose")
    move(officer, tap, "deliberate")
    move(officer, tap, "decide", plan="自筹资金+具体施工+临时供水")
    move(officer, tap, "start")
    move(officer, tap, "resolve", **RESOLVE)
    case = move(worker, tap, "verify", satisfaction="satisfied", note="随访：用水正常")
    assert case.state == State.VERIFIED
    assert case.plan == "自筹资金+具体施工+临时供水" and case.outcome == "resolved"
    events = list(CaseEvent.objects.filter(case=tap).values_list("from_state", "to_state"))
    assert events == [
        ("submitted", "accepted"),
        ("accepted", "proposed"),
        ("proposed", "deliberating"),
        ("deliberating", "decided"),
        ("decided", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "verified"),
    ]


def test_a_move_from_the_wrong_state_is_refused_and_changes_nothing(tap, personas):
    with pytest.raises(workflow.MoveRefused, match="不可以|not possible|现在"):
        move(personas.officer_chunguang, tap, "decide", plan="方案")
    tap.refresh_from_db()
    assert tap.state == State.SUBMITTED and not tap.plan
    assert not CaseEvent.objects.exists()


def test_a_move_without_its_fields_is_refused_with_the_fields_messages(tap, personas):
    with pytest.raises(workflow.MoveRefused) as refused:
        move(personas.officer_chunguang, tap, "accept")
    assert set(refused.value.form.errors) == {"owner", "response_deadline"}
    tap.refresh_from_db()
    assert tap.state == State.SUBMITTED


def test_a_grid_worker_cannot_accept_and_another_communitys_officer_cannot_see(tap, personas):
    with pytest.raises(workflow.MoveRefused, match="角色"):
        move(personas.worker_cg1, tap, "accept", **accept_data(personas.worker_cg1))
    with pytest.raises(workflow.MoveRefused, match="不存在"):
        move(personas.officer_funan, tap, "accept", **accept_data(personas.officer_funan))
    assert Case.objects.get().state == State.SUBMITTED


def test_the_one_who_resolved_does_not_verify(tap, personas):
    officer = personas.officer_chunguang
    move(officer, tap, "accept", **accept_data(personas.worker_cg1))
    move(officer, tap, "handle_directly", note="简单事项，直接办理")
    move(personas.worker_cg1, tap, "resolve", **RESOLVE)  # the owner resolves
    with pytest.raises(workflow.MoveRefused, match="解单人以外"):
        move(personas.worker_cg1, tap, "verify", satisfaction="satisfied", note="随访")
    assert move(officer, tap, "verify", satisfaction="basically", note="随访").state == "verified"


def test_handling_directly_needs_a_reason(tap, personas):
    officer = personas.officer_chunguang
    move(officer, tap, "accept", **accept_data(officer))
    with pytest.raises(workflow.MoveRefused):
        move(officer, tap, "handle_directly", note="")
    assert Case.objects.get().state == State.ACCEPTED


def test_cannot_be_resolved_needs_the_referral(tap, personas):
    officer = personas.officer_chunguang
    move(officer, tap, "accept", **accept_data(officer))
    move(officer, tap, "handle_directly", note="直接办理")
    with pytest.raises(workflow.MoveRefused) as refused:
        move(officer, tap, "resolve", **{**RESOLVE, "outcome": "cannot"})
    assert "referral" in refused.value.form.errors


def test_an_unsatisfied_resident_reopens_the_case_for_deliberation(tap, personas):
    officer = personas.officer_chunguang
    move(officer, tap, "accept", **accept_data(officer))
    move(officer, tap, "handle_directly", note="直接办理")
    move(officer, tap, "resolve", **RESOLVE)
    move(personas.worker_cg1, tap, "verify", satisfaction="unsatisfied", note="仍然滴水")
    case = move(personas.worker_cg1, tap, "reopen", note="居民不满意", back_to="deliberating")
    assert case.state == State.DELIBERATING and case.outcome == "" and case.satisfaction == ""


def test_available_moves_are_exactly_the_buttons_a_user_may_press(tap, personas):
    officer_moves = workflow.available_moves(
        Scope.for_user(personas.officer_chunguang), personas.officer_chunguang, tap
    )
    assert [m.name for m in officer_moves] == ["accept", "decline"]
    worker = personas.worker_cg1
    assert workflow.available_moves(Scope.for_user(worker), worker, tap) == []


def test_history_rows_are_never_edited(tap, personas):
    move(personas.officer_chunguang, tap, "decline", note="不属于社区职责", explanation="请找物业")
    event = CaseEvent.objects.get()
    event.note = "改写"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_typed_inputs_are_checked_by_the_workflow_itself(tap, personas):
    """The API and the hotline call the workflow without a page's form: it checks again."""
    officer = personas.officer_chunguang
    scope = Scope.for_user(officer)
    outsider = personas.officer_funan  # not a possible owner of a 春光 case
    past = timezone.now() - timedelta(hours=1)
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.perform(
            scope, officer, tap.pk, "accept", workflow_inputs.Ownership(outsider, past)
        )
    assert set(refused.value.errors) == {"owner", "response_deadline"}
    with pytest.raises(TypeError):
        workflow.perform(scope, officer, tap.pk, "accept", workflow_inputs.Note())
    move(officer, tap, "accept", **accept_data(officer))
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.perform(scope, officer, tap.pk, "decline", workflow_inputs.Reason("x"))
    assert "不能" in str(refused.value)  # accepted: declining is no longer possible
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.perform(
            scope, officer, tap.pk, "handle_directly", workflow_inputs.Reason("直接\x1b办理")
        )
    assert "note" in refused.value.errors
    tap.refresh_from_db()
    assert tap.state == State.ACCEPTED
    assert CaseEvent.objects.filter(case=tap).count() == 1  # the accept alone
