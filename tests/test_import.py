"""Street staff import the hierarchy from a sheet: dry run first, nothing half-written."""

import csv
import io
import time
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from grids import demo
from grids.models import Building, Contact, ContactKind, Grid, ImportBatch, Unit

pytestmark = pytest.mark.django_db

HEADINGS = ["社区", "网格", "小区", "楼栋", "单元", "人员类型", "姓名", "电话", "单位"]


def csv_file(rows, name="sheet.csv", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), "text/csv")


def xlsx_file(rows, name="sheet.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, street, sheet, create_places=False):
    data = {"sheet": sheet, "street": street.pk}
    if create_places:
        data["create_places"] = "on"
    response = client.post(reverse("grids:import"), data, follow=True)
    assert response.status_code == 200
    return response


def leader_rows(community="春光社区", grid="春光第1网格", count=3, phone="13800000{:03d}"):
    return [
        [
            community,
            grid,
            "金苑小区",
            f"{i // 4 + 1}号楼",
            f"{i % 4 + 1}单元",
            "单元长",
            f"单元长{i}",
            phone.format(i),
            "",
        ]
        for i in range(count)
    ]


def test_a_clean_sheet_is_checked_then_imported(personas, places, login):
    client = login(personas.street_staff)
    page = upload(client, places.street, csv_file([HEADINGS, *leader_rows(count=5)]))
    assert "5 行可以导入" in page.content.decode()
    assert not Contact.objects.filter(name="单元长0").exists()  # dry run writes nothing
    batch = ImportBatch.objects.get()
    done = client.post(reverse("grids:import_apply", args=[batch.pk]), follow=True)
    assert "导入完成" in done.content.decode()
    assert (
        Contact.objects.filter(kind=ContactKind.UNIT_LEADER, name__startswith="单元长").count() == 5
    )
    assert Unit.objects.filter(building__estate="金苑小区").count() == 5


# The seed's whole sheet, twice: 17 s idle, 60 s on a machine oversubscribed four times over.
@pytest.mark.timeout(180)
def test_a_sheet_of_1838_unit_leaders_imports_and_reimports_without_duplicates(
    personas, places, login
):
    rows = [r for r in demo.sheet_rows() if r[5] == "单元长" or r == demo.sheet_rows()[0]]
    assert len(rows) == 1 + 1838
    client = login(personas.street_staff)
    for _attempt in range(2):
        upload(client, places.street, xlsx_file(rows), create_places=True)
        batch = ImportBatch.objects.order_by("-pk").first()
        assert batch.status == ImportBatch.Status.CHECKED, batch.errors[:3]
        client.post(reverse("grids:import_apply", args=[batch.pk]))
    assert Contact.objects.filter(kind=ContactKind.UNIT_LEADER).count() == 1838 + 4
    assert Grid.objects.filter(community__street=places.street).count() == 3 + 110
    second = ImportBatch.objects.order_by("-pk").first().result
    assert second.get("people_created", 0) == 0 and second.get("units", 0) == 0


def test_reimporting_a_changed_phone_updates_the_unit_leader(personas, places, login):
    client = login(personas.street_staff)
    for phone in ("13800000{:03d}", "13900000{:03d}"):
        upload(client, places.street, csv_file([HEADINGS, *leader_rows(count=1, phone=phone)]))
        client.post(reverse("grids:import_apply", args=[ImportBatch.objects.latest("pk").pk]))
    leader = Contact.objects.get(name="单元长0")
    assert leader.phone == "13900000000"
    assert ImportBatch.objects.latest("pk").result["people_updated"] == 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["社区", "网格", "姓名"], ["春光社区", "春光第1网格", "王"]],
            ["1", "缺少列", "楼栋", "电话"],
        ),
        (
            [HEADINGS, *leader_rows(grid="春光第9网格", count=1)],
            ["2", "网格", "春光社区没有网格“春光第9网格”"],
        ),
        (
            [HEADINGS, *leader_rows(count=1, phone="1234")],
            ["2", "电话", "“1234”不是有效的电话号码"],
        ),
        (
            [HEADINGS, *leader_rows(count=1), *leader_rows(count=1)],
            ["3", "单元", "这个单元在第 2 行已有单元长"],
        ),
        (
            [HEADINGS, ["春光社区", "春光第1网格", "", "", "", "单元长", "王", "13800000000", ""]],
            ["2", "单元", "单元长需要填写单元"],
        ),
        (
            [HEADINGS, ["不存在社区", "", "", "", "", "物业", "王", "13800000000", ""]],
            ["2", "社区", "本街道没有社区“不存在社区”"],
        ),
        (
            [HEADINGS, ["春光社区", "", "", "", "", "保安", "王", "13800000000", ""]],
            ["2", "人员类型", "未知的人员类型"],
        ),
    ],
    ids=[
        "missing columns",
        "unknown grid",
        "bad phone",
        "duplicate unit",
        "leader without unit",
        "unknown community",
        "unknown kind",
    ],
)
def test_a_broken_sheet_lists_each_bad_row_and_writes_nothing(
    personas, places, login, rows, expected
):
    before = (Contact.objects.count(), Building.objects.count(), Unit.objects.count())
    page = upload(login(personas.street_staff), places.street, csv_file(rows)).content.decode()
    for text in expected:
        assert text in page
    assert "未导入任何数据" in page
    assert ImportBatch.objects.get().status == ImportBatch.Status.REFUSED
    assert (Contact.objects.count(), Building.objects.count(), Unit.objects.count()) == before


def test_every_bad_row_is_listed_not_just_the_first(personas, places, login):
    rows = [HEADINGS, *leader_rows(count=3, phone="12{:03d}")]
    upload(login(personas.street_staff), places.street, csv_file(rows))
    assert [line for line, _c, _r in ImportBatch.objects.get().errors] == [2, 3, 4]


def test_the_rows_counted_are_the_sheets_and_the_reasons_read_in_the_readers_language(
    personas, places, login
):
    client = login(personas.street_staff)
    rows = [HEADINGS, *leader_rows(count=2, phone="abc{:03d}")]
    page = upload(client, places.street, csv_file(rows)).content.decode()
    assert "共 2 行" in page and "“abc000”不是有效的电话号码" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    batch = ImportBatch.objects.get()
    english = client.get(reverse("grids:import_batch", args=[batch.pk])).content.decode()
    assert "2 rows" in english and "“abc000” is not a valid phone number." in english
    assert "不是有效的电话号码" not in english
    one = upload(client, places.street, csv_file([HEADINGS, *leader_rows(count=1)]))
    assert (
        "1 row is ready to import" in one.content.decode() and "1 rows" not in one.content.decode()
    )


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        (SimpleUploadedFile("empty.csv", b""), "所提交的是空文件"),
        (SimpleUploadedFile("blank.csv", b"\n\n  \n"), "文件是空的"),
        (
            SimpleUploadedFile("photo.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00binary"),
            "不是 XLSX 或 CSV 文件",
        ),
        (SimpleUploadedFile("fake.xlsx", b"PK\x03\x04 not really a zip"), "不是 XLSX 或 CSV 文件"),
        (SimpleUploadedFile("only-headings.csv", ",".join(HEADINGS).encode()), "只有表头"),
    ],
    ids=["empty upload", "blank lines", "png", "broken zip", "headings only"],
)
def test_wrong_or_empty_files_are_refused_with_a_message(personas, places, login, sheet, message):
    page = upload(login(personas.street_staff), places.street, sheet).content.decode()
    assert message in page
    assert not Contact.objects.filter(
        kind=ContactKind.UNIT_LEADER, name__startswith="单元长"
    ).exists()


def test_a_csv_saved_by_excel_in_gbk_is_read(personas, places, login):
    sheet = csv_file([HEADINGS, *leader_rows(count=2)], encoding="gb18030")
    upload(login(personas.street_staff), places.street, sheet)
    assert ImportBatch.objects.get().status == ImportBatch.Status.CHECKED


def test_a_refused_sheet_cannot_be_applied(personas, places, login):
    client = login(personas.street_staff)
    upload(client, places.street, csv_file([HEADINGS, *leader_rows(count=1, phone="1{:03d}")]))
    batch = ImportBatch.objects.get()
    page = client.post(reverse("grids:import_apply", args=[batch.pk]), follow=True)
    assert "不能导入" in page.content.decode()
    assert not Contact.objects.filter(name="单元长0").exists()


def test_the_template_downloads_as_xlsx_with_the_headings(personas, places, login):
    response = login(personas.street_staff).get(reverse("grids:import_template"))
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.active[1]] == HEADINGS


@pytest.mark.parametrize("persona", ["officer_chunguang", "worker_cg1", "no_role"])
def test_only_street_staff_import(personas, places, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("grids:import")).status_code == 403
    assert client.get(reverse("grids:import_template")).status_code == 403


def test_street_staff_cannot_import_into_or_read_imports_of_another_street(personas, places, login):
    other = login(personas.other_street_staff)
    upload(other, places.other_street, csv_file([HEADINGS, *leader_rows(count=1)]))
    batch = ImportBatch.objects.get()
    client = login(personas.street_staff)
    assert client.get(reverse("grids:import_batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("grids:import_apply", args=[batch.pk])).status_code == 404
    response = client.post(
        reverse("grids:import"),
        {
            "sheet": csv_file([HEADINGS]),
            "street": places.other_street.pk,
        },
    )
    assert response.status_code == 404
    assert client.get(reverse("grids:import"), {"street": "abc"}).status_code == 400


def zip_bomb_xlsx(unpacked_bytes):
    """A real sheet whose worksheet carries a long comment: tiny packed, huge unpacked."""
    packed = xlsx_file([HEADINGS, *leader_rows(count=1)]).read()
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(packed)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                padding = b"<!--" + b" " * unpacked_bytes + b"-->"
                content = content.replace(b"</worksheet>", padding + b"</worksheet>")
            target.writestr(entry, content)
    return SimpleUploadedFile("bomb.xlsx", bomb.getvalue())


def test_a_sheet_that_unpacks_to_gigabytes_is_refused_before_it_is_unpacked(
    personas, places, login
):
    sheet = zip_bomb_xlsx(200 * 1024 * 1024)
    assert sheet.size < 1024 * 1024
    started = time.monotonic()
    page = upload(login(personas.street_staff), places.street, sheet).content.decode()
    assert "解压后超过 100 MB" in page
    assert time.monotonic() - started < 5
    assert not Contact.objects.filter(name__startswith="单元长").exists()


def test_a_sheet_declaring_thousands_of_columns_is_read_by_its_first_columns(
    personas, places, login
):
    workbook = Workbook()
    for row in [HEADINGS, *leader_rows(count=2)]:
        workbook.active.append(row)
    # One far cell makes every row 16,000 cells wide, and every row up to it exist.
    workbook.active.cell(row=5000, column=16000, value="远处的格子")
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.monotonic()
    client = login(personas.street_staff)
    upload(client, places.street, SimpleUploadedFile("wide.xlsx", buffer.getvalue()))
    assert time.monotonic() - started < 5
    batch = ImportBatch.objects.get()
    assert batch.errors == [] and batch.row_count == 2


def test_a_cell_with_a_control_character_is_listed_with_its_line_not_a_server_error(
    personas, places, login
):
    rows = [HEADINGS, *leader_rows(count=2)]
    rows[2][6] = "单元长\u202e1"  # a direction override in a name
    page = upload(login(personas.street_staff), places.street, csv_file(rows)).content.decode()
    assert "不能包含控制字符" in page
    # Stored as the message and its parameters, said in the reader's language when read.
    message = "This text cannot contain control characters or invisible direction marks."
    assert ImportBatch.objects.get().errors == [[3, "姓名", {"text": message, "params": {}}]]
