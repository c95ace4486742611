"""Report pages for street staff, officers and grid workers, each for their own places."""

import csv
import io

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from cases.filters import with_list_columns

from . import figures
from .build import build, level_for

COLUMNS = [
    *figures.COUNT_KEYS,
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "median_days",
]


@require_GET
def report(request):
    context = build(request.scope, request.GET)
    context["columns"] = COLUMNS
    context["printing"] = request.GET.get("print") == "1"
    return render(request, "reports/report.html", context)


@require_GET
def report_cases(request):
    """The cases behind one figure of the report, in the user's places."""
    from cases.filters import refused_parameters

    from .periods import from_query

    if refused_parameters(request.GET):  # no sorting or filtering on residents' fields
        return HttpResponseBadRequest(
            _("The list cannot be sorted or filtered by a resident's name or phone.")
        )
    period = from_query(request.GET)
    level = level_for(request.scope, request.GET)
    place = level.place
    if request.GET.get("grid"):
        try:
            place &= Q(grid_id=int(request.GET["grid"]))
        except ValueError:
            raise Http404 from None
    if period is None:
        raise Http404
    figure = request.GET.get("figure", "")
    cases = figures.cases_behind(figure, place, period)
    if cases is None:
        raise Http404
    cases = with_list_columns(request.scope.narrow(cases)).order_by("-created_at")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/cases.html",
        {
            "page": page,
            "figure": figures.LABELS[figure],
            "period": period,
            "level": level,
            "query": query.urlencode(),
        },
    )


def _sheet_rows(context):
    """The report as rows: the same figures the page shows, headings in Chinese."""
    headings = [_("Place")] + [str(figures.LABELS[key][0]) for key in COLUMNS]
    rows = []
    for row in context["rows"]:
        shown = row["frozen"] or row["live"]
        rows.append([row["name"]] + [shown.get(key) for key in COLUMNS])
    total = (
        context["frozen"]["total"]
        if context["frozen"] and context["frozen"]["total"]
        else context["total"]
    )
    rows.append([_("Total")] + [total.get(key) for key in COLUMNS])
    return headings, rows


@require_GET
def report_export(request, file_format):
    if file_format not in ("xlsx", "csv"):
        raise Http404
    with translation.override("zh-hans"):
        context = build(request.scope, request.GET)
        headings, rows = _sheet_rows(context)
        report_name = _("resolution report")
        title = f"{context['level'].title} {context['period'].label} {report_name}"
        filename = f"report-{context['period'].label}.{file_format}"
        if file_format == "csv":
            out = io.StringIO()
            out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow([title])
            writer.writerow(headings)
            writer.writerows(rows)
            response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                _workbook(title, headings, rows, context),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _workbook(title, headings, rows, context) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Report")
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    if context["frozen"]:
        sheet.append(
            [_("Frozen on %(at)s") % {"at": context["frozen"]["at"].strftime("%Y-%m-%d %H:%M")}]
        )
    else:
        sheet.append([_("Live figures")])
    sheet.append(headings)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 16
    for index in range(2, len(headings) + 1):
        sheet.column_dimensions[sheet.cell(row=header_row, column=index).column_letter].width = 11
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
