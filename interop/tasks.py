"""Celery tasks of the interop app; their schedule is in config/celery.py. Status messages to
partners leave through the outbox (outbox/dispatch.py, interop/partner_post.py)."""

from celery import shared_task

from . import calls


@shared_task(ignore_result=True)
def remove_old_unidentified_calls() -> int:
    """Calls no key or signature vouched for are kept UNIDENTIFIED_CALLS_KEEP_DAYS."""
    return calls.remove_old_unidentified_calls()
