"""The Celery app. Periodic work is declared in one place: `beat_schedule` below."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("youjie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job of the product, with its schedule readable at a glance.
app.conf.beat_schedule = {}
