from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_of(queryset: QuerySet, link: str):
    """A correlated COUNT(*) of `queryset` rows whose `link` is the outer row.

    Several of these on one list stay one query and do not multiply each other the way
    several joined Count() annotations would.
    """
    counted = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
