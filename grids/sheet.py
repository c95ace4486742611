"""Reading an uploaded hierarchy sheet (XLSX or CSV) into rows of text.

Only reading lives here: what the columns mean and whether a row is good is `imports.py`.
"""

import csv
import io
import zipfile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from common.lists import joined
from common.said import Said as _  # noqa: N814 (the reasons are read later, perhaps in English)
from common.text import has_refused_characters

# The sheet's columns: Chinese headings, with English ones accepted too.
COLUMNS = {
    "community": ("社区", "community"),
    "grid": ("网格", "grid"),
    "estate": ("小区", "estate"),
    "building": ("楼栋", "building"),
    "unit": ("单元", "unit"),
    "kind": ("人员类型", "person kind"),
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "organisation": ("单位", "organisation"),
}
REQUIRED_COLUMNS = ("community", "grid", "estate", "building", "unit", "kind", "name", "phone")
MAX_ROWS = 20000
# An XLSX is a zip of XML: 5 MB of it can unpack to gigabytes (a zip bomb), and a sheet can
# declare 16,384 columns that each row is then padded to. Only this much is unpacked, and only
# the first columns are read (of a CSV too): the headings must be among them.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_COLUMNS = 50


class SheetError(Exception):
    """The file as a whole cannot be read; the message says why."""


def read_rows(data: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Return (column index by field, [(line number, cells)]) for a sheet's bytes."""
    if not data.strip():
        raise SheetError(_("The file is empty."))
    is_zip = data[:4] == b"PK\x03\x04"  # XLSX is a zip archive; anything else may be CSV
    table = _xlsx_table(data) if is_zip else _csv_table(data)
    table = [(line, cells) for line, cells in table if any(cells)]
    if not table:
        raise SheetError(_("The file is empty."))
    header_line, header = table[0]
    columns = _columns(header)
    missing = [COLUMNS[field][0] for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        raise SheetError(
            _("Line %(line)s: missing columns: %(columns)s.")
            % {"line": header_line, "columns": joined(missing)}
        )
    rows = table[1:]
    if not rows:
        raise SheetError(_("The sheet has headings but no rows."))
    if len(rows) > MAX_ROWS:
        raise SheetError(_("The sheet has more than %(max)s rows.") % {"max": MAX_ROWS})
    return columns, rows


def _columns(header: list[str]) -> dict[str, int]:
    by_heading = {}
    for field, headings in COLUMNS.items():
        for heading in headings:
            by_heading[heading.lower()] = field
    columns = {}
    for index, heading in enumerate(header):
        field = by_heading.get(heading.strip().lower())
        if field and field not in columns:
            columns[field] = index
    return columns


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phones typed as numbers come back as floats
    return _trim(str(value))


def _trim(text: str) -> str:
    # Text with a refused character is kept whole, so the import names its line and column
    # instead of trimming the character away unseen (str.strip() removes some controls).
    return text if has_refused_characters(text) else text.strip()


def _xlsx_table(data: bytes):
    _refuse_zip_bomb(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError(_("This is not an XLSX or CSV file.")) from error
    sheet = workbook.worksheets[0]
    table = []
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    for line, values in enumerate(rows, start=1):
        table.append((line, [_cell_text(value) for value in values]))
        if line > MAX_ROWS + 1:
            break
    workbook.close()
    return table


def _refuse_zip_bomb(data: bytes) -> None:
    """The archive's own directory says how much it unpacks to; zipfile keeps reading to
    that size, so a larger claim is refused before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SheetError(_("This is not an XLSX or CSV file.")) from error
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(
            _("This XLSX file unpacks to more than %(mb)s MB; save the sheet alone and send it.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


def _csv_table(data: bytes):
    if b"\x00" in data[:4096]:
        raise SheetError(_("This is not an XLSX or CSV file."))
    # Excel in China saves CSV as GB18030 (GBK); everything else saves UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(_("This is not an XLSX or CSV file."))
    try:
        reader = csv.reader(io.StringIO(text))
        return [
            (line, [_trim(cell) for cell in cells[:MAX_COLUMNS]])
            for line, cells in enumerate(reader, 1)
        ]
    except csv.Error as error:
        raise SheetError(_("This is not an XLSX or CSV file.")) from error


def template_rows() -> list[list[str]]:
    """The downloadable template: headings and three example rows."""
    headings = [COLUMNS[field][0] for field in COLUMNS]
    return [
        headings,
        [
            "春光社区",
            "第1网格",
            "春光小区",
            "3号楼",
            "1单元",
            "单元长",
            "王秀兰",
            "13847201234",
            "",
        ],
        ["春光社区", "第1网格", "", "", "", "党小组成员", "李建国", "13947205678", ""],
        ["春光社区", "", "", "", "", "驻区单位", "张师傅", "0472-5123456", "包头市供水公司"],
    ]
