"""Cases at a place on a given day, for the recurring problems' tests."""

from datetime import timedelta

from django.utils import timezone

from cases.models import Category

from .factories import CaseFactory


def category(name):
    return Category.objects.get_or_create(name=name)[0]


def case_at(grid, days_ago, building=None, kind="水电气暖", now=None, **fields):
    """A case logged `days_ago` days before `now` at the building (or the grid alone)."""
    now = now or timezone.now()
    return CaseFactory(
        grid=grid,
        building=building,
        category=category(kind),
        created_at=now - timedelta(days=days_ago, hours=1),
        **fields,
    )
