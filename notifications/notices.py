"""A notice's words: a message id and its parameters, put into words in the reader's language.

A notification's title and text are stored as message ids (the English source strings of the
translation catalogue) with one JSON of parameters, and put into words when they are read: on
the bell's list in the language the reader chose, in an e-mail or SMS in the recipient's
(`language_of`). What is shown formatted or translated is stored raw, marked with its kind:

    {"at": "2026-12-06T14:00:00+08:00"}                   a moment: "2026-12-06 14:00"
    {"time": "2026-12-06T14:00:00+08:00"}                 its clock time: "14:00"
    {"date": "2026-12-06"}                                a day
    {"month": "2026-12"}                                  a month
    {"choice": "meetings.Meeting.kind", "value": "..."}   a choice, by its label
    {"category": "水电气暖"}                              a category, by its stored name
    {"text": "<message id>", "params": {...}}             a phrase of its own
    {"cases": ["YJ…", "YJ…", "YJ…"]}                      cases by their codes, the first two
                                                          named: 「YJ…、YJ… 等 3 件诉求」
    {"lines": [{"text": …}, …]}                           phrases, one a line

Strings and numbers are stored as they are: names of places, tracking codes, what people typed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, gettext_noop

from cases.categories import category_label
from common.lists import joined
from common.phones import redact_phones
from common.said import formatted

MOMENT = "Y-m-d H:i"  # the same in both languages, as in the app's tables
DAY = "Y-m-d"
MONTH = "Y-m"


def language_of(notification) -> str:
    """The language a notification's e-mail and SMS are written in.

    People choose the app's language with the switch, a cookie of their browser that is not
    stored with their account: messages are written in the site's language (LANGUAGE_CODE)."""
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Text:
    """A phrase to be put into words: its message id and its parameters (already encoded)."""

    msgid: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.msgid, self.params)

    def stored(self) -> dict:
        return {"text": self.msgid, "params": self.params}


def text(msgid: str, **params) -> Text:
    """`text(gettext_noop("Task overdue: %(task)s"), task=task.title)`: values are encoded."""
    return Text(msgid, {name: encode(value) for name, value in params.items()})


def at(value: datetime) -> dict:
    return {"at": value.isoformat()}


def clock_time(value: datetime) -> dict:
    return {"time": value.isoformat()}


def day(value: date) -> dict:
    return {"date": value.isoformat()}


def month(value: date) -> dict:
    return {"month": f"{value:%Y-%m}"}


def choice(instance, field_name: str) -> dict:
    """The choice a model's field holds, shown by its label in the reader's language."""
    where = f"{instance._meta.label}.{field_name}"
    return {"choice": where, "value": getattr(instance, field_name)}


def category(value) -> dict:
    return {"category": value.name}


def cases(codes) -> dict:
    """Cases by their tracking codes, in the order given: as many as a line can say."""
    return {"cases": list(codes)}


def lines(texts) -> dict:
    """Phrases (Text) said one a line: a notice's text about several cases."""
    return {"lines": [each.stored() for each in texts]}


# A notice names this many cases by their codes and counts the rest: an SMS is one line.
NAMED_CASES = 2


def said_cases(codes) -> str:
    codes = list(codes)
    if len(codes) <= NAMED_CASES:
        return joined(codes)
    # Three cases at least: "cases" is always plural here.
    return gettext("%(codes)s and others (%(n)s cases in all)") % {
        "codes": joined(codes[:NAMED_CASES]),
        "n": len(codes),
    }


# Phrases more than one notice says ---------------------------------------------------------
def about(case) -> Text:
    """A case in a line: its grid, category and the start of what the resident said."""
    return text(
        gettext_noop("%(grid)s · %(category)s · %(description)s"),
        grid=case.grid.name,
        category=category(case.category),
        description=redact_phones(case.description)[:60],
    )


def venue(meeting) -> Text:
    """Where a meeting is held: the kind of venue and its address."""
    return text(
        gettext_noop("%(venue)s %(address)s"),
        venue=choice(meeting, "venue_kind"),
        address=meeting.address,
    )


def encode(value):
    if isinstance(value, Text):
        return value.stored()
    if isinstance(value, datetime):
        return at(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, (dict, int, float)) or value is None:
        return value
    return str(value)


def render(msgid: str, params: dict) -> str:
    """The message in the active language, its parameters formatted there."""
    if not msgid:
        return ""
    values = {name: decode(value) for name, value in (params or {}).items()}
    return formatted(gettext(msgid), msgid, values).strip()


def decode(value) -> str:
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    if "text" in value:
        return render(value["text"], value.get("params", {}))
    if "at" in value:
        return _format(datetime.fromisoformat(value["at"]), MOMENT)
    if "time" in value:
        return _format(datetime.fromisoformat(value["time"]), "H:i")
    if "date" in value:
        return dateformat.format(date.fromisoformat(value["date"]), DAY)
    if "month" in value:
        return dateformat.format(date.fromisoformat(f"{value['month']}-01"), MONTH)
    if "choice" in value:
        return _choice_label(value["choice"], value.get("value"))
    if "category" in value:
        return category_label(value["category"])
    if "cases" in value:
        return said_cases(value["cases"])
    if "lines" in value:
        return "\n".join(decode(line) for line in value["lines"])
    return ""


def _format(moment: datetime, pattern: str) -> str:
    return dateformat.format(timezone.localtime(moment), pattern)


def _choice_label(where: str, value) -> str:
    label, _dot, field_name = where.rpartition(".")
    try:
        field = apps.get_model(label)._meta.get_field(field_name)
    except (LookupError, ValueError):
        return str(value or "")
    return str(dict(field.flatchoices).get(value, value or ""))


def in_language(language: str, *texts) -> list[str]:
    """Each text put into words in `language`."""
    with translation.override(language):
        return [str(each) for each in texts]
