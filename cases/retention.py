"""Retention of residents' personal data (PIPL).

A closed case keeps the resident's name and phone for its street's `retention_months`
(default 36) after its last history entry (the closing move, or a later follow-up or rating);
then the periodic task `cases.tasks.anonymise_expired` replaces them. Street staff can also
anonymise one resident's cases on request. Either way:

- the name becomes 「已匿名」, the phone becomes empty (the public lookup then finds nothing);
- phone numbers and the resident's name typed into the description, the plan, the resident's
  rating comment, tasks, escalations, meeting agenda items and the history's notes and
  details are masked;
- place, category, states, dates and history rows stay, so every report counts the case
  exactly as before;
- photos stay: they show the problem (a pipe, a stairwell), are served only to the place's
  holders and carry no location (EXIF is stripped on upload);
- the case is stamped `anonymised_at`, its history gains an "anonymised" row (who, and the
  reason a resident gave, masked; none for the retention task), and each anonymisation is
  written to the access log.

History rows are append-only in PostgreSQL (common/append_only.py); this module is the one
caller allowed to have their note and details rewritten (`history.mask_text`), inside its own
transaction.
"""

import calendar
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.log import record
from audit.models import Kind
from common.append_only import ANONYMISING_SETTING
from common.phones import phone_search_digits, redact_phones
from grids.models import Street

from . import history
from .filters import with_phone_digits
from .models import OPEN_STATES, Case, Escalation, ResidentRating, Task

ANONYMOUS_NAME = "已匿名"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` earlier (the month's last day when it is shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expired(street: Street, now=None):
    """The street's closed cases whose retention period has passed, not yet anonymised."""
    cutoff = months_before(now or timezone.now(), street.retention_months)
    return (
        Case.objects.filter(street=street, anonymised_at__isnull=True)
        .exclude(state__in=OPEN_STATES)
        .annotate(closed_at=Coalesce(Max("events__at"), "created_at"))
        .filter(closed_at__lt=cutoff)
    )


def _mask(text: str, names: set[str]) -> str:
    text = redact_phones(text)
    for name in names:
        text = text.replace(name, ANONYMOUS_NAME)
    return text


def _allow_history_masking(on: bool):
    """The history trigger accepts changes to note and details while this is on. SET LOCAL
    ends with the transaction; it is also switched off at once, for a caller's transaction
    that goes on after anonymise() returns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {ANONYMISING_SETTING} = '{'on' if on else 'off'}'")


# Where staff and the resident typed text about a case: a phone or the name may be in it.
# Apps that build on cases add their own in their AppConfig.ready() (the meetings app adds
# its agenda items), so this module needs to know none of them. (The history's note and
# details are handled below, under the trigger's rule.)
FREE_TEXT = [
    (ResidentRating, ["comment"]),
    (Task, ["title", "drop_reason"]),
    (Escalation, ["reason", "comment"]),
]


def register_free_text(model, fields):
    """Mask `fields` of `model`'s rows of a case (a `case` foreign key) when it is anonymised."""
    if (model, fields) not in FREE_TEXT:
        FREE_TEXT.append((model, fields))


def _free_texts(case):
    return [(model.objects.filter(case=case), fields) for model, fields in FREE_TEXT]


def _anonymise_one(case, now, user, reason):
    names = {case.resident_name} if len(case.resident_name) >= 2 else set()
    Case.objects.filter(pk=case.pk).update(
        resident_name=ANONYMOUS_NAME,
        resident_phone="",
        description=_mask(case.description, names),
        plan=_mask(case.plan, names),
        anonymised_at=now,
    )
    for queryset, fields in _free_texts(case):
        for row in queryset:
            changes = {}
            for field in fields:
                masked = _mask(getattr(row, field), names)
                limit = type(row)._meta.get_field(field).max_length
                if masked != getattr(row, field):
                    changes[field] = masked[:limit] if limit else masked
            if changes:
                type(row).objects.filter(pk=row.pk).update(**changes)
    history.mask_text(case, lambda text: _mask(text, names))
    # The change itself, through the one writer of history (cases/history.py); a resident's
    # request may name them, so its reason is masked too.
    note = _mask(reason, names) if user is not None else ""
    history.record(case, user, "anonymised", case.state, case.state, note)
    record(Kind.ANONYMISED, user, [case.street_id], case=case, detail=reason)


def anonymise(case_ids, *, user=None, reason: str) -> list[Case]:
    """Anonymise these cases, all or none; cases already anonymised are left as they are."""
    now = timezone.now()
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update()
            .filter(pk__in=list(case_ids), anonymised_at__isnull=True)
            .order_by("pk")
        )
        if not cases:
            return []
        _allow_history_masking(True)
        for case in cases:
            _anonymise_one(case, now, user, reason)
        _allow_history_masking(False)  # on an error the rollback undoes the SET LOCAL
    return cases


def anonymise_expired(now=None) -> int:
    """The periodic task's work: every street's expired cases. Returns how many."""
    done = 0
    for street in Street.objects.all():
        ids = list(expired(street, now).values_list("pk", flat=True))
        reason = f"retention: {street.retention_months} months after closing"
        for start in range(0, len(ids), 500):  # short transactions on a large backlog
            done += len(anonymise(ids[start : start + 500], reason=reason))
    return done


def residents_cases(scope, case: Case):
    """The cases of `case`'s resident in the user's places: the same phone number."""
    cases = scope.narrow(Case.objects.filter(anonymised_at__isnull=True))
    if not case.resident_phone:
        return cases.filter(pk=case.pk)
    return with_phone_digits(cases, phone_search_digits(case.resident_phone) or "")
