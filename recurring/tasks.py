"""The nightly grouping, run by Celery beat (see config/celery.py)."""

from celery import shared_task

from .grouping import group_cases


@shared_task
def group_recurring_problems() -> dict:
    """Every street's new cases placed in recurring problems; safe to run twice (a second run
    at once waits for nothing and does nothing: the first holds the lock)."""
    result = group_cases()
    return {"joined": result.joined, "started": result.started, "skipped": result.skipped}
