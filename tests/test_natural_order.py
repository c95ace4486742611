"""Places and people in the order people count: 2号楼 before 10号楼, 网格员2 before 网格员10."""

import re

import pytest
from django.urls import reverse

from accounts.models import RoleKind
from accounts.scope import Scope
from accounts.selectors import owners_in_scope
from cases.forms import BulkForm, OwnerForm, TaskForm
from cases.models import State
from common.ordering import natural_key, naturally
from meetings.forms import MeetingForm
from tests.factories import BuildingFactory, CaseFactory, UnitFactory, UserFactory, make_role


def test_numbers_in_names_compare_as_numbers():
    assert naturally(["10号楼", "6号楼", "2号楼"]) == ["2号楼", "6号楼", "10号楼"]
    assert naturally(["二区10号楼", "二区6号楼"]) == ["二区6号楼", "二区10号楼"]
    assert naturally(["网格员10", "网格员2", "网格员1"]) == ["网格员1", "网格员2", "网格员10"]
    assert naturally(["一区", "三区", "二区", "十二区"]) == ["一区", "二区", "三区", "十二区"]
    assert natural_key("１０号楼") == natural_key("10号楼")  # full-width digits count too
    assert naturally(["B2", "a10", "A3"]) == ["A3", "a10", "B2"]
    assert natural_key(None) == ()


def _options(html, select_name):
    select = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


@pytest.fixture
def workers(places):
    """Three grid workers of 春光第1网格, created in the order text would sort them."""
    made = []
    for n in (10, 2, 1):
        user = UserFactory(username=f"wgy{n}", first_name=f"网格员{n}")
        make_role(user, RoleKind.GRID_WORKER, places.cg1)
        made.append(user)
    return made


def _in_order(labels):
    ours = [label for label in labels if label.startswith("网格员")]
    return ours == ["网格员1", "网格员2", "网格员10"]


@pytest.mark.django_db
def test_every_owner_list_is_in_natural_order(places, personas, workers, login):
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    assert _in_order([label for _v, label in OwnerForm(case=case).fields["owner"].choices])
    task_form = TaskForm(case=case)
    assert _in_order([label for _v, label in task_form.fields["owner_user"].choices])
    # The move's form, as its panel on the case page fetches it (htmx).
    page = login(personas.officer_chunguang).get(
        reverse("cases:move", args=[case.pk, "accept"]), headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    assert _in_order(_options(html, "accept-owner"))
    bulk = login(personas.officer_chunguang).get(reverse("cases:list")).content.decode()
    assert _in_order(_options(bulk, "owner"))
    bulk_form = BulkForm(owners=owners_in_scope(Scope.for_user(personas.officer_chunguang)))
    assert _in_order([label for _v, label in bulk_form.fields["owner"].choices])


@pytest.mark.django_db
def test_meeting_hosts_are_in_natural_order(places, personas, login):
    for n in (10, 2, 1):
        make_role(
            UserFactory(username=f"gz{n}", first_name=f"网格员{n}"),
            RoleKind.COMMUNITY_OFFICER,
            places.chunguang,
        )
    page = login(personas.officer_chunguang).get(reverse("meetings:new")).content.decode()
    assert _in_order(_options(page, "host"))
    form = MeetingForm(scope=Scope.for_user(personas.officer_chunguang))
    assert _in_order([label for _v, label in form.fields["host"].choices])


@pytest.mark.django_db
def test_the_logging_page_offers_buildings_and_units_in_natural_order(places, personas, login):
    for name in ("10号楼", "2号楼"):
        BuildingFactory(grid=places.cg1, estate="春光第1网格小区", name=name)
    building = places.buildings[places.cg1]
    for name in ("10单元", "2单元"):
        UnitFactory(building=building, name=name)
    client = login(personas.worker_cg1)
    page = client.get(reverse("cases:new")).content.decode()
    assert page.index("小区 1号楼") < page.index("小区 2号楼") < page.index("小区 10号楼")
    units = client.get(reverse("cases:place_picker"), {"building": building.pk}).content.decode()
    assert units.index("1单元") < units.index("2单元") < units.index("10单元")
