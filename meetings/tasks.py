"""Periodic meeting work, run by Celery beat (see config/celery.py)."""

from celery import shared_task
from django.utils import timezone

from .workflow import months_to_schedule, schedule_monthly_sessions


@shared_task
def create_monthly_sessions() -> int:
    """Every community's session on the 17th, created ahead; safe to run any number of times."""
    return sum(
        schedule_monthly_sessions(month) for month in months_to_schedule(timezone.localdate())
    )
