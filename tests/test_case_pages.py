"""The case list and the case page: filters, masked phones, buttons, tasks, 督办, exports."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AccessEvent, Kind
from cases.models import Case, Escalation, State, Task
from grids.models import Contact, ContactKind
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}  # as the case page's panels ask for their forms


def later(days=2):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def tap(places, personas):
    return CaseFactory(
        grid=places.cg1, created_by=personas.worker_cg1, resident_phone="13912345678"
    )


def post_move(client, case, name, **data):
    prefixed = {f"{name}-{key}": value for key, value in data.items()}
    return client.post(reverse("cases:move", args=[case.pk, name]), prefixed)


# The list -------------------------------------------------------------------------------
def test_a_grid_worker_lists_only_their_grids_cases_with_masked_phones(
    places, personas, login, tap
):
    CaseFactory(grid=places.cg2, description="春光第2网格的诉求")
    CaseFactory(grid=places.fn1, description="富南的诉求")
    page = login(personas.worker_cg1).get(reverse("cases:list")).content.decode()
    assert tap.tracking_code in page and "139****5678" in page
    assert "13912345678" not in page
    assert "春光第2网格的诉求" not in page and "富南的诉求" not in page


def test_an_officer_lists_the_whole_community_and_street_staff_the_street(
    places, personas, login, tap
):
    CaseFactory(grid=places.cg2, description="春光第2网格的诉求")
    CaseFactory(grid=places.fn1, description="富南的诉求")
    CaseFactory(grid=places.yy1, description="友谊的诉求")
    officer_page = login(personas.officer_chunguang).get(reverse("cases:list")).content.decode()
    assert "春光第2网格的诉求" in officer_page and "富南的诉求" not in officer_page
    street_page = login(personas.street_staff).get(reverse("cases:list")).content.decode()
    assert "富南的诉求" in street_page and "友谊的诉求" not in street_page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"q": "滴滴答答"}, True),
        ({"q": "暖气片"}, False),
        ({"q": "13912345678"}, True),
        ({"q": "5678"}, True),
        ({"q": "139 1234 0000"}, False),
        ({"state": "submitted"}, True),
        ({"progress": "open"}, True),
        ({"progress": "closed"}, False),
        ({"state": "accepted"}, False),
        ({"urgency": "urgent"}, False),
        ({"channel": "phone"}, True),
        ({"overdue": "no"}, True),
        ({"overdue": "yes"}, False),
        ({"escalated": "yes"}, False),
        ({"logged_from": "2000-01-01", "logged_to": "2999-01-01"}, True),
        ({"logged_to": "2000-01-01"}, False),
    ],
)
def test_filters_and_search_find_the_case(places, personas, login, tap, query, found):
    page = login(personas.officer_chunguang).get(reverse("cases:list"), query).content.decode()
    assert (tap.tracking_code in page) is found


def test_search_by_tracking_code_in_any_case(personas, login, tap):
    page = login(personas.worker_cg1).get(reverse("cases:list"), {"q": tap.tracking_code.lower()})
    assert tap.tracking_code in page.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"state": "bogus"},
        {"grid": "abc"},
        {"logged_from": "2026-13-45"},
        {"logged_from": "2026-12-31", "logged_to": "2026-01-01"},
        {"page": "-1"},
        {"overdue": "maybe"},
        {"community": "99999999"},
        {"q": "x" * 500},
    ],
)
def test_bad_filter_values_give_a_message_not_an_error(personas, login, tap, query):
    response = login(personas.officer_chunguang).get(reverse("cases:list"), query)
    if "page" in query:  # a page out of range shows the nearest page
        assert response.status_code == 200
    else:
        assert response.status_code == 400 and "筛选条件无效" in response.content.decode()
        if "logged_to" in query:
            assert "起始日期晚于截止日期" in response.content.decode()


def test_another_places_grid_is_not_a_filter_choice(places, personas, login):
    page = login(personas.officer_chunguang).get(reverse("cases:list")).content.decode()
    assert "春光第2网格" in page and "富南第1网格" not in page


def test_the_list_pages(places, personas, login, settings):
    settings.CASE_LIST_PAGE_SIZE = 2
    for n in range(5):
        CaseFactory(grid=places.cg1, description=f"诉求{n}")
    client = login(personas.worker_cg1)
    first = client.get(reverse("cases:list")).content.decode()
    last = client.get(reverse("cases:list"), {"page": 3}).content.decode()
    assert (
        "诉求4" in first and "诉求0" not in first and "诉求0" in last and "第 3 页，共 3 页" in last
    )


# Bulk moves -----------------------------------------------------------------------------
def test_bulk_accept_checks_every_case(places, personas, login):
    mine = [CaseFactory(grid=places.cg1), CaseFactory(grid=places.cg2)]
    already = CaseFactory(grid=places.cg1, state=State.ACCEPTED)
    theirs = CaseFactory(grid=places.fn1)
    client = login(personas.officer_chunguang)
    response = client.post(
        reverse("cases:bulk"),
        {
            "ids": [c.pk for c in [*mine, already, theirs]],
            "action": "accept",
            "owner": personas.officer_chunguang.pk,
            "response_deadline": later(),
        },
        follow=True,
    )
    page = response.content.decode()
    assert [Case.objects.get(pk=c.pk).state for c in mine] == [State.ACCEPTED] * 2
    assert Case.objects.get(pk=theirs.pk).state == State.SUBMITTED
    assert "已办理 2 件" in page and "所选诉求中有 1 件不在您负责的范围内，未作处理。" in page
    assert "现在不能" in page  # the case already accepted says why
    assert theirs.tracking_code not in page


def test_a_bulk_move_names_no_case_outside_the_users_places(places, personas, login):
    """Any ids may be sent; only the cases the user may open are named in what comes back."""
    outside = [
        CaseFactory(grid=places.fn1),  # another community of the street
        CaseFactory(grid=places.yy1),  # another street
        CaseFactory(grid=places.fn1, state=State.ACCEPTED),  # one that would be refused
    ]
    mine = CaseFactory(grid=places.cg1, state=State.ACCEPTED)
    client = login(personas.officer_chunguang)
    for action in ("accept", "assign"):
        response = client.post(
            reverse("cases:bulk"),
            {
                "ids": [c.pk for c in [*outside, mine]] + [10**9],
                "action": action,
                "owner": personas.officer_chunguang.pk,
                "response_deadline": later(),
            },
            follow=True,
        )
        page = response.content.decode()
        # Accepting, the user's own case is refused (accepted already): the list comes back
        # with it ticked, nothing done (400); assigning, it is done.
        assert response.status_code == (400 if action == "accept" else 200)
        assert not any(case.tracking_code in page for case in outside)
        assert "所选诉求中有 4 件不在您负责的范围内，未作处理。" in page
        assert [Case.objects.get(pk=c.pk).state for c in outside] == [
            State.SUBMITTED,
            State.SUBMITTED,
            State.ACCEPTED,
        ]


def test_bulk_with_a_past_deadline_changes_nothing(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.officer_chunguang)
    response = client.post(
        reverse("cases:bulk"),
        {
            "ids": [case.pk],
            "action": "accept",
            "owner": personas.officer_chunguang.pk,
            "response_deadline": "2000-01-01T10:00",
        },
        follow=True,
    )
    assert "期限必须晚于现在" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_grid_workers_have_no_bulk_moves(personas, login, tap):
    client = login(personas.worker_cg1)
    assert 'data-testid="bulk-actions"' not in client.get(reverse("cases:list")).content.decode()
    assert client.post(reverse("cases:bulk"), {"ids": [tap.pk]}).status_code == 403


# The case page --------------------------------------------------------------------------
def test_the_case_page_shows_exactly_the_moves_this_user_may_make(personas, login, tap):
    officer_page = login(personas.officer_chunguang).get(reverse("cases:detail", args=[tap.pk]))
    assert 'data-testid="move-accept"' in officer_page.content.decode()
    assert 'data-testid="move-decline"' in officer_page.content.decode()
    assert 'data-testid="move-resolve"' not in officer_page.content.decode()
    worker_page = login(personas.worker_cg1).get(reverse("cases:detail", args=[tap.pk]))
    assert 'data-testid="move-' not in worker_page.content.decode()


def test_a_refused_move_shows_its_message_and_changes_nothing(personas, login, tap):
    response = post_move(
        login(personas.worker_cg1),
        tap,
        "accept",
        owner=personas.worker_cg1.pk,
        response_deadline=later(),
    )
    assert response.status_code == 409 and "您的角色不允许" in response.content.decode()
    response = post_move(login(personas.officer_chunguang), tap, "resolve", outcome="resolved")
    assert response.status_code == 409 and "现在不能" in response.content.decode()
    response = post_move(login(personas.officer_chunguang), tap, "accept", owner="")
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    assert Case.objects.get(pk=tap.pk).state == State.SUBMITTED
    assert post_move(login(personas.officer_chunguang), tap, "fly").status_code == 404


def test_showing_the_full_phone_is_recorded(personas, login, tap):
    client = login(personas.worker_cg1)
    response = client.post(reverse("cases:phone", args=[tap.pk]))
    assert "13912345678" in response.content.decode()
    assert response["Cache-Control"].startswith("no-store")
    reveal = AccessEvent.objects.get()  # one record of the act
    assert (reveal.kind, reveal.case, reveal.user) == (Kind.PHONE_VIEWED, tap, personas.worker_cg1)
    assert "13912345678" not in client.get(reverse("cases:detail", args=[tap.pk])).content.decode()


# Tasks (办) -----------------------------------------------------------------------------
def decided(case, officer):
    case.state = State.DECIDED
    case.owner = officer
    case.save()
    return case


def test_resolving_waits_until_every_task_is_done_or_dropped(places, personas, login, tap):
    officer = personas.officer_chunguang
    client = login(officer)
    decided(tap, officer)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for title in ("更换锈蚀管道", "临时供水"):
        response = client.post(
            reverse("cases:task_add", args=[tap.pk]),
            {
                "task-title": title,
                "task-owner_user": personas.worker_cg1.pk,
                "task-due_date": tomorrow,
            },
        )
        assert response.status_code == 302
    post_move(client, tap, "start")
    resolve = {
        "outcome": "resolved",
        "note": "已更换",
        "explanation_method": "home_visit",
        "explanation": "入户说明",
    }
    response = post_move(client, tap, "resolve", **resolve)
    assert response.status_code == 409 and "每项任务" in response.content.decode()
    pipes, water = Task.objects.order_by("title")
    response = client.post(reverse("cases:task_close", args=[tap.pk, water.pk, "dropped"]))
    assert response.status_code == 409 and "请说明" in response.content.decode()
    client.post(
        reverse("cases:task_close", args=[tap.pk, water.pk, "dropped"]),
        {f"drop{water.pk}-drop_reason": "供水公司已恢复供水"},
    )
    worker = login(personas.worker_cg1)
    assert (
        worker.post(reverse("cases:task_close", args=[tap.pk, pipes.pk, "done"])).status_code == 302
    )
    assert post_move(login(officer), tap, "resolve", **resolve).status_code == 302
    page = login(officer).get(reverse("cases:detail", args=[tap.pk])).content.decode()
    assert "供水公司已恢复供水" in page and "已解单" in page


def test_the_unit_leader_and_a_resident_representative_can_own_tasks(places, personas, login, tap):
    """The seed's 单元长 collects the fees: unit leaders and resident representatives of the
    case's grid are offered as task owners, and the task shows them on the case page."""
    officer = personas.officer_chunguang
    client = login(officer)
    decided(tap, officer)
    leader = places.leaders[places.cg1]
    rep = Contact.objects.create(
        street=places.street,
        community=places.chunguang,
        grid=places.cg1,
        kind=ContactKind.RESIDENT_REP,
        name="居民代表老赵",
    )
    other_grid = places.leaders[places.cg2]
    # The task form comes when its panel is opened (htmx).
    page = client.get(reverse("cases:task_add", args=[tap.pk]), headers=HTMX).content.decode()
    offered = re.search(r'name="task-owner_contact"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert leader.name in offered and rep.name in offered and other_grid.name not in offered
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    for title, contact in (("收取维修费用", leader), ("通知楼内居民", rep)):
        response = client.post(
            reverse("cases:task_add", args=[tap.pk]),
            {"task-title": title, "task-owner_contact": contact.pk, "task-due_date": due},
        )
        assert response.status_code == 302
    assert set(Task.objects.values_list("owner_contact__name", flat=True)) == {
        leader.name,
        rep.name,
    }
    page = login(personas.worker_cg1).get(reverse("cases:detail", args=[tap.pk])).content.decode()
    assert f"单元长 · {leader.name}" in page and f"居民代表 · {rep.name}" in page
    refused = login(officer).post(
        reverse("cases:task_add", args=[tap.pk]),
        {"task-title": "越界", "task-owner_contact": other_grid.pk, "task-due_date": due},
    )
    assert refused.status_code == 400 and Task.objects.count() == 2


def test_a_task_needs_one_owner_and_a_due_date_not_in_the_past(places, personas, login, tap):
    client = login(personas.officer_chunguang)
    decided(tap, personas.officer_chunguang)
    response = client.post(
        reverse("cases:task_add", args=[tap.pk]),
        {"task-title": "修", "task-due_date": "2001-01-01"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "不能早于今天" in page and "请选择一个负责人" in page
    assert not Task.objects.exists()


def test_a_task_of_another_case_cannot_be_closed_through_this_one(places, personas, login, tap):
    officer = personas.officer_chunguang
    other = decided(CaseFactory(grid=places.cg1), officer)
    task = Task.objects.create(
        case=other,
        title="别的任务",
        owner_user=officer,
        due_date=timezone.localdate(),
        created_by=officer,
    )
    decided(tap, officer)
    response = login(officer).post(reverse("cases:task_close", args=[tap.pk, task.pk, "done"]))
    assert response.status_code == 409
    assert Task.objects.get(pk=task.pk).status == "open"


# Escalation (督办) ------------------------------------------------------------------------
def test_an_overdue_case_is_escalated_and_the_street_sets_a_new_deadline(personas, login, tap):
    worker = login(personas.worker_cg1)
    response = worker.post(reverse("cases:escalate", args=[tap.pk]), {"escalate-reason": "太慢"})
    assert response.status_code == 409 and "逾期" in response.content.decode()
    Case.objects.filter(pk=tap.pk).update(response_deadline=timezone.now() - timedelta(hours=1))
    worker.post(reverse("cases:escalate", args=[tap.pk]), {"escalate-reason": "一天没人接单"})
    again = worker.post(reverse("cases:escalate", args=[tap.pk]), {"escalate-reason": "再催"})
    assert again.status_code == 409 and Escalation.objects.count() == 1
    escalation = Escalation.objects.get()
    answer = {"answer-comment": "请社区今天接单", "answer-new_deadline": later(1)}
    url = reverse("cases:escalation_answer", args=[tap.pk, escalation.pk])
    assert login(personas.officer_chunguang).post(url, answer).status_code == 409
    assert login(personas.street_staff).post(url, answer).status_code == 302
    tap.refresh_from_db()
    assert tap.response_deadline > timezone.now()
    page = login(personas.worker_cg1).get(reverse("cases:detail", args=[tap.pk])).content.decode()
    assert "请社区今天接单" in page and "一天没人接单" in page
    listed = login(personas.street_staff).get(reverse("cases:list"), {"escalated": "yes"})
    assert tap.tracking_code in listed.content.decode()
    # Answered, the escalation is a fact of the case's past: "escalated", not "under way".
    assert "已督办" in listed.content.decode() and "督办中" not in listed.content.decode()


# Exports --------------------------------------------------------------------------------
def test_street_staff_export_the_filtered_list_and_the_export_is_logged(
    places, personas, login, tap
):
    CaseFactory(grid=places.fn1, description='=HYPERLINK("http://x")')
    CaseFactory(grid=places.yy1, description="友谊的诉求")
    client = login(personas.street_staff)
    response = client.get(reverse("cases:export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "跟踪码" and len(rows) == 3
    assert "139****5678" in response.content.decode("utf-8-sig")
    assert "13912345678" not in response.content.decode("utf-8-sig")
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert "友谊的诉求" not in response.content.decode("utf-8-sig")
    response = client.get(reverse("cases:export", args=["xlsx"]), {"community": places.funan.pk})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 2 and sheet["A1"].value == "跟踪码"
    exports = AccessEvent.objects.filter(kind=Kind.CASE_EXPORT).order_by("at", "id")
    assert [(e.detail[:4].strip(), e.count) for e in exports] == [("csv", 2), ("xlsx", 1)]


def test_only_street_staff_may_export(personas, login, tap):
    for persona in (personas.officer_chunguang, personas.worker_cg1):
        assert login(persona).get(reverse("cases:export", args=["csv"])).status_code == 403
    assert not AccessEvent.objects.filter(kind=Kind.CASE_EXPORT).exists()
    assert (
        login(personas.street_staff).get(reverse("cases:export", args=["pdf"])).status_code == 404
    )


@pytest.mark.parametrize(
    ("back", "expected"),
    [
        ("state=submitted&q=漏水", "/cases/?state=submitted&q=%E6%BC%8F%E6%B0%B4"),
        ("q=a\r\nLocation: //evil.example", "/cases/?q=a%0D%0ALocation%3A+%2F%2Fevil.example"),
        ("q=" + "x" * 20_000, "/cases/"),
    ],
)
def test_a_bulk_move_returns_to_the_list_it_came_from_and_nowhere_else(
    places, personas, login, back, expected
):
    case = CaseFactory(grid=places.cg1)
    response = login(personas.officer_chunguang).post(
        reverse("cases:bulk"),
        {
            "ids": [case.pk],
            "action": "accept",
            "owner": personas.officer_chunguang.pk,
            "response_deadline": later(),
            "back": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == expected


def test_a_language_switch_pressed_in_the_follow_up_panel_keeps_the_note_and_the_answer(
    places, personas, login
):
    case = CaseFactory(
        grid=places.cg1, state=State.RESOLVED, resolved_by=personas.officer_chunguang
    )
    client = login(personas.worker_cg1)
    page_url = reverse("cases:detail", args=[case.pk])
    # A refused visit comes back open, and the switch then sends its fields along.
    refused = client.post(reverse("cases:move", args=[case.pk, "verify"]), {"verify-note": "x"})
    assert refused.status_code == 400 and 'form="case-form-verify"' in refused.content.decode()
    switch = reverse("residents:switch") + "?next=" + page_url
    typed = {"verify-satisfaction": "basically", "verify-note": "水龙头不滴了，王大妈说还行"}
    response = client.post(switch, {**typed, "language": "en"})
    assert response.status_code == 302 and response["Location"] == page_url
    again = client.get(page_url).content.decode()
    assert '<html lang="en"' in again and "水龙头不滴了，王大妈说还行" in again
    assert 'value="basically" checked' in again or 'value="basically" selected' in again
    panel = again.split('id="case-form-verify"')[0].rsplit("<details", 1)[1]
    assert " open" in panel.split(">")[0]  # the panel is open, as it was
    case.refresh_from_db()
    assert case.state == State.RESOLVED  # nothing recorded until it is sent
    assert "水龙头不滴了" not in client.get(page_url).content.decode()  # taken once
