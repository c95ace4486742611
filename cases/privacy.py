"""Residents' phone numbers are personal information (PIPL): who saw them, who exported them."""

from .models import Case, CaseExport, PhoneReveal


def reveal_phone(scope, user, case_id) -> Case:
    """The full number for a user who holds the case's place; each viewing is recorded."""
    case = scope.get(Case, pk=case_id)
    PhoneReveal.objects.create(case=case, user=user)
    return case


def may_export(scope) -> bool:
    # Exports carry residents' names for a whole street, so only street staff may take them.
    return scope.is_street_staff


def record_export(user, file_format: str, filters: str, row_count: int) -> CaseExport:
    return CaseExport.objects.create(
        user=user, file_format=file_format, filters=filters[:1000], row_count=row_count
    )
