from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """What on-call reads: /metrics for Prometheus (monitoring/metrics.py). It sits above the
    apps whose backlogs it reads (notifications, interop) and Celery."""

    name = "monitoring"
