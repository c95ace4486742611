"""The case list's rows as HTML, made in Python.

Through the template engine each of the 25 rows resolved some thirty variables, reversed a
URL, translated its labels and its "Select …" text, looked up its state's label in a
translated choices dict and formatted a date: a third of the page's time. Here the labels are
translated once per page, the link is made from one reversed URL, and each row is one format
string filled with escaped values (format_html), giving the markup templates/cases/list.html
had, to the byte.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from common.people import display_name
from common.phones import redact_phones

from .models import State

ROW = (
    "\n"
    '  <div class="list-group-item d-flex gap-2 align-items-start">\n'
    "    {select}\n"
    '    <a class="flex-grow-1 text-decoration-none text-body" href="{url}">\n'
    '      <div class="d-flex justify-content-between flex-wrap gap-1">\n'
    '        <span class="fw-semibold">{category} · {description}</span>\n'
    '        <span><span class="badge state-{state}">{state_label}</span>{badges}</span>\n'
    "      </div>\n"
    '      <div class="small text-body-secondary">\n'
    '        <span class="font-monospace">{code}</span> ·\n'
    "        {community} {grid}{building}{unit} ·\n"
    "        {resident} {phone} ·\n"
    "        {created}{owner}\n"
    "      </div>\n"
    "    </a>\n"
    "  </div>\n"
)
SELECT = (
    '<input class="form-check-input mt-2 flex-shrink-0" type="checkbox" name="ids" '
    'value="{pk}" aria-label="{label}">'
)
DESCRIPTION_CHARS = 30
_PLACEHOLDER = 918273645  # stands for the case id in the one reversed URL


def _detail_url():
    """A function of the case id giving its page's URL, from a single reverse()."""
    before, after = reverse("cases:detail", args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    return lambda pk: f"{before}{pk}{after}"


def rows(cases, selectable: bool) -> list:
    """One safe HTML string per case (cases loaded by filters.with_list_columns)."""
    url = _detail_url()
    states = {value: str(label) for value, label in State.choices}
    select_label = _("Select %(code)s")
    badges = {
        "urgent": format_html(' <span class="badge text-bg-danger">{}</span>', _("urgent")),
        "overdue": format_html(' <span class="badge text-bg-danger">{}</span>', _("overdue")),
        "escalated": format_html(' <span class="badge text-bg-warning">{}</span>', _("escalated")),
    }
    owner_label = escape(_("owner"))
    shown = []
    for case in cases:
        flags = (
            ("urgent", case.urgency == "urgent"),
            ("overdue", case.overdue),
            ("escalated", case.escalated),
        )
        select = (
            format_html(
                SELECT,
                pk=case.pk,
                label=mark_safe(select_label % {"code": escape(case.tracking_code)}),
            )
            if selectable
            else ""
        )
        shown.append(
            format_html(
                ROW,
                select=select,
                url=url(case.pk),
                category=str(case.category),
                description=Truncator(redact_phones(str(case.description or ""))).chars(
                    DESCRIPTION_CHARS
                ),
                state=case.state,
                state_label=states.get(case.state, case.state),
                badges=mark_safe("".join(badges[name] for name, on in flags if on)),
                code=case.tracking_code,
                community=case.community.name,
                grid=case.grid.name,
                building=f" {case.building}" if case.building else "",
                unit=f" {case.unit.name}" if case.unit else "",
                resident=case.resident_name,
                phone=case.masked_phone,
                created=timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M"),
                owner=(
                    mark_safe(f" · {owner_label} {escape(display_name(case.owner))}")
                    if case.owner
                    else ""
                ),
            )
        )
    return shown
