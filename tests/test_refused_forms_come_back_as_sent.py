"""A form refused comes back as it was sent: every box ticked as it was ticked, every choice and
typed value as it was, in its panel opened, with why beside it or at the top; and nothing is
saved. Only the wrong part needs putting right: the meeting's attendance table and the cases
offered for its agenda, the case list's bulk move, and the case page's panels (an emergency
session, a task's reason to drop it)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, State, Task, TaskStatus
from meetings.models import AgendaItem, Meeting, MeetingChange, MeetingState, Participant
from tests.factories import CaseFactory
from tests.page_forms import forms_of, value_of

pytestmark = pytest.mark.django_db


def form_posting_to(page: str, address: str):
    """The form of the page that is sent to `address`, as a browser reads it."""
    found = [form for form in forms_of(page) if form.action == address]
    assert len(found) == 1, address
    return found[0]


def ticked(page: str, address: str, name: str) -> set[str]:
    """The values of the boxes called `name` ticked in the form sent to `address`."""
    return set(form_posting_to(page, address).data().get(name, []))


def as_sent(values) -> set[str]:
    return {str(value) for value in values}


# The meeting page ------------------------------------------------------------------------
@pytest.fixture
def held_session(places, personas):
    """富南社区's emergency session, held since an hour ago, with its people listed."""
    return Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="emergency",
        starts_at=timezone.now() - timedelta(hours=1),
        venue_kind="room",
        address="富南社区会议室",
        host=personas.officer_funan,
        state=MeetingState.HELD,
    )


def test_a_refused_attendance_comes_back_with_every_tick_as_it_was_sent(
    personas, login, held_session
):
    """出席 ticked for three people, 公示署名 for one of them and for 徐英, who is not ticked
    present: the page says so, and shows the ticks as they were, so only her row needs
    changing."""
    people = [
        Participant.objects.create(meeting=held_session, kind="resident_rep", name=name)
        for name in ("王芳", "李强", "张伟", "徐英")
    ]
    wang, li, zhang, xu = people
    changes = MeetingChange.objects.count()
    address = reverse("meetings:action", args=[held_session.pk, "attendance"])
    sent = {"attended": [wang.pk, li.pk, zhang.pk], "named": [wang.pk, xu.pk]}
    response = login(personas.officer_funan).post(address, sent)
    page = response.content.decode()
    assert response.status_code == 400
    assert "徐英勾选了“公示署名”，但没有勾选“出席”：请同时勾选出席，或取消署名。" in page
    assert ticked(page, address, "attended") == as_sent(sent["attended"])
    assert ticked(page, address, "named") == as_sent(sent["named"])
    # Nothing saved: nobody is recorded present or named, and no change is recorded.
    assert not Participant.objects.filter(attended=True).exists()
    assert not Participant.objects.filter(named_in_public=True).exists()
    assert MeetingChange.objects.count() == changes
    # Asked for again, the page shows what is saved: nothing ticked.
    again = login(personas.officer_funan).get(reverse("meetings:detail", args=[held_session.pk]))
    assert ticked(again.content.decode(), address, "attended") == set()


def test_cases_ticked_for_the_agenda_stay_ticked_when_one_was_taken_meanwhile(
    places, personas, login, held_session
):
    """Two cases ticked; one of them no longer waits for deliberation when the form arrives
    (someone moved it). Nothing is put on the agenda, and the other stays ticked."""
    lamp = CaseFactory(grid=places.fn1, description="楼道灯不亮", state=State.PROPOSED)
    benches = CaseFactory(grid=places.fn1, description="广场桌椅破损", state=State.PROPOSED)
    client = login(personas.officer_funan)
    page_url = reverse("meetings:detail", args=[held_session.pk])
    address = reverse("meetings:action", args=[held_session.pk, "agenda"])
    assert ticked(client.get(page_url).content.decode(), address, "cases") == set()
    Case.objects.filter(pk=lamp.pk).update(state=State.ACCEPTED)
    response = client.post(address, {"cases": [lamp.pk, benches.pk]})
    page = response.content.decode()
    assert response.status_code == 409
    assert "只能列入本社区待协商（提）的诉求。" in page
    assert ticked(page, address, "cases") == {str(benches.pk)}
    assert not AgendaItem.objects.exists()
    assert Case.objects.get(pk=benches.pk).state == State.PROPOSED


# The case list's bulk move ---------------------------------------------------------------
def bulk_form(page: str) -> dict:
    return form_posting_to(page, reverse("cases:bulk")).data()


def unchanged(cases) -> list:
    return [
        (case.state, case.owner_id, case.response_deadline)
        for case in Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk")
    ]


@pytest.mark.parametrize(
    ("action", "state"), [("accept", State.SUBMITTED), ("assign", State.ACCEPTED)]
)
def test_a_refused_bulk_move_comes_back_ticked_with_its_move_owner_and_deadline(
    places, personas, login, action, state
):
    """Two cases ticked, 接单 (or 改派) to 春光第1网格's worker with a deadline in the past:
    each case is refused by its code, and the list shows the same ticks, move, owner and
    deadline, to put the deadline right and send again."""
    cases = [CaseFactory(grid=places.cg1, state=state) for _ in range(2)]
    other = CaseFactory(grid=places.cg1, state=state)  # listed, not ticked
    before, events = unchanged([*cases, other]), CaseEvent.objects.count()
    sent = {
        "ids": [str(case.pk) for case in cases],
        "action": action,
        "owner": str(personas.worker_cg1.pk),
        "response_deadline": "2020-01-01T10:00",
        "back": "queue=to_accept" if action == "accept" else "",
    }
    response = login(personas.officer_chunguang).post(reverse("cases:bulk"), sent)
    page = response.content.decode()
    assert response.status_code == 400
    assert all(case.tracking_code in page for case in cases)
    assert page.count("期限必须晚于现在") == 2
    shown = bulk_form(page)
    assert set(shown.get("ids", [])) == set(sent["ids"])
    assert shown["action"] == [action]
    assert shown["owner"] == [sent["owner"]]
    assert shown["response_deadline"] == ["2020-01-01T10:00"]
    assert shown["back"] == [sent["back"]]  # sent again, it returns to the same list
    assert unchanged([*cases, other]) == before and CaseEvent.objects.count() == events


def test_after_a_bulk_move_done_in_part_only_the_refused_cases_stay_ticked(places, personas, login):
    new = CaseFactory(grid=places.cg1)
    accepted = CaseFactory(grid=places.cg1, state=State.ACCEPTED)  # refused: accepted already
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    sent = {
        "ids": [new.pk, accepted.pk],
        "action": "accept",
        "owner": personas.worker_cg1.pk,
        "response_deadline": deadline,
    }
    response = login(personas.officer_chunguang).post(reverse("cases:bulk"), sent)
    page = response.content.decode()
    assert response.status_code == 200
    assert "已办理 1 件" in page and accepted.tracking_code in page
    assert set(bulk_form(page).get("ids", [])) == {str(accepted.pk)}
    assert bulk_form(page)["response_deadline"] == [deadline]
    assert Case.objects.get(pk=new.pk).state == State.ACCEPTED


def test_a_bulk_move_without_an_owner_comes_back_ticked_and_changes_nothing(
    places, personas, login
):
    cases = [CaseFactory(grid=places.cg1) for _ in range(2)]
    before = unchanged(cases)
    sent = {"ids": [c.pk for c in cases], "action": "assign", "response_deadline": "2031-05-06"}
    response = login(personas.officer_chunguang).post(reverse("cases:bulk"), sent)
    page = response.content.decode()
    assert response.status_code == 400 and "这个字段是必填项" in page
    shown = bulk_form(page)
    assert set(shown["ids"]) == as_sent(sent["ids"]) and shown["action"] == ["assign"]
    assert shown["owner"] == [""] and shown["response_deadline"] == ["2031-05-06"]
    assert unchanged(cases) == before


def test_a_refused_bulk_move_comes_back_on_the_page_it_was_sent_from(
    places, personas, login, monkeypatch
):
    monkeypatch.setattr(settings, "CASE_LIST_PAGE_SIZE", 2)
    cases = [CaseFactory(grid=places.cg1, description=f"诉求{n}") for n in range(3)]
    oldest = cases[0]  # the list is newest first: the oldest is on page 2
    client = login(personas.officer_chunguang)
    assert oldest.tracking_code in client.get(reverse("cases:list"), {"page": 2}).content.decode()
    sent = {
        "ids": [oldest.pk],
        "action": "accept",
        "owner": personas.officer_chunguang.pk,
        "response_deadline": "2020-01-01T10:00",
        "page": "2",
    }
    page = client.post(reverse("cases:bulk"), sent).content.decode()
    assert "第 2 页，共 2 页" in page
    assert bulk_form(page)["ids"] == [str(oldest.pk)]
    # Drawn at the bulk move's address, its links and its search still lead to the list.
    listed = reverse("cases:list")
    assert f'href="{listed}?page=1"' in page and f'href="{listed}?queue=to_accept"' in page
    search = next(form for form in forms_of(page) if form.method == "get")
    assert search.action == listed


# The case page's panels ------------------------------------------------------------------
def opened(page: str, panel_id: str) -> bool:
    tag = re.search(rf'<details[^>]*id="{panel_id}"[^>]*>', page)
    assert tag, panel_id
    return re.search(r"\sopen[\s>]", tag.group(0)) is not None


@pytest.fixture
def pipe(places, personas):
    """An urgent case accepted by 春光社区's officer: an emergency session may be called."""
    return CaseFactory(
        grid=places.cg1,
        urgency="urgent",
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        description="3号楼水管爆裂",
    )


def emergency(**fields):
    sent = {"day": "tomorrow", "at": "19:45", "venue_kind": "on_site", "address": "3号楼下"}
    return {f"emergency-{name}": value for name, value in {**sent, **fields}.items()}


def emergency_field(page, name):
    return value_of(page, f"emergency-{name}", form="case-form-emergency")


def test_a_refused_emergency_session_comes_back_open_with_what_was_typed(
    places, personas, login, pipe
):
    """A 250-character address: the panel comes back open, each field as it was sent, and the
    limit said beside the address."""
    events = CaseEvent.objects.filter(case=pipe).count()
    sent = emergency(address="金" * 250)
    response = login(personas.officer_chunguang).post(
        reverse("meetings:emergency", args=[pipe.pk]), sent
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert opened(page, "panel-emergency")
    assert emergency_field(page, "address") == "金" * 250
    assert emergency_field(page, "day") == "tomorrow"
    assert emergency_field(page, "at") == "19:45"
    assert emergency_field(page, "venue_kind") == "on_site"
    panel = page.split('id="panel-emergency"')[1].split("</details>")[0]
    address = panel.split('name="emergency-address"')[1]
    assert "最多 200 个字" in address.split("</div>")[0] + address.split("</span>")[0]
    assert 'form="case-form-emergency"' in page  # a language switch sends it along
    assert not Meeting.objects.exists()
    assert Case.objects.get(pk=pipe.pk).state == State.ACCEPTED
    assert CaseEvent.objects.filter(case=pipe).count() == events
    # Opened afresh, the panel is closed and empty.
    fresh = login(personas.officer_chunguang).get(reverse("cases:detail", args=[pipe.pk]))
    assert not opened(fresh.content.decode(), "panel-emergency")


@pytest.mark.pinned("2026-12-08T15:00+08:00")
def test_an_emergency_session_at_a_time_passed_comes_back_open_with_the_reason_beside_it(
    places, personas, login, pipe
):
    sent = emergency(day="today", at="08:00")
    response = login(personas.officer_chunguang).post(
        reverse("meetings:emergency", args=[pipe.pk]), sent
    )
    page = response.content.decode()
    assert response.status_code == 400 and opened(page, "panel-emergency")
    assert emergency_field(page, "day") == "today" and emergency_field(page, "at") == "08:00"
    assert emergency_field(page, "address") == "3号楼下"
    at = page.split('name="emergency-at"')[1]
    assert "这个时间已过，请选择稍后的时间或明天。" in at[:1500]
    assert not Meeting.objects.exists()


def test_a_refused_reason_to_drop_a_task_comes_back_in_its_open_panel(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.DECIDED, owner=personas.officer_chunguang)
    task = Task.objects.create(
        case=case,
        title="更换水管",
        owner_user=personas.worker_cg1,
        due_date=timezone.localdate() + timedelta(days=3),
        created_by=personas.officer_chunguang,
    )
    reason = "自来水公司已安排更换，" * 50  # 500 characters are allowed
    response = login(personas.officer_chunguang).post(
        reverse("cases:task_close", args=[case.pk, task.pk, "dropped"]),
        {f"drop{task.pk}-drop_reason": reason},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert value_of(page, f"drop{task.pk}-drop_reason", form=f"case-form-drop{task.pk}") == reason
    holder = page.split(f'id="case-form-drop{task.pk}"')[0].rsplit("<details", 1)[1]
    assert re.match(r"\s*open[\s>]", holder)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
