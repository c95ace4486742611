"""GET /metrics: Prometheus metrics of this node and of what it depends on.

Answered only to the scraper (settings.METRICS_ALLOWED_ADDRESSES, addresses or CIDR blocks);
anyone else gets a bare 404, as if there were nothing there. (Not the app's 404 page: this is
answered before sessions and login, which that page's templates need.) A request that came
through a proxy (it carries X-Forwarded-For, Forwarded or X-Real-IP) is refused whatever its
peer: Prometheus scrapes each node directly, and nginx or HAProxy on the same host would
otherwise lend every visitor the proxy's loopback address.

Two kinds of figures:
- Counted as requests are served, per process (RequestMetricsMiddleware): requests and their
  latency by view. Under gunicorn's several processes, prometheus-client's multiprocess mode
  (PROMETHEUS_MULTIPROC_DIR, set up by config/gunicorn.conf.py) adds up every process's files,
  so one scrape sees the whole node.
- Read at each scrape (StateCollector): the Celery queues, the outbox by channel, the reminder
  scan's heartbeat, the standby's lag, WAL archiving, the last backups, database connections
  and disk. Each probe is timed and may fail alone: youjie_probe_success{probe} says which.

/healthz stays the load balancer's cheap check (notifications/health.py); this is for
monitoring and its alerts (ops/alerts.yml; the runbook is in the README).
"""

import ipaddress
import json
import logging
import math
import os
import shutil
import subprocess
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from kombu.exceptions import ChannelError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("youjie.metrics")
PATH = "/metrics"
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")

# Requests ------------------------------------------------------------------------------------
# Counted in a registry of their own: the default one also holds the process's own figures,
# which mean nothing added up across gunicorn's processes.
REQUESTS = CollectorRegistry(auto_describe=True)
# From a fast page (a few ms) to the slowest export (tens of seconds): the p50 of the cluster's
# pages is about 85 ms and their p99 about 350 ms, so the buckets are finest there.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60)
requests_total = Counter(
    "youjie_http_requests",
    "Requests served, by view, method and status class",
    ["view", "method", "status"],
    registry=REQUESTS,
)
request_seconds = Histogram(
    "youjie_http_request_duration_seconds",
    "Time from the request's arrival in Django to its response, by view",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REQUESTS,
)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def view_label(request) -> str:
    """The URL pattern's name (cases:detail), never the path: one series per view, however
    many cases there are. A path that matches no view is "<unmatched>"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return match.view_name or match._func_path


class RequestMetricsMiddleware:
    """Counts every request and its time, by view. Placed first, so the time includes every
    middleware (sessions, login, the offline cache) and a request refused by one is counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == PATH:
            return metrics(request)  # the scrape itself is not a request of the app
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        request_seconds.labels(view, method).observe(time.perf_counter() - started)
        requests_total.labels(view, method, f"{response.status_code // 100}xx").inc()
        return response


# Who may scrape ------------------------------------------------------------------------------
def allowed_networks():
    return [
        ipaddress.ip_network(block, strict=False) for block in settings.METRICS_ALLOWED_ADDRESSES
    ]


def may_scrape(request) -> bool:
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in allowed_networks())


def metrics(request) -> HttpResponse:
    if not may_scrape(request) or request.method not in ("GET", "HEAD"):
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    response = HttpResponse(generate_latest(Scrape()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # scraped every 15 s: not worth a log line each time
    return response


class Scrape:
    """What one scrape shows: the request figures of every process, and the state read now."""

    def collect(self):
        multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=multiprocess_dir)
            yield from registry.collect()
        else:
            yield from REQUESTS.collect()
        yield from StateCollector().collect()


# State, read at each scrape --------------------------------------------------------------------
class StateCollector:
    def collect(self):
        probe_ok = GaugeMetricFamily(
            "youjie_probe_success",
            "Whether a probe of this scrape could read its figures",
            labels=["probe"],
        )
        probe_seconds = GaugeMetricFamily(
            "youjie_probe_duration_seconds",
            "How long each probe of this scrape took",
            labels=["probe"],
        )
        for name, probe in PROBES:
            if name == "replica" and not settings.DATABASE_REPLICA_URL:
                continue
            if name == "backups" and not settings.PGBACKREST_STANZA:
                continue
            started = time.perf_counter()
            try:
                families = list(probe())
                ok = 1
            except Exception as error:  # one failing dependency must not hide the others
                log.warning(
                    "metrics probe %s failed: %s: %s", name, error.__class__.__name__, error
                )
                families, ok = [], 0
            probe_ok.add_metric([name], ok)
            probe_seconds.add_metric([name], time.perf_counter() - started)
            yield from families
        yield probe_ok
        yield probe_seconds


def gauge(name, documentation, value, labels=None, label_values=()):
    family = GaugeMetricFamily(name, documentation, labels=labels)
    family.add_metric(list(label_values), value)
    return family


def seconds_since(moment, now=None) -> float:
    if moment is None:
        return math.inf  # never: older than any threshold
    return max(0.0, ((now or timezone.now()) - moment).total_seconds())


def probe_celery():
    """Messages waiting in each Celery queue, as the broker counts them (kombu's passive
    queue_declare; on Redis it adds up the priority lists)."""
    from config.celery import app

    family = GaugeMetricFamily(
        "youjie_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"]
    )
    quick = {"socket_connect_timeout": 2, "socket_timeout": 2}
    with app.connection_for_read(connect_timeout=2, transport_options=quick) as connection:
        channel = connection.default_channel
        for queue in celery_queues(app):
            try:
                _name, waiting, _consumers = channel.queue_declare(queue=queue, passive=True)
            except ChannelError:  # no worker declared it yet, and nothing was sent to it
                waiting = 0
            family.add_metric([queue], waiting)
    yield family


def celery_queues(app) -> list[str]:
    names = {app.conf.task_default_queue or "celery"}
    for route in (app.conf.task_routes or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


def probe_outbox():
    """What waits to leave through the outbox, by channel (e-mail, SMS, a partner's webhook),
    how old the oldest is, and what the outbox gave up on."""
    from django.db.models import Count, Min, Q

    from outbox.models import UNSENT, Channel, Message, State

    now = timezone.now()
    backlog = GaugeMetricFamily(
        "youjie_outbox_backlog", "Messages waiting to be sent", labels=["channel"]
    )
    oldest = GaugeMetricFamily(
        "youjie_outbox_oldest_age_seconds",
        "Age of the oldest message waiting to be sent (0 when none waits)",
        labels=["channel"],
    )
    failed = GaugeMetricFamily(
        "youjie_outbox_failed",
        "Messages the outbox gave up on (they wait for staff)",
        labels=["channel"],
    )
    waiting = Q(state__in=UNSENT)
    figures = {
        row["channel"]: row
        for row in Message.objects.filter(waiting | Q(state=State.FAILED))
        .values("channel")
        .annotate(
            waiting=Count("id", filter=waiting),
            first=Min("created_at", filter=waiting),
            failed=Count("id", filter=Q(state=State.FAILED)),
        )
    }
    for channel in Channel.values:
        row = figures.get(channel, {"waiting": 0, "first": None, "failed": 0})
        backlog.add_metric([channel], row["waiting"])
        oldest.add_metric([channel], seconds_since(row["first"], now) if row["waiting"] else 0)
        failed.add_metric([channel], row["failed"])
    yield from (backlog, oldest, failed)


def probe_reminder_scan():
    from notifications import heartbeat

    yield gauge(
        "youjie_reminder_scan_age_seconds",
        "Seconds since the reminder scan last finished (+Inf: it never ran)",
        seconds_since(heartbeat.last_scan_at()),
    )
    yield gauge(
        "youjie_reminder_scan_stale_after_seconds",
        "REMINDER_SCAN_STALE_MINUTES: after this /healthz fails and staff see a banner",
        heartbeat.stale_after_seconds(),
    )


# On a standby: 0 when it has replayed all it received, else the age of the last transaction it
# replayed (an idle primary sends nothing, so an old timestamp alone is no lag).
REPLICA_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
"""


def probe_replica():
    """The standby (DATABASE_REPLICA_URL): whether it answers, whether it is still a standby,
    and how far behind it is. A standby that does not answer is youjie_replica_up 0, not a
    failed probe: that is the figure an alert wants."""
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute(REPLICA_SQL)
            in_recovery, lag_seconds, lag_bytes = cursor.fetchone()
    except Exception:
        connections["replica"].close()
        yield gauge("youjie_replica_up", "Whether the standby answers", 0)
        return
    yield gauge("youjie_replica_up", "Whether the standby answers", 1)
    yield gauge(
        "youjie_replica_in_recovery",
        "Whether DATABASE_REPLICA_URL is a standby (0: it was promoted, or is a primary)",
        int(bool(in_recovery)),
    )
    if in_recovery:
        yield gauge(
            "youjie_replica_lag_seconds",
            "How old the standby's last replayed transaction is, while it has more to replay",
            float(lag_seconds or 0),
        )
        yield gauge(
            "youjie_replica_replay_lag_bytes",
            "WAL the standby received and has not replayed yet",
            float(lag_bytes or 0),
        )


ARCHIVER_SQL = """
SELECT current_setting('archive_mode') <> 'off', archived_count, failed_count,
       extract(epoch FROM last_archived_time), extract(epoch FROM last_failed_time),
       (SELECT count(*) FROM pg_stat_replication)
FROM pg_stat_archiver
"""


def probe_primary():
    """WAL archiving (pg_stat_archiver: pgBackRest's archive-push in archive_command), the
    standbys streaming from the primary, connections and the database's size."""
    with connections["default"].cursor() as cursor:
        cursor.execute(ARCHIVER_SQL)
        archiving, archived, failed, last_archived, last_failed, standbys = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), current_setting('max_connections')::int, "
            "pg_database_size(current_database()) FROM pg_stat_activity"
        )
        connected, max_connections, size = cursor.fetchone()
    yield gauge("youjie_wal_archiving", "Whether the primary archives its WAL", int(archiving))
    done = CounterMetricFamily("youjie_wal_archived", "WAL segments archived since the stats reset")
    done.add_metric([], archived)
    yield done
    fails = CounterMetricFamily(
        "youjie_wal_archive_failures", "Failed attempts to archive a WAL segment (archive_command)"
    )
    fails.add_metric([], failed)
    yield fails
    if last_archived is not None:
        yield gauge(
            "youjie_wal_archive_last_success_timestamp_seconds",
            "When the last WAL segment was archived",
            float(last_archived),
        )
    if last_failed is not None:
        yield gauge(
            "youjie_wal_archive_last_failure_timestamp_seconds",
            "When archiving a WAL segment last failed",
            float(last_failed),
        )
    yield gauge("youjie_database_standbys", "Standbys streaming from the primary", standbys)
    yield gauge("youjie_database_connections", "Connections to the primary", connected)
    yield gauge("youjie_database_max_connections", "The primary's max_connections", max_connections)
    yield gauge("youjie_database_size_bytes", "Size of the app's database", size)


BACKUP_CACHE_KEY = "metrics:pgbackrest-info"


def probe_backups():
    """The last good backup of each type in the pgBackRest repository (`pgbackrest info`).
    It reads the object store, so its answer is kept in the shared cache a few minutes: one
    node asks, every node shows it."""
    info = cache.get(BACKUP_CACHE_KEY)
    if info is None:
        command = ["pgbackrest", f"--stanza={settings.PGBACKREST_STANZA}", "--output=json", "info"]
        if settings.PGBACKREST_CONFIG:
            command.insert(1, f"--config={settings.PGBACKREST_CONFIG}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
        info = json.loads(done.stdout)
        cache.set(BACKUP_CACHE_KEY, info, settings.BACKUP_INFO_CACHE_SECONDS)
    (stanza,) = [s for s in info if s["name"] == settings.PGBACKREST_STANZA]
    last = GaugeMetricFamily(
        "youjie_backup_last_completed_timestamp_seconds",
        "When the newest good backup of each type finished (pgBackRest)",
        labels=["type"],
    )
    count = GaugeMetricFamily(
        "youjie_backup_count", "Good backups kept in the repository, by type", labels=["type"]
    )
    for kind in ("full", "diff", "incr"):
        good = [b for b in stanza.get("backup", []) if b["type"] == kind and not b.get("error")]
        count.add_metric([kind], len(good))
        if good:
            last.add_metric([kind], max(b["timestamp"]["stop"] for b in good))
    yield last
    yield count
    yield gauge(
        "youjie_backup_repository_ok",
        "Whether pgBackRest finds the stanza healthy (its status code is 0)",
        int(stanza.get("status", {}).get("code") == 0),
    )


def probe_disk():
    free = GaugeMetricFamily(
        "youjie_disk_free_bytes", "Free space for an unprivileged user", labels=["path"]
    )
    size = GaugeMetricFamily("youjie_disk_size_bytes", "Size of the file system", labels=["path"])
    for path in settings.METRICS_DISK_PATHS:
        usage = shutil.disk_usage(path)
        free.add_metric([str(path)], usage.free)
        size.add_metric([str(path)], usage.total)
    yield free
    yield size


PROBES = [
    ("celery", probe_celery),
    ("outbox", probe_outbox),
    ("reminder_scan", probe_reminder_scan),
    ("primary", probe_primary),
    ("replica", probe_replica),
    ("backups", probe_backups),
    ("disk", probe_disk),
]
