"""A page lists as someone's to-do only what they can do; where another person must act, it
says who. (The homes' to-do lists and "waiting for others": tests/test_workbench.py.)"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Escalation, State, Task
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def next_step(client, case):
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    found = re.search(r'data-testid="next-step">.*?</i> ([^<]+)</p>', page)
    return found.group(1).strip() if found else None


def test_a_grid_workers_case_page_says_the_officer_accepts_it(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    worker = login(personas.worker_cg1)
    assert next_step(worker, case) == "下一步：由社区工作人员接单或退回。"


def test_the_case_page_names_the_owner_who_acts_next(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.IN_PROGRESS, owner=personas.worker_cg1)
    worker = login(personas.worker_cg1)
    name = personas.worker_cg1.get_full_name() or personas.worker_cg1.username
    # Handled directly: no task to wait for.
    assert next_step(worker, case) == f"下一步：由负责人 {name} 或社区工作人员解单。"
    Task.objects.create(
        case=case,
        title="换阀门",
        owner_user=personas.worker_cg1,
        due_date=timezone.localdate() + timedelta(days=3),
        created_by=personas.officer_chunguang,
    )
    shown = next_step(worker, case)
    assert shown == f"下一步：所有任务完成或撤销后，由负责人 {name} 或社区工作人员解单。"


def test_an_escalated_case_waits_for_the_street(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.ACCEPTED)
    Escalation.objects.create(case=case, reason="三天没人管", raised_by=personas.worker_cg1)
    assert next_step(login(personas.officer_chunguang), case) == (
        "下一步：由街道答复督办并设定新的期限。"
    )


def test_a_closed_case_has_no_next_step(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.VERIFIED)
    assert next_step(login(personas.worker_cg1), case) is None


def test_the_grid_workers_list_says_whom_new_cases_wait_for(places, personas, login):
    page = login(personas.worker_cg1).get(reverse("cases:list")).content.decode()
    assert ">等待社区工作人员接单</a>" in page
    officer = login(personas.officer_chunguang).get(reverse("cases:list")).content.decode()
    assert ">待接单</a>" in officer
