"""Residents' phone numbers are personal information (PIPL): who saw them, who exported them,
who searched for them. Each of these is written to the street's access log (audit app)."""

from django.conf import settings

from accounts.capabilities import Capability
from accounts.scope import Scope
from audit.log import record, streets_of
from audit.models import Kind
from common.phones import full_number_in
from common.ratelimit import allow

from .models import Case


def reveal_phone(scope, user, case_id) -> Case:
    """The full number for a user who holds the case's place; each viewing is recorded."""
    case = scope.get(Case, pk=case_id)
    record(Kind.PHONE_VIEWED, user, [case.street_id], case=case)  # the one record of it
    return case


def exportable(scope: Scope) -> Scope:
    """The places whose cases this user may export: exports carry residents' names and phones
    for a whole street, so street staff take them, of their own street only."""
    return scope.granting(Capability.EXPORT_CASES)


def may_export(scope: Scope) -> bool:
    return exportable(scope).has_any_place


def record_export(scope: Scope, user, file_format: str, filters: str, row_count: int) -> None:
    """One access-log record of an export, in each street whose cases it may carry."""
    streets = sorted(exportable(scope).street_ids) or [None]  # [None]: a superuser's
    record(Kind.CASE_EXPORT, user, streets, count=row_count, detail=f"{file_format} {filters}")


# Searching by a full number ------------------------------------------------------------
def searched_number(case_filter) -> str | None:
    """The full phone number a valid case-list search asks for, or None."""
    if not case_filter.is_bound or not case_filter.form.is_valid():
        return None
    return full_number_in(case_filter.form.cleaned_data.get("q") or "")


def may_search_number(scope, user, number: str, where: str) -> bool:
    """Count one full-number search of this user; over the hourly limit it is refused, and
    the refusal is recorded too. A script trying candidates is stopped after a few."""
    if allow(f"phone-search:{user.pk}", settings.PHONE_SEARCHES_PER_USER_PER_HOUR, 3600):
        return True
    record(Kind.PHONE_SEARCH_REFUSED, user, streets_of(scope), phone=number, detail=where)
    return False


def record_number_search(scope, user, number: str, matched: int, where: str) -> None:
    record(Kind.PHONE_SEARCH, user, streets_of(scope), phone=number, count=matched, detail=where)
