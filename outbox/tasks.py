"""Celery tasks of the outbox; their schedule is in config/celery.py."""

from celery import shared_task

from . import dispatch


@shared_task(acks_late=True, ignore_result=True)
def deliver(message_id: int) -> str | None:
    return dispatch.deliver(message_id)


@shared_task(ignore_result=True)
def deliver_due() -> int:
    return dispatch.deliver_due()


@shared_task(ignore_result=True)
def remove_old_sent() -> int:
    return dispatch.remove_old_sent()
