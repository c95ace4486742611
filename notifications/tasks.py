"""Celery tasks of the reminders; their schedule is in config/celery.py."""

from celery import shared_task

from . import dispatch


@shared_task
def scan_reminders() -> dict:
    return dispatch.scan()
