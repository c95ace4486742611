"""The report's figures from the moves users make: the seven October stories of
tests/test_reports.py (tests/test_reports.py, hand-written history) played
through `cases.workflow.perform` with the clock moved, so the contract between what the
workflow records and what `reports/figures.py` counts is pinned."""

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from cases import workflow
from cases.inputs import Ownership, Reason, Reopening, Resolution, Visit
from cases.intake import save_new_case
from cases.models import Case, Category

# Its figures are October 2026's, read as a past month.
pytestmark = [pytest.mark.django_db, pytest.mark.pinned("2026-11-20T10:00+08:00")]


def at(text):
    return timezone.make_aware(datetime.fromisoformat(text))  # Asia/Shanghai


def log(when, grid, user):
    with time_machine.travel(at(when), tick=False):
        case = Case(
            grid=grid,
            category=Category.objects.get(name="水电气暖"),
            description="水龙头滴滴答答响了一夜",
            resident_name="王大妈",
            resident_phone="13912345678",
            channel="phone",
        )
        return save_new_case(case, [], user)


def move(when, user, case, name, inputs):
    with time_machine.travel(at(when), tick=False):
        return workflow.perform(Scope.for_user(user), user, case.pk, name, inputs)


def escalate(when, user, case):
    with time_machine.travel(at(when), tick=False):
        return workflow.escalate(Scope.for_user(user), user, case.pk, "三天没人管")


def resolution(outcome="resolved"):
    return Resolution(
        outcome=outcome,
        note="换了阀芯",
        explanation_method="phone",
        explanation="已修好",
        referral="转供水公司" if outcome == "cannot" else "",
    )


def handled(when, user, case, owner, deadline):
    """Accepted with an owner and deadline, then handled directly (办)."""
    move(when, user, case, "accept", Ownership(owner=owner, response_deadline=at(deadline)))
    move(when, user, case, "handle_directly", Reason(note="简单事项，直接办理"))


@pytest.fixture
def october(places, personas):
    officer, worker = personas.officer_chunguang, personas.worker_cg1
    street, funan = personas.street_staff, personas.officer_funan
    # A: logged in September, accepted on time after midnight on 1 October, resolved, verified.
    a = log("2026-09-30 23:30", places.cg1, worker)
    handled("2026-10-01 00:10", officer, a, officer, "2026-10-10 12:00")
    move("2026-10-05 12:00", officer, a, "resolve", resolution())
    move("2026-10-12 09:00", worker, a, "verify", Visit(satisfaction="satisfied", note="好了"))
    # B: logged one second before November; C: at midnight on 1 November.
    log("2026-10-31 23:59:59", places.cg1, worker)
    log("2026-11-01 00:00", places.cg2, officer)
    # D: received and declined in October.
    d = log("2026-10-10 10:00", places.cg2, officer)
    move("2026-10-11 09:00", officer, d, "decline", Reason(note="重复诉求"))
    # E (富南): accepted late, resolved partly, reopened, resolved again, verified.
    e = log("2026-10-02 10:00", places.fn1, street)
    handled("2026-10-09 10:00", street, e, funan, "2026-11-30 10:00")
    move("2026-10-15 10:00", street, e, "resolve", resolution("partly"))
    move("2026-10-20 10:00", street, e, "reopen", Reopening(back_to="accepted", note="还漏"))
    move("2026-10-20 10:05", street, e, "handle_directly", Reason(note="再修"))
    move("2026-10-25 10:00", street, e, "resolve", resolution())
    move("2026-10-28 10:00", funan, e, "verify", Visit(satisfaction="basically", note="基本好"))
    # F (富南): resolved in September (cannot), reopened in October, resolved in November.
    f = log("2026-09-20 10:00", places.fn1, street)
    handled("2026-09-21 09:00", street, f, funan, "2026-09-25 10:00")
    move("2026-09-28 10:00", street, f, "resolve", resolution("cannot"))
    move("2026-10-03 10:00", street, f, "reopen", Reopening(back_to="accepted", note="再看"))
    move("2026-10-03 10:05", street, f, "handle_directly", Reason(note="换方案"))
    move("2026-11-02 10:00", street, f, "resolve", resolution())
    # G: accepted on time; its deadline of 20 October passed unresolved; escalated.
    g = log("2026-10-05 09:00", places.cg1, worker)
    handled("2026-10-05 15:00", officer, g, officer, "2026-10-20 18:00")
    escalate("2026-10-21 09:00", worker, g)
    return {"a": a, "e": e, "f": f, "g": g}


def totals(client, month):
    response = client.get(reverse("reports:report"), {"month": month})
    assert response.status_code == 200
    return response.context["total"]


def test_octobers_figures_from_the_moves_match_the_hand_count(personas, login, october):
    total = totals(login(personas.street_staff), "2026-10")
    expected = {
        "received": 4,  # B, D, E, G
        "accepted": 3,  # A, E, G
        "accepted_on_time": 2,  # A and G; E after its response time
        "declined": 1,  # D
        "resolved": 2,  # A, and E once with its last outcome
        "outcome_resolved": 2,
        "outcome_partly": 0,
        "outcome_cannot": 0,
        "verified": 2,  # A, E
        "overdue": 1,  # G
        "escalated": 1,  # G
        "response_rate": 66.7,
        "resolution_rate": 100.0,
        "satisfaction_rate": 100.0,
    }
    assert {key: total[key] for key in expected} == expected
    a_days = (at("2026-10-05 12:00") - at("2026-09-30 23:30")).total_seconds() / 86400
    assert total["median_days"] == round((a_days + 23) / 2, 1)


def test_a_case_resolved_in_two_months_counts_in_both(personas, login, october):
    client = login(personas.street_staff)
    september, november = totals(client, "2026-09"), totals(client, "2026-11")
    assert (september["resolved"], september["outcome_cannot"]) == (1, 1)
    assert (november["received"], november["resolved"], november["outcome_resolved"]) == (1, 1, 1)
