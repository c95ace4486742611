"""CSV and XLSX exports of the case list; every export is logged.

A file leaves the app and is mailed and copied, so it carries no full phone number: the
resident's phone is masked and numbers typed into the description are masked too. The full
number is one press away on the case page, where each viewing is recorded.
"""

import csv
import io

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from common.people import display_name
from common.phones import mask_phone, redact_phones

from .privacy import record_export

MAX_ROWS = 50_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _columns():
    return [
        (_("Tracking code"), lambda c: c.tracking_code),
        (_("Logged at"), lambda c: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
        (_("Community"), lambda c: c.community.name),
        (_("Grid"), lambda c: c.grid.name),
        (_("Building"), lambda c: str(c.building) if c.building else ""),
        (_("Unit"), lambda c: c.unit.name if c.unit else ""),
        (_("Category"), lambda c: c.category.name),
        (_("Description"), lambda c: redact_phones(c.description)),
        (_("Channel"), lambda c: c.get_channel_display()),
        (_("Urgency"), lambda c: c.get_urgency_display()),
        (_("State"), lambda c: c.get_state_display()),
        (_("Resident"), lambda c: c.resident_name),
        (_("Phone"), lambda c: mask_phone(c.resident_phone)),
        (_("Owner"), lambda c: display_name(c.owner) if c.owner else ""),
        (
            _("Deadline"),
            lambda c: (
                timezone.localtime(c.response_deadline).strftime("%Y-%m-%d %H:%M")
                if c.response_deadline
                else ""
            ),
        ),
        (_("Outcome"), lambda c: c.get_outcome_display()),
        (_("Satisfaction"), lambda c: c.get_satisfaction_display()),
    ]


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV/XLSX injection)."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def export(user, queryset, file_format: str, filters: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise Http404
    columns = _columns()
    cases = list(queryset[:MAX_ROWS])
    rows = [[get(case) for _h, get in columns] for case in cases]
    headings = [str(heading) for heading, _g in columns]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    widths = {"A": 13, "B": 17, "C": 12, "D": 14, "E": 16, "F": 8, "G": 12, "H": 40}
    response = write_sheet(
        headings, rows, file_format, title=_("Cases"), filename=f"cases-{stamp}", widths=widths
    )
    record_export(user, file_format, filters, len(rows))
    return response


def write_sheet(headings, rows, file_format, *, title, filename, widths=None) -> HttpResponse:
    """A CSV or XLSX download of these rows, every cell defused (also used by the access log)."""
    rows = [[_safe(value) for value in row] for row in rows]
    if file_format == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark correctly
        writer = csv.writer(out)
        writer.writerow(headings)
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = str(title)
        sheet.append(headings)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for letter, width in (widths or {}).items():
            sheet.column_dimensions[letter].width = width
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    response["Cache-Control"] = "no-store, private"
    return response
