"""On the 1st, last month's figures are frozen for every street (see config/celery.py)."""

from celery import shared_task

from grids.models import Street

from . import kept
from .build import freeze
from .periods import last_month


@shared_task
def freeze_last_month() -> int:
    month = last_month()
    kept.settle([month])  # its dearest figures can be kept from an hour after it ended
    return sum(freeze(street, month)[1] for street in Street.objects.all())
