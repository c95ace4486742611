"""The Celery app. Periodic work is declared in one place: `beat_schedule` below."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("youjie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How every worker is started (bin/worker; bin/run-all.sh and the cluster use it). Known stall:
# a worker that loses its Redis connection can reconnect and then never consume again
# (celery/celery#8030, #8091, #8384, #10205). What the settings and these options do about it:
#
# - --without-mingle: at start (and after each reconnect) a worker asks its neighbours for
#   their state over broadcast; a connection lost during that exchange is the reported way into
#   the stall (#8030), and our workers need nothing from their neighbours (the database holds
#   the state), so they do not mingle.
# - --without-gossip: no subscription to the other workers' events, one pub/sub conversation
#   fewer to go half-open after a failover; nothing of ours listens to gossip.
# - -O fair: a child process gets a task only when it is free, so one slow delivery (a mail
#   server that takes its time) never holds tasks that another child could run.
# - In the settings (config/settings/base.py): broker_connection_retry with no retry limit
#   (the worker keeps reconnecting rather than exiting), and in broker_transport_options
#   health_check_interval (a PING every 10 s on the broker connections, so a dead or half-open
#   one is dropped and reconnected), socket_keepalive, and socket_timeout / connect timeout (a
#   publish never waits for ever on a broker that vanished without closing the connection).
# - broker_heartbeat is an AMQP setting; the Redis transport does not use it, the health
#   check above is its equivalent.
# - worker_cancel_long_running_tasks_on_connection_loss stays False: our tasks record their
#   outcome in the database (a reminder is a unique row, an outgoing message is claimed
#   once), so a task running when the connection drops is better finished than killed
#   halfway; the message, which could not be acknowledged, comes back and finds its work done.
# - The reminder scan's heartbeat (notifications/heartbeat.py) catches what is left: a worker
#   that stops consuming for any reason makes /healthz fail and shows staff a banner within
#   REMINDER_SCAN_STALE_MINUTES.
WORKER_OPTIONS = ["--without-mingle", "--without-gossip", "-O", "fair"]

# Every periodic job of the product, with its schedule readable at a glance.
app.conf.beat_schedule = {
    # The outbox (e-mail, SMS, partners' status): messages due (new ones whose task was lost,
    # or retries past their backoff) are sent.
    "deliver-outbox": {
        "task": "outbox.tasks.deliver_due",
        "schedule": float(os.environ.get("OUTBOX_SCAN_SECONDS", "30")),
    },
    # Reminders (not accepted in time, tasks due and overdue, follow-ups, meetings tomorrow):
    # each scan inserts what is due, once, and writes its e-mail and SMS to the outbox.
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
    # 未诉先办: the day's cases placed in recurring problems (recurring/grouping.py), before
    # officers open their workbench.
    "group-recurring-problems": {
        "task": "recurring.tasks.group_recurring_problems",
        "schedule": crontab(hour=2, minute=10),
    },
    # PIPL retention: residents' names and phones of cases closed longer than their street's
    # retention_months (default 36) are anonymised; the cases stay in the statistics.
    "anonymise-expired-cases": {
        "task": "cases.tasks.anonymise_expired_cases",
        "schedule": crontab(hour=2, minute=40),
    },
    # Sent messages (e-mail, SMS, partners' status) are kept OUTBOX_KEEP_DAYS (default 90),
    # then removed.
    "remove-old-sent-messages": {
        "task": "outbox.tasks.remove_old_sent",
        "schedule": crontab(hour=3, minute=10),
    },
    # Calls no key or signature vouched for are forgotten after UNIDENTIFIED_CALLS_KEEP_DAYS (7).
    "remove-old-unidentified-calls": {
        "task": "interop.tasks.remove_old_unidentified_calls",
        "schedule": crontab(hour=3, minute=20),
    },
}


@beat_init.connect
def scan_once_at_start(sender=None, **kwargs):
    """The first reminders go out within a minute of a cold start, not one interval later."""
    sender.app.send_task("notifications.tasks.scan_reminders")
