"""CSV and XLSX exports of the case list; every export is logged.

A file leaves the app and is mailed and copied, so it carries no full phone number: the
resident's phone is masked and numbers typed into the description are masked too. The full
number is one press away on the case page, where each viewing is recorded.
"""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.people import display_name
from common.phones import mask_phone, redact_phones
from common.spreadsheets import spreadsheet_download

from .privacy import record_export

MAX_ROWS = 50_000


def _columns():
    return [
        (_("Tracking code"), lambda c: c.tracking_code),
        (_("Logged at"), lambda c: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
        (_("Community"), lambda c: c.community.name),
        (_("Grid"), lambda c: c.grid.name),
        (_("Building"), lambda c: str(c.building) if c.building else ""),
        (_("Unit"), lambda c: c.unit.name if c.unit else ""),
        (_("Category"), lambda c: str(c.category)),
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


def export(scope, user, queryset, file_format: str, filters: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise Http404
    columns = _columns()
    cases = list(queryset[:MAX_ROWS])
    rows = [[get(case) for _h, get in columns] for case in cases]
    headings = [str(heading) for heading, _g in columns]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    widths = {1: 13, 2: 17, 3: 12, 4: 14, 5: 16, 6: 8, 7: 12, 8: 40}
    response = spreadsheet_download(
        file_format, rows, headings, f"cases-{stamp}", _("Cases"), widths
    )
    record_export(scope, user, file_format, filters, len(rows))
    return response
