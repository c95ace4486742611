"""Periodic work on cases (see config/celery.py)."""

from celery import shared_task

from .retention import anonymise_expired


@shared_task
def anonymise_expired_cases() -> int:
    """Residents' names and phones of cases closed longer than their street keeps them."""
    return anonymise_expired()
