"""The access log page for street staff: who saw, searched, exported or anonymised residents'
personal data in their street. Community officers and grid workers get a 404."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.capabilities import Capability
from common.people import display_name
from common.replicas import reads_from_replica
from common.spreadsheets import spreadsheet_download

from .details import describe
from .filters import AccessEventFilter
from .log import record, streets_of
from .models import AccessEvent, Kind

MAX_EXPORT_ROWS = 50_000


def _filtered(request):
    """(filter, events) for this user's streets; no events when the filters are not valid."""
    scope = request.scope.granting(Capability.READ_ACCESS_LOG)  # the streets it is read at
    if not scope.has_any_place:
        raise Http404
    events = scope.narrow(AccessEvent.objects.all())
    event_filter = AccessEventFilter(request.GET or None, events=events)
    if event_filter.is_bound and not event_filter.is_valid():
        return event_filter, events.none(), False
    if event_filter.is_bound:
        events = event_filter.filter_queryset(events)
    return event_filter, events.select_related("user", "street", "case"), True


@require_GET
@reads_from_replica
def access_log(request):
    event_filter, events, valid = _filtered(request)
    page = Paginator(events, settings.ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = describe(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": event_filter, "page": page, "query": query.urlencode()}
    response = render(request, "audit/log.html", context, status=200 if valid else 400)
    add_never_cache_headers(response)
    return response


@require_GET
@reads_from_replica
def access_log_export(request, file_format):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    event_filter, events, valid = _filtered(request)
    if not valid:
        response = render(request, "audit/log.html", {"filter": event_filter}, status=400)
        add_never_cache_headers(response)
        return response
    rows = [
        [
            timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
            event.get_kind_display(),
            display_name(event.user) if event.user else _("automatic (retention)"),
            event.street.name if event.street else "",
            event.case.tracking_code if event.case else "",
            event.masked_phone,
            event.counted,
            event.described,
        ]
        for event in describe(events[:MAX_EXPORT_ROWS])
    ]
    headings = [
        _("At"),
        _("What"),
        _("By"),
        _("Street"),
        _("Tracking code"),
        _("Phone"),
        _("How many"),
        _("Details"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    widths = {1: 19, 2: 22, 3: 14, 4: 14, 5: 13, 6: 14, 7: 8, 8: 50}
    response = spreadsheet_download(
        file_format, rows, headings, f"access-log-{stamp}", _("Access log"), widths
    )
    record(
        Kind.LOG_EXPORT,
        request.user,
        streets_of(request.scope),
        count=len(rows),
        detail=f"{file_format} {request.GET.urlencode()}",
    )
    return response
