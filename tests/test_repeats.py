"""Repeated requests (重复诉求): the warning while the place and category are chosen, the link
made with the new case, and the repeat that follows its original to the end."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.scope import Scope
from cases import workflow
from cases.models import Case, CaseEvent, Category, State, Task, TaskStatus
from cases.queues import QUEUES
from notifications import rules
from residents import public
from tests.factories import CaseFactory, UnitFactory
from tests.moves import by_form

pytestmark = pytest.mark.django_db
WATER = "水电气暖"


@pytest.fixture
def unit(places):
    return places.leaders[places.cg1].unit


@pytest.fixture
def original(places, unit):
    """The dripping tap, logged two days ago at 春光第1网格小区1号楼1单元."""
    return CaseFactory(
        grid=places.cg1,
        building=unit.building,
        unit=unit,
        resident_phone="13911112222",
        created_at=timezone.now() - timedelta(days=2),
        response_deadline=timezone.now() + timedelta(days=1),
    )


def similar(client, **params):
    response = client.get(reverse("cases:similar"), params)
    return response.status_code, response.content.decode()


def place_of(unit, category=None):
    return {
        "grid": unit.building.grid_id,
        "building": unit.building_id,
        "unit": unit.pk,
        "category": (category or Category.objects.get(name=WATER)).pk,
    }


# The warning while the form is filled in -------------------------------------------------
def test_the_warning_lists_open_cases_at_the_place_and_category_with_masked_phones(
    personas, places, login, unit, original
):
    other_category = CaseFactory(
        grid=places.cg1, building=unit.building, unit=unit, category=Category.objects.last()
    )
    other_unit = CaseFactory(
        grid=places.cg1, building=unit.building, unit=UnitFactory(building=unit.building)
    )
    closed = CaseFactory(grid=places.cg1, building=unit.building, unit=unit, state=State.VERIFIED)
    status, html = similar(login(personas.worker_cg1), **place_of(unit))
    assert status == 200 and original.tracking_code in html
    assert f"重复了 {original.tracking_code}" in strip_tags(html) and 'name="duplicate_of"' in html
    assert "139****2222" in html and "13911112222" not in html
    for unrelated in (other_category, other_unit, closed):
        assert unrelated.tracking_code not in html


def test_the_warning_shows_only_the_users_places(personas, places, login, unit, original):
    # Another grid's worker, asking with this unit's ids, learns nothing about its cases.
    status, html = similar(login(personas.worker_cg2), **place_of(unit))
    assert status == 200 and original.tracking_code not in html
    status, html = similar(login(personas.officer_funan), **place_of(unit))
    assert status == 200 and original.tracking_code not in html
    status, html = similar(login(personas.officer_chunguang), **place_of(unit))
    assert original.tracking_code in html


def test_the_warning_follows_the_narrowest_consistent_place(personas, places, login, original):
    client = login(personas.worker_cg1)
    water = Category.objects.get(name=WATER).pk
    building = original.building
    _, by_building = similar(client, grid=places.cg1.pk, building=building.pk, category=water)
    assert original.tracking_code in by_building  # a building-wide matter may repeat a unit's
    # A unit of another building (left from an earlier tap) is ignored, not an error.
    stray = places.leaders[places.cg2].unit
    theirs = CaseFactory(grid=places.cg2, building=stray.building, unit=stray)
    _, html = similar(
        client, grid=places.cg1.pk, building=building.pk, unit=stray.pk, category=water
    )
    assert original.tracking_code in html and theirs.tracking_code not in html
    assert similar(client, grid="x", category=water)[0] == 400
    assert similar(client)[1].strip() == ""  # nothing chosen yet: no warning
    # A tick already made stays while the case is still offered.
    _, ticked = similar(client, **place_of(original.unit), duplicate_of=original.pk)
    assert f'value="{original.pk}" required checked' in ticked


def test_the_logging_page_loads_the_warning_when_place_or_category_change(personas, login, places):
    page = login(personas.worker_cg1).get(reverse("cases:new")).content.decode()
    assert f'hx-get="{reverse("cases:similar")}"' in page
    assert "change from:#building-picker" in page and "change from:#id_category" in page
    assert "<script>" not in page  # the CSP allows no inline script


# The link, made with the new case ----------------------------------------------------------
def log(client, unit, **extra):
    data = {
        **place_of(unit),
        "description": "楼上又漏水了",
        "resident_name": "李阿姨",
        "resident_phone": "13922223333",
        "channel": "phone",
        "urgency": "routine",
        **extra,
    }
    return client.post(reverse("cases:new"), data)


def test_the_new_case_is_saved_as_a_repeat_of_the_older_one(
    personas, places, login, unit, original
):
    response = log(login(personas.worker_cg1), unit, duplicate_of=original.pk)
    assert response.status_code == 302
    repeat = Case.objects.exclude(pk=original.pk).get()
    assert repeat.duplicate_of == original
    original.refresh_from_db()
    assert original.duplicate_of is None  # never the reverse
    linked = CaseEvent.objects.get(case=repeat, move="linked_duplicate")
    assert linked.details == {"duplicate_of": original.tracking_code}
    assert list(CaseEvent.objects.filter(case=repeat).values_list("move", flat=True)) == [
        "log",
        "linked_duplicate",
    ]
    page = login(personas.worker_cg1).get(response["Location"]).content.decode()
    assert f"重复了 {original.tracking_code}，将随其一并办结" in page


def test_without_a_tick_the_new_case_stands_alone(personas, places, login, unit, original):
    # The warning was never shown (no JavaScript, or offline): nothing was asked.
    assert log(login(personas.worker_cg1), unit, duplicate_of="").status_code == 302
    assert Case.objects.exclude(pk=original.pk).get().duplicate_of is None


def test_the_warning_chooses_no_answer_for_the_person(personas, login, unit, original):
    _, html = similar(login(personas.worker_cg1), **place_of(unit))
    radios = [tag for tag in html.split("<input")[1:] if 'name="duplicate_of"' in tag]
    assert len(radios) == 2 and not any(" checked" in tag for tag in radios)
    assert "不是重复诉求：新的事项" in html and 'name="repeat_asked"' in html


def test_a_warning_left_unanswered_is_refused_and_nothing_saved(personas, login, unit, original):
    client = login(personas.worker_cg1)
    response = log(client, unit, repeat_asked="1")
    page = response.content.decode()
    assert response.status_code == 400
    assert "请选择：此诉求是否重复了上方列出的某件未办结诉求，还是新的事项。" in page
    assert original.tracking_code in page.split('data-testid="similar-cases"')[1]
    assert Case.objects.count() == 1
    # "Not a repeat" is an answer: sent back for another field, the page keeps it ticked.
    back = log(client, unit, repeat_asked="1", duplicate_of="0", description="")
    assert back.status_code == 400
    assert 'value="0" required aria-describedby="repeat-question" checked' in back.content.decode()
    assert log(client, unit, repeat_asked="1", duplicate_of="0").status_code == 302
    assert Case.objects.exclude(pk=original.pk).get().duplicate_of is None
    # A new place or category asks again: the warning it brings has nothing ticked.
    _, fresh = similar(client, **place_of(unit), duplicate_of="0")
    assert 'name="repeat_asked"' in fresh and " checked" not in fresh


def test_the_question_asked_for_a_place_left_behind_needs_no_answer(
    personas, login, unit, original
):
    """Asked at the tap's unit, the person then chose another category, which has no open
    case there (without JavaScript the warning is not fetched again)."""
    other = Category.objects.exclude(name=WATER).order_by("position").first()
    response = log(login(personas.worker_cg1), unit, repeat_asked="1", category=other.pk)
    assert response.status_code == 302
    assert Case.objects.exclude(pk=original.pk).get().category == other


def test_the_empty_form_kept_for_offline_asks_nothing_it_needs_answered(personas, places, login):
    """A grid worker of one grid opens the form: the warning shows the grid's open cases of the
    first category, the form's defaults; the page is kept for logging offline, and a request
    queued on it is not refused for a question the person never chose to be asked."""
    first = Category.objects.order_by("position").first()
    CaseFactory(grid=places.cg1, category=first)
    page = login(personas.worker_cg1).get(reverse("cases:new")).content.decode()
    assert 'data-testid="similar-cases"' in page
    assert 'name="repeat_asked"' not in page and " required aria-describedby" not in page


@pytest.mark.parametrize("which", ["closed", "elsewhere", "outside", "repeat"])
def test_a_repeat_of_a_case_that_does_not_fit_is_refused_and_nothing_saved(
    personas, places, login, unit, original, which
):
    target = {
        "closed": lambda: CaseFactory(
            grid=places.cg1, building=unit.building, unit=unit, state=State.DECLINED
        ),
        "elsewhere": lambda: CaseFactory(grid=places.cg1),
        "outside": lambda: CaseFactory(grid=places.fn1),
        "repeat": lambda: CaseFactory(
            grid=places.cg1, building=unit.building, unit=unit, duplicate_of=original
        ),
    }[which]()
    before = Case.objects.count()
    response = log(login(personas.worker_cg1), unit, duplicate_of=target.pk)
    assert response.status_code == 400
    assert "不再是此地点、此类别的未办结诉求" in response.content.decode()
    assert Case.objects.count() == before


def test_an_older_case_is_not_linked_to_a_newer_one(personas, places, login, unit, original):
    newer = CaseFactory(grid=places.cg1, building=unit.building, unit=unit)
    client = login(personas.worker_cg1)
    response = client.post(
        reverse("cases:link_duplicate", args=[original.pk]),
        {"duplicate-tracking_code": newer.tracking_code},
    )
    assert response.status_code == 409 and "登记得晚" in response.content.decode()
    # The older case's page offers no newer case to link to.
    page = client.get(reverse("cases:detail", args=[original.pk])).content.decode()
    assert 'data-testid="similar-cases"' not in page
    original.refresh_from_db()
    assert original.duplicate_of is None


@pytest.mark.parametrize("differs", ["place", "category", "both"])
def test_linking_to_a_case_elsewhere_or_of_another_category_asks_first(
    personas, places, login, unit, original, differs
):
    other = {}
    if differs in ("place", "both"):
        other["grid"] = places.cg2
    if differs in ("category", "both"):
        other["category"] = Category.objects.exclude(name=WATER).order_by("position").first()
    newer = CaseFactory(**{"grid": places.cg1, "building": unit.building, "unit": unit, **other})
    client = login(personas.officer_chunguang)
    url = reverse("cases:link_duplicate", args=[newer.pk])
    response = client.post(url, {"duplicate-tracking_code": original.tracking_code})
    page = response.content.decode()
    assert response.status_code == 400
    question = f"{original.tracking_code} 在春光第1网格小区1号楼 1单元"
    if differs == "category":
        question = f"{original.tracking_code} 类别为“水电气暖”"
    assert question in page and "与本诉求不同" in page
    if differs == "both":
        assert "1单元，类别为“水电气暖”，与本诉求不同" in page
    box = f'type="checkbox" name="duplicate-elsewhere" value="{original.tracking_code}"'
    assert box in page and "勾选此框即仍然关联" in page
    newer.refresh_from_db()
    assert newer.duplicate_of is None and not newer.events.filter(move="linked_duplicate")
    # The tick confirms the case it was asked about, not another code typed afterwards.
    another = CaseFactory(
        grid=places.cg2, category=newer.category, created_at=timezone.now() - timedelta(days=3)
    )
    switched = client.post(
        url,
        {
            "duplicate-tracking_code": another.tracking_code,
            "duplicate-elsewhere": original.tracking_code,
        },
    )
    assert switched.status_code == 400
    assert f"{another.tracking_code} 在" in switched.content.decode()
    confirmed = client.post(
        url,
        {
            "duplicate-tracking_code": original.tracking_code,
            "duplicate-elsewhere": original.tracking_code,
        },
    )
    assert confirmed.status_code == 302
    newer.refresh_from_db()
    assert newer.duplicate_of == original


def test_the_same_place_and_category_link_without_a_question(personas, login, unit, original):
    newer = CaseFactory(grid=unit.building.grid, building=unit.building, unit=unit)
    response = login(personas.worker_cg1).post(
        reverse("cases:link_duplicate", args=[newer.pk]),
        {"duplicate-tracking_code": original.tracking_code},
    )
    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.duplicate_of == original


# The repeat follows its original ------------------------------------------------------------
@pytest.fixture
def repeat(places, unit, original):
    case = CaseFactory(
        grid=places.cg1,
        building=unit.building,
        unit=unit,
        duplicate_of=original,
        resident_phone="13933334444",
        response_deadline=timezone.now() - timedelta(days=1),  # past: yet never overdue
    )
    Task.objects.create(
        case=case,
        title="上门看看",
        owner_user=case.created_by,
        due_date=timezone.localdate() - timedelta(days=2),
        created_by=case.created_by,
    )
    return case


def _resolve(officer, case):
    case.refresh_from_db()
    for name, data in (
        ("accept", {"accept-owner": officer.pk, "accept-response_deadline": _later()}),
        ("handle_directly", {"handle_directly-note": "简单事项"}),
        (
            "resolve",
            {
                "resolve-outcome": "resolved",
                "resolve-note": "更换了锈蚀管道",
                "resolve-explanation_method": "phone",
                "resolve-explanation": "供水公司已更换锈蚀管道，用水恢复正常",
            },
        ),
    ):
        by_form(officer, case.pk, name, data)


def _later():
    return (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def test_a_repeat_is_resolved_with_its_original_and_needs_no_visit_of_its_own(
    personas, places, original, repeat
):
    officer = personas.officer_chunguang
    _resolve(officer, original)
    repeat.refresh_from_db()
    assert repeat.state == State.RESOLVED and repeat.outcome == "resolved"
    assert repeat.resolved_by == officer and repeat.follow_up_due is None
    closing = CaseEvent.objects.get(case=repeat, move="resolve")
    assert closing.details["closed_with"] == original.tracking_code
    assert closing.from_state == State.SUBMITTED and closing.to_state == State.RESOLVED
    task = Task.objects.get(case=repeat)
    assert task.status == TaskStatus.DROPPED and original.tracking_code in task.drop_reason
    # The repeat's resident reads the same answer in the status lookup.
    resolved = [s for s in public.stages(repeat) if s.get("explanation")]
    assert resolved[0]["explanation"] == "供水公司已更换锈蚀管道，用水恢复正常"
    # 查单 is made once, on the original; the repeat stays resolved.
    assert not Case.objects.filter(QUEUES["follow_up_due"].condition(None), pk=repeat.pk)
    by_form(
        personas.worker_cg1,
        original.pk,
        "verify",
        {"verify-satisfaction": "satisfied", "verify-note": "用水正常"},
    )
    repeat.refresh_from_db()
    assert repeat.state == State.RESOLVED
    assert CaseEvent.objects.filter(case=repeat, move="resolve").count() == 1


def test_a_repeat_is_declined_with_its_original(personas, original, repeat):
    told = "请向小区物业公司反映"
    by_form(
        personas.officer_chunguang,
        original.pk,
        "decline",
        {"decline-note": "不属于社区职责", "decline-explanation": told},
    )
    repeat.refresh_from_db()
    assert repeat.state == State.DECLINED
    closing = CaseEvent.objects.get(case=repeat, move="decline")
    assert closing.note == "不属于社区职责"
    assert closing.details == {"closed_with": original.tracking_code, "explanation": told}
    # The repeat's resident reads what the original's resident reads.
    assert public.stages(repeat)[-1]["explanation"] == told


def test_a_repeat_already_closed_stays_as_it_is(personas, places, unit, original):
    done = CaseFactory(
        grid=places.cg1, building=unit.building, unit=unit, duplicate_of=original,
        state=State.DECLINED,
    )  # fmt: skip
    _resolve(personas.officer_chunguang, original)
    done.refresh_from_db()
    assert done.state == State.DECLINED and not done.events.exists()


def test_a_repeat_is_never_overdue_nor_waiting_to_be_accepted(
    personas, places, login, original, repeat
):
    now = timezone.now()
    assert not workflow.is_overdue(repeat)
    for key in ("overdue", "to_accept"):
        assert not Case.objects.filter(QUEUES[key].condition(None, now), pk=repeat.pk).exists()
    assert not rules.unaccepted_cases(now).filter(pk=repeat.pk).exists()
    repeat.state = State.ACCEPTED
    repeat.save()
    assert not rules.cases_past_deadline(now).filter(pk=repeat.pk).exists()
    client = login(personas.officer_chunguang)
    for query in ({"queue": "overdue"}, {"overdue": "yes"}):
        listed = client.get(reverse("cases:list"), query).content.decode()
        assert repeat.tracking_code not in listed
    page = client.get(reverse("cases:detail", args=[repeat.pk])).content.decode()
    assert "逾期" not in page.split('data-testid="case-state"')[1][:200]
    # The same case unlinked is overdue: the link is what exempts it.
    scope = Scope.for_user(personas.officer_chunguang)
    assert scope.narrow(Case.objects.filter(pk=repeat.pk)).exists()
    Case.objects.filter(pk=repeat.pk).update(duplicate_of=None)
    assert rules.cases_past_deadline(now).filter(pk=repeat.pk).exists()


def test_a_case_linked_later_takes_its_own_repeats_along(personas, places, login, unit, original):
    later = CaseFactory(grid=places.cg1, building=unit.building, unit=unit)
    latest = CaseFactory(grid=places.cg1, building=unit.building, unit=unit, duplicate_of=later)
    response = login(personas.worker_cg1).post(
        reverse("cases:link_duplicate", args=[later.pk]),
        {"duplicate-tracking_code": original.tracking_code},
    )
    assert response.status_code == 302
    _resolve(personas.officer_chunguang, original)
    for case in (later, latest):
        case.refresh_from_db()
        assert case.state == State.RESOLVED and case.follow_up_due is None
    assert latest.events.get(move="resolve").details["closed_with"] == later.tracking_code
