"""Report pages for street staff, officers and grid workers, each for their own places."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.filters import refused_parameters, with_list_columns
from common.params import id_param
from common.spreadsheets import spreadsheet_response, write_csv, write_xlsx

from . import figures
from .build import build, level_for
from .periods import from_query

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


    if refused_parameters(request.GET):  # no sorting or filtering on residents' fields
        return HttpResponseBadRequest(
            _("The list cannot be sorted or filtered by a resident's name or phone.")
        )
    period = from_query(request.GET)
    level = level_for(request.scope, request.GET)
    place = level.place
    grid = id_param(request.GET, "grid")
    if grid:
        place &= Q(grid_id=grid)
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
            content = write_csv(rows, headings, preamble=[[title]])
        else:
            if context["frozen"]:
                at = context["frozen"]["at"].strftime("%Y-%m-%d %H:%M")
                state = _("Frozen on %(at)s") % {"at": at}
            else:
                state = _("Live figures")
            content = write_xlsx(
                rows,
                headings,
                _("Report"),
                preamble=[[title], [state]],
                widths={1: 16, **dict.fromkeys(range(2, len(headings) + 1), 11)},
                bold_last_row=True,
                frozen_columns=1,
            )
    return spreadsheet_response(content, file_format, filename)
