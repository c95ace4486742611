"""The one writer of every CSV and XLSX file the app hands out.

Every cell goes through `_cell`:
- text loses what a spreadsheet cannot hold (`common.text.for_spreadsheet`), so a row stored
  before control characters were refused cannot make an export fail;
- text a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
  return, or the full-width ＝＋－＠ that Excel with a Chinese or Japanese input method also
  accepts as a formula start) is defused: in CSV it gets a leading single quote, in XLSX it is
  written as a plain string cell with Excel's "quote prefix" style, so it shows as typed and
  editing the cell does not turn it into a formula;
- numbers stay numbers.

Use:
    write_xlsx(rows, headers, sheet_title) -> bytes
    write_csv(rows, headers) -> bytes
    spreadsheet_response(content, file_format, filename) -> HttpResponse
    spreadsheet_download(file_format, rows, headers, filename_stem, sheet_title) -> HttpResponse
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .text import for_spreadsheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SHEET_TITLE_REFUSED = re.compile(r"[\[\]:*?/\\]")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def _cell(value):
    """(value, defused) for one cell: numbers as they are, everything else as clean text."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, (int, float, Decimal)):
        return value, False
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    text = for_spreadsheet(str(value))
    return text, is_formula_like(text)


def write_csv(
    rows: Iterable[Sequence], headers: Sequence | None = None, *, preamble: Iterable[Sequence] = ()
) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Chinese right); preamble rows come first."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in [*preamble, *([headers] if headers else []), *rows]:
        cells = []
        for value in row:
            text, defused = _cell(value)
            cells.append("'" + text if defused else text)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def write_xlsx(
    rows: Iterable[Sequence],
    headers: Sequence,
    sheet_title: str,
    *,
    preamble: Iterable[Sequence] = (),
    widths: dict[int, float] | None = None,
    bold_last_row: bool = False,
    frozen_columns: int = 0,
    number_formats: dict[int, str] | None = None,
    more_sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]] = (),
) -> bytes:
    """One sheet: optional preamble rows (a title in bold), bold headings, then the rows.

    `widths` maps a column number (1 = A) to its width; the heading row and `frozen_columns`
    columns stay in view while scrolling. `number_formats` maps a column number to an Excel
    number format for its data cells (e.g. "0.0%" for rates written as fractions).
    `more_sheets` are further plain tables, (sheet title, headings, rows) each.
    """
    preamble = list(preamble)
    header_row = len(preamble) + 1
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(sheet_title)
    number = 0
    for number, row in enumerate([*preamble, headers, *rows], start=1):
        _write_row(sheet, number, row)
        for column, number_format in (number_formats or {}).items():
            if number > header_row:
                sheet.cell(row=number, column=column).number_format = number_format
    if header_row > 1:
        sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    if bold_last_row and number > header_row:
        for cell in sheet[number]:
            cell.font = Font(bold=True)
    for column, width in (widths or {}).items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=frozen_columns + 1)
    for title, more_headers, more_rows in more_sheets:
        more = book.create_sheet(_sheet_title(title))
        for number, row in enumerate([more_headers, *more_rows], start=1):
            _write_row(more, number, row)
        for cell in more[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        more.column_dimensions["A"].width = 20
        more.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_row(sheet, number, values):
    for column, value in enumerate(values, start=1):
        text, defused = _cell(value)
        if text == "":
            continue
        cell = sheet.cell(row=number, column=column, value=text)
        if defused:
            cell.data_type = "s"  # openpyxl took it for a formula; it is text
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no []:*?/\\ and at most 31 characters."""
    return _SHEET_TITLE_REFUSED.sub(" ", for_spreadsheet(str(title))).strip()[:31] or "Sheet"


def spreadsheet_response(content: bytes, file_format: str, filename: str) -> HttpResponse:
    """The file as a download that no cache keeps."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    return response


def spreadsheet_download(
    file_format: str,
    rows: Iterable[Sequence],
    headers: Sequence,
    filename_stem: str,
    sheet_title: str,
    widths: dict[int, float] | None = None,
) -> HttpResponse:
    """A plain table as a CSV or XLSX download in one call (file_format "csv" or "xlsx")."""
    if file_format == "csv":
        content = write_csv(rows, headers)
    elif file_format == "xlsx":
        content = write_xlsx(rows, headers, sheet_title, widths=widths)
    else:
        raise ValueError(f"not a spreadsheet format: {file_format}")
    return spreadsheet_response(content, file_format, f"{filename_stem}.{file_format}")
