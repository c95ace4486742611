"""An access-log row's details in the reader's words.

A row stores what was done as the app knows it: an export as its format and the list's query
string ("xlsx community=1&state=submitted"), a full-number search as the page it came from
("cases:list"). Street staff read it as sentences: "XLSX · 社区：春光社区 · 状态：已点单",
"诉求列表". Names are looked up for all the rows of a page at once (one query per kind of
place named, whatever the number of rows), and a value that no longer names anything is shown
as it was stored. An anonymisation's reason was typed by a person and is shown as typed.
"""

from urllib.parse import parse_qsl

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.people import display_name
from grids.models import Community, Grid

from .filters import AccessEventFilter
from .models import Kind

PAGES = {
    "cases:list": gettext_lazy("the case list"),
    "cases:export": gettext_lazy("a case export"),
}
FORMATS = {"csv": "CSV", "xlsx": "XLSX"}
# What an export with no filter holds.
UNFILTERED = {
    Kind.CASE_EXPORT: gettext_lazy("every case it may export"),
    Kind.LOG_EXPORT: gettext_lazy("the whole log"),
}
# What each kind's query string was filtered by: the filters whose labels and choices read it.
# The cases app adds its list's filters (cases/apps.py): it sits above this app.
FILTERS = {Kind.LOG_EXPORT: AccessEventFilter.base_filters}
# Parameters naming a row, and how its name is read.
NAMED = {
    "community": (Community, lambda place: place.name),
    "grid": (Grid, lambda grid: grid.name),
    "user": (get_user_model(), display_name),
}


def read_exports_with(kind: Kind, filters, named=None) -> None:
    """Let an app above this one say how its exports' query strings read."""
    FILTERS[kind] = filters
    NAMED.update(named or {})


def describe(events) -> list:
    """The events, each with `.described`: its details as the reader reads them."""
    events = list(events)
    exports = {id(event): _parsed(event.detail) for event in events if event.kind in FILTERS}
    names = _names(exports.values())
    for event in events:
        parsed = exports.get(id(event))
        event.described = _export(event.kind, *parsed, names) if parsed else _plain(event)
    return events


def _parsed(detail: str) -> tuple[str, list[tuple[str, str]]]:
    file_format, _space, query = detail.partition(" ")
    return file_format, parse_qsl(query)


def _names(exports) -> dict:
    """{(parameter, stored value): name} for the rows the page's exports were filtered by, one
    query per kind of row named."""
    wanted = {}
    for _format, pairs in exports:
        for name, value in pairs:
            if name in NAMED and value.isdigit():
                wanted.setdefault(name, set()).add(value)
    names = {}
    for parameter, values in wanted.items():
        model, read = NAMED[parameter]
        for row in model.objects.filter(pk__in=values):
            names[parameter, str(row.pk)] = read(row)
    return names


def _export(kind, file_format: str, pairs, names) -> str:
    filters = FILTERS[kind]
    parts = [FORMATS.get(file_format, file_format)]
    for name, value in pairs:
        if name == "page" or not value:
            continue
        known = filters.get(name)
        label = str(known.label) if known is not None and known.label else name
        shown = _value(known, name, value, names)
        parts.append(_("%(filter)s: %(value)s") % {"filter": label, "value": shown})
    if len(parts) == 1:
        parts.append(str(UNFILTERED[kind]))
    return " · ".join(parts)


def _value(known, name: str, value: str, names) -> str:
    if (name, value) in names:
        return names[name, value]
    choices = getattr(known, "extra", {}).get("choices") or ()
    choices = dict(choices() if callable(choices) else choices)
    return str(choices.get(value, value))


def _plain(event) -> str:
    if event.kind in (Kind.PHONE_SEARCH, Kind.PHONE_SEARCH_REFUSED):
        return str(PAGES.get(event.detail, event.detail))
    return event.detail
