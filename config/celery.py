"""The Celery app. Periodic work is declared in one place: `beat_schedule` below."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("youjie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job of the product, with its schedule readable at a glance.
app.conf.beat_schedule = {
    # The hotline's outbox: messages due (new, or waiting out their backoff) are sent.
    "deliver-outbox": {
        "task": "interop.tasks.deliver_due",
        "schedule": float(os.environ.get("OUTBOX_SCAN_SECONDS", "30")),
    },
    # Reminders (not accepted in time, tasks due and overdue, follow-ups, meetings tomorrow):
    # each scan inserts what is due, once, and queues its deliveries.
    "scan-reminders": {
        "task": "notifications.tasks.scan_reminders",
        "schedule": float(os.environ.get("REMINDER_SCAN_SECONDS", "60")),
    },
    # On the 1st, last month's report is frozen for every street; street staff are told.
    "freeze-last-month": {
        "task": "reports.tasks.freeze_last_month",
        "schedule": crontab(day_of_month=1, hour=0, minute=30),
    },
    # 每月17日固定协商: this month's and next month's sessions exist well ahead (idempotent).
    "create-monthly-sessions": {
        "task": "meetings.tasks.create_monthly_sessions",
        "schedule": crontab(hour=1, minute=5),
    },
    # PIPL retention: residents' names and phones of cases closed longer than their street's
    # retention_months (default 36) are anonymised; the cases stay in the statistics.
    "anonymise-expired-cases": {
        "task": "cases.tasks.anonymise_expired_cases",
        "schedule": crontab(hour=2, minute=40),
    },
}


@beat_init.connect
def scan_once_at_start(sender=None, **kwargs):
    """The first reminders go out within a minute of a cold start, not one interval later."""
    sender.app.send_task("notifications.tasks.scan_reminders")
