"""Report pages for street staff, officers and grid workers, each for their own places."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.filters import refused_parameters, with_list_columns
from common.params import id_param
from common.replicas import reads_from_replica, replica_as_of
from common.spreadsheets import spreadsheet_response, write_csv, write_xlsx
from grids.models import Grid, Street

from . import figures
from .build import build, level_for
from .periods import from_query
from .templatetags.report_tags import cell_writer

COLUMNS = [
    *figures.COUNT_KEYS,
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "median_days",
]

# What a place's card shows on a phone before a tap: the 三率 and the two main counts.
CARD_COLUMNS = ["response_rate", "resolution_rate", "satisfaction_rate", "received", "resolved"]


@require_GET
@reads_from_replica
def report(request):
    context = build(request.scope, request.GET)
    context["columns"] = COLUMNS
    context["card_columns"] = CARD_COLUMNS
    # Each label translated once, not once per place (a city has a hundred streets).
    labels = {key: str(figures.LABELS[key][0]) for key in COLUMNS}
    more = [key for key in COLUMNS if key not in CARD_COLUMNS]
    period = context["period"]
    cell = cell_writer(period)
    for row in context["rows"]:
        # Each cell drawn once, for the table and for the phone's card alike.
        cells = {key: cell(row["live"], row["frozen"], key, row["link"]) for key in COLUMNS}
        # Joined here: a template loop over 3,000 cells was a third of the city's page.
        row["table_cells"] = mark_safe("".join(f"<td>{cells[key]}</td>" for key in COLUMNS))
        row["card_cells"] = _card_figures(labels, cells, CARD_COLUMNS, "col-4", "mb-0 fw-semibold")
        row["more_cells"] = _card_figures(labels, cells, more, "col-6", "mb-0")
    context["printing"] = request.GET.get("print") == "1"
    context["replica_as_of"] = replica_as_of()
    return render(request, "reports/report.html", context)


@require_GET
@reads_from_replica
def report_cases(request):
    """The cases behind one figure of the report, in the user's places."""

    if refused_parameters(request.GET):  # no sorting or filtering on residents' fields
        return HttpResponseBadRequest(
            _("The list cannot be sorted or filtered by a resident's name or phone.")
        )
    period = from_query(request.GET)
    level = level_for(request.scope, request.GET)
    place = level.place
    grid = id_param(request.GET, "grid", label=_("Grid"))
    street = id_param(
        request.GET, "street", label=_("Street")
    )  # a street's row of the whole city's report
    row = _row_named(request.scope, level, grid=grid, street=street)
    if grid:
        place &= Q(grid_id=grid)
    if street:
        place &= Q(street_id=street)
    if period is None:
        raise Http404
    figure = request.GET.get("figure", "")
    cases = figures.cases_behind(figure, place, period)
    if cases is None:
        raise Http404
    # A rate's list is the cases it is taken over, with a link to those it counts.
    counted = None
    if figure in figures.RATE_CASES:
        part = figures.RATE_CASES[figure][0]
        part_query = request.GET.copy()
        part_query["figure"] = part
        part_query.pop("page", None)
        counted = {
            "what": figures.COUNTED_AS[figure],
            "query": part_query.urlencode(),
            "count": request.scope.narrow(figures.cases_behind(part, place, period)).count(),
        }
    cases = with_list_columns(request.scope.narrow(cases)).order_by("-created_at")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/cases.html",
        {
            "page": page,
            "figure": _label(figure),
            "counted": counted,
            "period": period,
            "level": level,
            "row": row,
            "query": query.urlencode(),
            "replica_as_of": replica_as_of(),
        },
    )


def _row_named(scope, level, grid=None, street=None) -> str:
    """The row of the report a list was opened from, for its heading: a grid of a community's
    report, a street of the city's. A place the user may not read is a 404, as everywhere."""
    if grid:
        found = scope.get(Grid.objects.select_related("community"), pk=grid)
        if level.community is not None and found.community_id != level.community.pk:
            raise Http404
        if list(level.row_names) == [found.pk]:
            return ""  # a grid worker's report is his grid's: the heading names it already
        return found.name if level.community is not None else f"{found.community.name} {found.name}"
    if street:
        return scope.get(Street.objects.all(), pk=street).name
    return ""


def _label(figure):
    """A list's heading and what it holds: a figure's, or one of a rate's own lists."""
    if figure in figures.OUTCOME_LIST_LABELS:
        return figures.OUTCOME_LIST_LABELS[figure], figures.LABELS[figure][1]
    return figures.LABELS.get(figure) or figures.LIST_LABELS[figure]


RATE_COLUMNS = [number for number, key in enumerate(COLUMNS, start=2) if key.endswith("_rate")]


def _sheet_rows(context, rate):
    """The report as rows: the same figures the page shows, headings in Chinese.

    `rate` turns a rate as the page shows it (87.5, meaning %) into the file's cell.
    """
    headings = [_("Place")] + [str(figures.LABELS[key][0]) for key in COLUMNS]

    def cells(shown):
        return [
            rate(shown.get(key)) if key.endswith("_rate") else shown.get(key) for key in COLUMNS
        ]

    rows = []
    for row in context["rows"]:
        rows.append([row["name"], *cells(row["frozen"] or row["live"])])
    total = (
        context["frozen"]["total"]
        if context["frozen"] and context["frozen"]["total"]
        else context["total"]
    )
    rows.append([_("Total"), *cells(total)])
    return headings, rows


def _fraction(percent):
    """87.5 -> 0.875: the XLSX cell holds the fraction and shows it as 87.5%."""
    return None if percent is None else round(percent / 100, 4)


def _breakdown_sheets(context):
    """The page's other tables as further sheets: meetings held, categories, channels."""
    count = _("Number")
    sheets = []
    meetings = context["meetings"]
    if meetings:
        rows = [
            [_("Deliberation meetings held"), meetings["total"]],
            [_("Attendances"), meetings["attendance"]],
            *([str(label), n] for label, n in meetings["kinds"]),
            *([str(label), n] for label, n in meetings["venues"]),
        ]
        sheets.append((_("Meetings"), [_("Meetings"), count], rows))
    breakdown = context["breakdown"]
    sheets.append(
        (_("By category"), [_("Category"), count], [list(r) for r in breakdown["categories"]])
    )
    sheets.append(
        (_("By channel"), [_("Channel"), count], [[str(k), n] for k, n in breakdown["channels"]])
    )
    return sheets


def _state_line(context):
    """What the figures are: published (frozen), live (the period is still running), or
    computed today for a past period that was never frozen. Never "live" for a past month.
    Read from a replica that runs behind, they are as of the replica's time."""
    as_of = replica_as_of()
    if as_of:
        at = timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M:%S")
        return _("As of %(at)s (read from a copy of the database that is running behind)") % {
            "at": at
        }
    if context["frozen"]:
        at = context["frozen"]["at"].strftime("%Y-%m-%d %H:%M")
        return _("Frozen on %(at)s") % {"at": at}
    if context["period"].is_current:
        return _("Live figures")
    at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return _("Not frozen: computed from the case history on %(at)s") % {"at": at}


@require_GET
@reads_from_replica
def report_export(request, file_format):
    if file_format not in ("xlsx", "csv"):
        raise Http404
    # In the reader's language, as the page and the access log's export are.
    context = build(request.scope, request.GET)
    report_name = _("resolution report")
    title = f"{context['level'].title} {context['period'].label} {report_name}"
    filename = f"report-{context['period'].label}.{file_format}"
    if file_format == "csv":
        headings, rows = _sheet_rows(context, lambda r: None if r is None else f"{r}%")
        content = write_csv(rows, headings, preamble=[[title], [_state_line(context)]])
    else:
        headings, rows = _sheet_rows(context, _fraction)
        content = write_xlsx(
            rows,
            headings,
            _("Report"),
            preamble=[[title], [_state_line(context)]],
            widths={1: 16, **dict.fromkeys(range(2, len(headings) + 1), 11)},
            bold_last_row=True,
            frozen_columns=1,
            number_formats=dict.fromkeys(RATE_COLUMNS, "0.0%"),
            more_sheets=_breakdown_sheets(context),
        )
    return spreadsheet_response(content, file_format, filename)


def _card_figures(labels, cells, keys, width, value_class):
    """A place's figures on the phone's card: label and value pairs (cells are safe HTML)."""
    return mark_safe(
        "".join(
            f'<div class="{width}"><dt class="fw-normal text-body-secondary">'
            f'{escape(labels[key])}</dt><dd class="{value_class}">{cells[key]}</dd></div>'
            for key in keys
        )
    )
