"""The Celery app. Periodic work is declared in one place: `beat_schedule` below."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("youjie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job of the product, with its schedule readable at a glance.
app.conf.beat_schedule = {
    # 每月17日固定协商: this month's and next month's sessions exist well ahead (idempotent).
    "create-monthly-sessions": {
        "task": "meetings.tasks.create_monthly_sessions",
        "schedule": crontab(hour=1, minute=5),
    },
}
