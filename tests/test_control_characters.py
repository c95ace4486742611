"""Control characters and direction overrides are refused in every text field, staff and public;
every CSV and XLSX the app writes drops what a spreadsheet cannot hold and defuses formulas.

The class: one public request with "\\x0b" or "\\x1b" in its text made every XLSX export that
included it answer 500, and a place named `=HYPERLINK(...)` came out of the report export as a
live formula.
"""

import csv
import importlib
import io
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.scope import Scope
from cases.filters import CaseFilter
from cases.models import Case, Category
from common.spreadsheets import spreadsheet_download, write_csv, write_xlsx
from common.text import REFUSED_CHARACTERS_RE
from grids.imports import check
from grids.models import Community
from meetings.models import Meeting
from tests.factories import CaseFactory, UserFactory
from tests.test_admin import admin_client  # noqa: F401 - a fixture
from tests.test_case_logging import tap_request
from tests.test_meetings import session  # noqa: F401 - a fixture
from tests.test_reports import OCTOBER, at
from tests.test_residents import qr_url, tap

pytestmark = pytest.mark.django_db
MESSAGE = "不能包含控制字符"
CONTROL = ["\x0b", "\x1b", "\x00", "\x7f", "\x85", "\u202e", "\u2066", "\ufffe"]
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(1)", "＝1+1"]
PROJECT_APPS = (
    "accounts",
    "cases",
    "common",
    "grids",
    "meetings",
    "notifications",
    "reports",
    "residents",
    "audit",
    "workbench",
)


# Refused at input --------------------------------------------------------------------------
@pytest.mark.parametrize("character", ["\x0b", "\x1b", "\u202e"])
def test_a_public_request_with_a_control_character_is_refused_and_nothing_saved(places, character):
    unit = places.leaders[places.cg1].unit
    for field in ("description", "resident_name"):
        text = f"水龙头{character}漏水" if field == "description" else f"王{character}大妈"
        response = Client().post(qr_url(unit), tap(**{field: text}))
        assert response.status_code in (200, 400), field
        assert MESSAGE in response.content.decode(), field
    assert not Case.objects.exists()


def test_a_control_character_at_the_end_of_a_line_is_refused_not_trimmed(places):
    response = Client().post(
        qr_url(places.leaders[places.cg1].unit), tap(resident_name="王大妈\x0b")
    )
    assert MESSAGE in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\u202e"])
def test_a_refused_public_form_gives_back_what_was_typed_and_goes_through_when_sent_again(
    places, character
):
    """A NUL too: it reaches the form (not a bare 400 page), which keeps the typed text."""
    url = qr_url(places.leaders[places.cg1].unit)
    resident = Client()
    typed = tap(description=f"水龙头{character}滴滴答答响了一夜", resident_name=f"王{character}妈")
    page = resident.post(url, typed).content.decode()
    assert "已从下面的文字中删去，请检查后重新提交" in page
    assert ">\n水龙头滴滴答答响了一夜</textarea>" in page and 'value="王妈"' in page
    assert not Case.objects.exists()
    sent_again = resident.post(url, tap(description="水龙头滴滴答答响了一夜"), follow=True)
    assert "您的跟踪码" in sent_again.content.decode()
    assert Case.objects.get().description == "水龙头滴滴答答响了一夜"


def test_a_nul_in_the_staff_logging_form_is_named_on_its_field(personas, places, login):
    worker = login(personas.worker_cg1)
    worker.cookies["django_language"] = "en"
    page = worker.post(reverse("cases:new"), tap_request(places, description="水龙头\x00漏水"))
    text = page.content.decode()
    assert page.status_code == 400
    assert "They have been taken out of the text below" in text
    assert ">\n水龙头漏水</textarea>" in text
    assert "NUL byte" not in text
    assert not Case.objects.exists()


def test_a_nul_in_a_form_fields_name_is_still_refused_before_any_page(places):
    response = Client().post(qr_url(places.leaders[places.cg1].unit), {"desc\x00ription": "x"})
    assert response.status_code == 400 and "NUL" in response.content.decode()


def test_tabs_and_line_breaks_are_still_text(places):
    response = Client().post(
        qr_url(places.leaders[places.cg1].unit),
        tap(description="第一行\r\n第二行\t水龙头漏水了"),
        follow=True,
    )
    assert "您的跟踪码" in response.content.decode()
    assert Case.objects.get().description == "第一行\r\n第二行\t水龙头漏水了"


def test_a_staff_case_form_refuses_a_control_character(personas, places, login):
    response = login(personas.worker_cg1).post(
        reverse("cases:new"), tap_request(places, description="水龙头\x1b[31m漏水")
    )
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    assert not Case.objects.exists()


def test_a_meeting_form_refuses_a_control_character(personas, login, session):  # noqa: F811
    address = session.address
    response = login(personas.officer_funan).post(
        reverse("meetings:edit", args=[session.pk]),
        {
            "starts_at": session.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "pavilion",
            "address": "金苑小区\x0b议事亭",
            "host": personas.officer_funan.pk,
            "version": str(session.version),
        },
    )
    assert MESSAGE in response.content.decode()
    assert Meeting.objects.get().address == address


def test_an_admin_form_refuses_a_control_character(admin_client, places):  # noqa: F811
    community = places.chunguang
    response = admin_client.post(
        reverse("admin:grids_community_change", args=[community.pk]),
        {"street": community.street_id, "name": "春光\u202e社区"},
    )
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert Community.objects.get(pk=community.pk).name == "春光社区"


def test_the_login_form_refuses_a_control_character(personas):
    response = Client().post(reverse("login"), {"username": "x\x1b", "password": "y"})
    assert MESSAGE in response.content.decode()


def _project_form_classes():
    """Every form class defined in the project's apps (imports every module of each app)."""
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for module in pkgutil.iter_modules(package.__path__):
            if module.name not in ("migrations", "management", "templatetags", "tests"):
                importlib.import_module(f"{app}.{module.name}")
    found, todo = set(), [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                found.add(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _admin_form_classes():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    request.scope = Scope.for_user(request.user)
    found = []
    for model, model_admin in admin.site._registry.items():
        found.append((f"{model.__name__} add", model_admin.get_form(request)))
        found.append((f"{model.__name__} change", model_admin.get_form(request, model())))
        for inline in model_admin.get_inline_instances(request):
            found.append((f"{model.__name__} inline", inline.get_formset(request).form))
        if hasattr(model_admin, "change_password_form"):
            found.append((f"{model.__name__} password", model_admin.change_password_form))
    return found


def _refuses(form_class):
    """The text fields a form class declares; each must refuse a control character."""
    fields = dict(form_class.base_fields)
    text_fields = {n: f for n, f in fields.items() if isinstance(f, forms.CharField)}
    accepted = []
    for name, field in text_fields.items():
        for character in CONTROL:
            try:
                field.clean(f"a{character}b")
            except forms.ValidationError as error:
                if not any(e.code == "control_characters" for e in error.error_list):
                    accepted.append(f"{name} {character!r}")
            else:
                accepted.append(f"{name} {character!r}")
    return len(text_fields), accepted


def test_every_form_in_the_project_and_the_admin_refuses_control_characters(places):
    filter_form = CaseFilter(scope=Scope.for_user(UserFactory(is_superuser=True))).form
    classes = [(f"{c.__module__}.{c.__qualname__}", c) for c in _project_form_classes()]
    classes += _admin_form_classes()
    classes += [
        ("CaseFilter", type(filter_form)),
        ("login", auth_forms.AuthenticationForm),
        ("password change", auth_forms.PasswordChangeForm),
    ]
    checked, accepted = 0, {}
    for label, form_class in classes:
        count, missed = _refuses(form_class)
        checked += count
        if missed:
            accepted[label] = missed
    assert not accepted
    assert len(classes) > 40 and checked > 60  # the walk did find the forms
    print(
        f"\n[input] {len(classes)} form classes, {checked} text fields, "
        f"each refuses {len(CONTROL)} characters"
    )


def test_the_refused_characters_cover_all_that_xlsx_cannot_hold():
    for code in range(0x20):
        if ILLEGAL_CHARACTERS_RE.match(chr(code)):
            assert REFUSED_CHARACTERS_RE.match(chr(code)), hex(code)


def test_the_hierarchy_import_names_the_line_and_column_of_a_control_character(places):
    sheet = (
        "社区,网格,小区,楼栋,单元,人员类型,姓名,电话,单位\n"
        "春光社区,春光第1网格,春光小区,3号楼,1单元,单元长,王秀兰,13847201234,\n"
        "春光社区,春光第1网格,春光小区,3号楼,2单元,单元长,李\x1b建国,13947205678,\n"
        "春光社区,春光第1网格,春光小区,3号楼,3单元\x0b,单元长,张三,13947205679,\n"
    ).encode()
    report = check(places.street, sheet, create_places=True)
    refused = [(e.line, e.column) for e in report.errors if MESSAGE in str(e.reason)]
    assert refused == [(3, "姓名"), (4, "单元")]


# Written out safely ------------------------------------------------------------------------
def _xlsx_cells(content):
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _csv_cells(content):
    return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]


def test_a_case_stored_with_control_characters_still_exports(personas, places, login):
    CaseFactory(
        grid=places.cg1,
        description="水龙头\x1b[31m漏水\x0b了\x7f",
        resident_name="王\x1b大妈\u202e",
    )
    client = login(personas.street_staff)
    for file_format in ("csv", "xlsx"):
        response = client.get(reverse("cases:export", args=[file_format]))
        assert response.status_code == 200, file_format
        cells = (
            _csv_cells(response.content)
            if file_format == "csv"
            else [c.value for c in _xlsx_cells(response.content)]
        )
        assert "水龙头[31m漏水了" in cells and "王大妈" in cells, file_format
        assert not [c for c in cells if REFUSED_CHARACTERS_RE.search(str(c))]


@pytest.mark.pinned("2026-11-20T10:00+08:00")  # written around October 2026
def test_place_names_that_look_like_formulas_come_out_of_every_export_as_text(
    personas, places, login
):
    for number, formula in enumerate(FORMULAS):
        community = Community.objects.create(street=places.street, name=formula)
        grid = community.grids.create(name=f"网格{number}")
        CaseFactory(grid=grid, created_at=at("2026-10-15 10:00"))
    client = login(personas.street_staff)
    exports = [
        ("cases", client.get(reverse("cases:export", args=["csv"]))),
        ("report", client.get(reverse("reports:export", args=["csv"]), OCTOBER)),
    ]
    for label, response in exports:
        cells = _csv_cells(response.content)
        for formula in FORMULAS:
            assert "'" + formula in cells, (label, formula)
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "＝"))], label
    for label, response in [
        ("cases", client.get(reverse("cases:export", args=["xlsx"]))),
        ("report", client.get(reverse("reports:export", args=["xlsx"]), OCTOBER)),
    ]:
        cells = _xlsx_cells(response.content)
        assert not [c.coordinate for c in cells if c.data_type == "f"], label
        by_value = {c.value: c for c in cells}
        for formula in FORMULAS:
            cell = by_value[formula]  # shown as typed, without a quote
            assert cell.data_type == "s" and cell.quotePrefix, (label, formula)
    figures = [c for c in cells if isinstance(c.value, int)]
    assert figures and all(c.data_type == "n" for c in figures)  # the report's figures stay numbers


def test_the_writer_keeps_numbers_and_defuses_every_formula_start():
    rows = [["=1+1", 5, -3, 2.5, None, "\t=x", "\r=x", "@x", "＋1", "－1", "＠x", "普通"]]
    content = write_csv(rows, ["h"] * 12)
    line = _csv_cells(content)[12:]
    assert line == [
        "'=1+1",
        "5",
        "-3",
        "2.5",
        "",
        "'\t=x",
        "'\r=x",
        "'@x",
        "'＋1",
        "'－1",
        "'＠x",
        "普通",
    ]
    cells = load_workbook(io.BytesIO(write_xlsx(rows, ["h"] * 12, "t"))).active[2]
    assert [c.data_type for c in cells] == [
        "s",
        "n",
        "n",
        "n",
        "n",
        "s",
        "s",
        "s",
        "s",
        "s",
        "s",
        "s",
    ]
    assert [c.value for c in cells][:4] == ["=1+1", 5, -3, 2.5]


def test_the_hierarchy_template_comes_from_the_same_writer(personas, login):
    response = login(personas.street_staff).get(reverse("grids:import_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:2] == ["社区", "网格"]
    assert response["Cache-Control"] == "no-store, private"


def test_category_names_are_refused_too(places, login):
    from tests.factories import UserFactory

    superuser = UserFactory(username="root_for_categories", is_staff=True, is_superuser=True)
    legal = Category.objects.get(name="法律咨询")
    response = login(superuser).post(
        reverse("admin:cases_category_change", args=[legal.pk]),
        {"name": "法律\x1b咨询", "position": legal.position, "active": "on"},
    )
    assert MESSAGE in response.content.decode()
    assert Category.objects.get(pk=legal.pk).name == "法律咨询"


def test_every_app_is_walked():
    assert set(PROJECT_APPS) <= {config.name for config in apps.get_app_configs()}


def test_the_one_call_download_for_other_pages():
    rows = [["=1+1", 3]]
    response = spreadsheet_download("xlsx", rows, ["who", "n"], "access-log", "访问记录")
    assert response["Content-Disposition"] == 'attachment; filename="access-log.xlsx"'
    cell, number = load_workbook(io.BytesIO(response.content)).active[2]
    assert (cell.value, cell.data_type, number.value) == ("=1+1", "s", 3)
    response = spreadsheet_download("csv", rows, ["who", "n"], "access-log", "访问记录")
    assert _csv_cells(response.content) == ["who", "n", "'=1+1", "3"]
