"""GET /metrics (monitoring/metrics.py): only the scraper gets it, and each figure an on-call person
alerts on is there with the value the system has: requests by view, the Celery queue, the
outbox by channel, the reminder scan's age, the standby, WAL archiving, connections and disk."""

import math
import shutil
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications import heartbeat
from outbox.models import Message, State
from tests.processes import free_port

from .test_replicas import dead_replica  # noqa: F401  (a fixture)

SCRAPER = "10.9.8.7"


@pytest.fixture
def scraper(settings):
    settings.METRICS_ALLOWED_ADDRESSES = [f"{SCRAPER}/32"]
    settings.METRICS_DISK_PATHS = [str(settings.BASE_DIR)]
    settings.DATABASE_REPLICA_URL = ""
    settings.PGBACKREST_STANZA = ""


def scrape(client, **headers) -> dict:
    """{(name, ((label, value), ...)): value} of one scrape from the scraper's address."""
    response = client.get("/metrics", REMOTE_ADDR=SCRAPER, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_only_the_scrapers_address_gets_the_metrics_and_through_no_proxy(client, db, scraper):
    assert client.get("/metrics", REMOTE_ADDR=SCRAPER).status_code == 200
    # Anyone else, and the scraper's own address when it came through a proxy (nginx on the
    # node would lend every visitor its loopback address), finds nothing there.
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.6").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"):
        assert client.get("/metrics", REMOTE_ADDR=SCRAPER, **{header: "1.2.3.4"}).status_code == 404
    assert client.post("/metrics", REMOTE_ADDR=SCRAPER).status_code == 404
    # It sets no cookie and is itself no request of the app.
    assert not client.get("/metrics", REMOTE_ADDR=SCRAPER).cookies


def test_nobody_gets_the_metrics_until_an_address_is_set(client, db, settings):
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_requests_are_counted_and_timed_by_view(client, db, scraper):
    before = scrape(client)
    key = ("youjie_http_requests_total", (("method", "GET"), ("status", "2xx"), ("view", "login")))
    count_key = (
        "youjie_http_request_duration_seconds_count",
        (("method", "GET"), ("view", "login")),
    )
    for _ in range(3):
        assert client.get("/login/").status_code == 200
    client.get("/no-such-page/")
    after = scrape(client)

    assert after[key] - before.get(key, 0) == 3
    assert after[count_key] - before.get(count_key, 0) == 3
    # Every request fell in the histogram's last bucket, and took some time.
    inf = (
        "youjie_http_request_duration_seconds_bucket",
        (("le", "+Inf"), ("method", "GET"), ("view", "login")),
    )
    assert after[inf] - before.get(inf, 0) == 3
    unmatched = (
        "youjie_http_requests_total",
        (("method", "GET"), ("status", "4xx"), ("view", "<unmatched>")),
    )
    assert after[unmatched] - before.get(unmatched, 0) == 1
    # The scrapes themselves are not counted, and no path (a case number) becomes a label.
    assert not any(
        name == "youjie_http_requests_total" and ("view", "/metrics") in labels
        for name, labels in after
    )


def test_the_outboxs_backlog_and_its_oldest_message_by_channel(client, db, scraper):
    now = timezone.now()
    for n, (channel, state, minutes) in enumerate(
        (
            ("email", State.PENDING, 10),
            ("email", State.RETRYING, 3),
            ("email", State.SENT, 30),
            ("email", State.FAILED, 60),
            ("sms", State.PENDING, 1),
            ("partner", State.RETRYING, 120),
            ("partner", State.SENT, 300),
            ("partner", State.FAILED, 540),
        )
    ):
        Message.objects.create(
            channel=channel,
            destination="a@example.org" if channel == "email" else "partner:1",
            subject=f"case:{n}",
            kind="sign",
            idempotency_key=f"k{n}",
            state=state,
            created_at=now - timedelta(minutes=minutes),
        )

    samples = scrape(client)

    assert value(samples, "youjie_outbox_backlog", channel="email") == 2
    assert 600 <= value(samples, "youjie_outbox_oldest_age_seconds", channel="email") < 660
    assert value(samples, "youjie_outbox_failed", channel="email") == 1
    assert value(samples, "youjie_outbox_backlog", channel="sms") == 1
    assert value(samples, "youjie_outbox_failed", channel="sms") == 0
    assert value(samples, "youjie_outbox_backlog", channel="partner") == 1
    assert 7200 <= value(samples, "youjie_outbox_oldest_age_seconds", channel="partner") < 7260
    assert value(samples, "youjie_outbox_failed", channel="partner") == 1
    assert value(samples, "youjie_probe_success", probe="outbox") == 1


def test_an_empty_outbox_is_zero_old(client, db, scraper):
    samples = scrape(client)
    for channel in ("email", "sms", "partner"):
        assert value(samples, "youjie_outbox_backlog", channel=channel) == 0
        assert value(samples, "youjie_outbox_oldest_age_seconds", channel=channel) == 0


def test_the_reminder_scans_age(client, db, scraper, settings):
    assert value(scrape(client), "youjie_reminder_scan_age_seconds") == math.inf  # never ran
    heartbeat.record_scan(timezone.now() - timedelta(minutes=7))
    samples = scrape(client)
    assert 420 <= value(samples, "youjie_reminder_scan_age_seconds") < 480
    assert (
        value(samples, "youjie_reminder_scan_stale_after_seconds")
        == settings.REMINDER_SCAN_STALE_MINUTES * 60
    )


def test_the_celery_queue_depth_is_what_waits_in_the_broker(client, db, scraper):
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
        for _ in range(3):  # published, and no worker takes them
            app.send_task("notifications.tasks.scan_reminders", connection=conn)
    try:
        samples = scrape(client)
        assert value(samples, "youjie_celery_queue_length", queue="celery") == 3
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")
    assert value(scrape(client), "youjie_celery_queue_length", queue="celery") == 0
    assert value(scrape(client), "youjie_probe_success", probe="celery") == 1


def test_the_primarys_connections_size_and_wal_archiving(client, db, scraper):
    with connection.cursor() as cursor:
        cursor.execute("SELECT failed_count, archived_count FROM pg_stat_archiver")
        failed, archived = cursor.fetchone()
        cursor.execute("SHOW max_connections")
        (max_connections,) = cursor.fetchone()
    samples = scrape(client)

    assert value(samples, "youjie_wal_archive_failures_total") == failed
    assert value(samples, "youjie_wal_archived_total") == archived
    assert value(samples, "youjie_database_max_connections") == int(max_connections)
    assert 1 <= value(samples, "youjie_database_connections") <= int(max_connections)
    assert value(samples, "youjie_database_size_bytes") > 1_000_000
    assert value(samples, "youjie_probe_success", probe="primary") == 1


@pytest.mark.usefixtures("dead_replica")
def test_a_standby_that_does_not_answer_is_down_not_a_failed_scrape(client, db, scraper, settings):
    settings.DATABASE_REPLICA_URL = "postgres://youjie_app@127.0.0.1:1/youjie"
    samples = scrape(client)
    assert value(samples, "youjie_replica_up") == 0
    assert value(samples, "youjie_probe_success", probe="replica") == 1


@pytest.mark.django_db(databases=["default", "replica"])
def test_a_replica_address_that_names_a_primary_says_so(client, scraper, settings):
    # The test settings' replica is the primary itself: what DATABASE_REPLICA_URL shows after a
    # failover promoted the standby it named.
    settings.DATABASE_REPLICA_URL = "postgres://mirror"
    try:
        samples = scrape(client)
    finally:
        connections["replica"].close()
    assert value(samples, "youjie_replica_up") == 1
    assert value(samples, "youjie_replica_in_recovery") == 0
    assert ("youjie_replica_lag_seconds", ()) not in samples


def test_disk_space_of_each_configured_path(client, db, scraper, settings, tmp_path):
    settings.METRICS_DISK_PATHS = [str(tmp_path)]
    samples = scrape(client)
    usage = shutil.disk_usage(tmp_path)
    assert value(samples, "youjie_disk_size_bytes", path=str(tmp_path)) == usage.total
    assert abs(value(samples, "youjie_disk_free_bytes", path=str(tmp_path)) - usage.free) < 50e6


def test_a_failing_probe_is_said_and_the_others_still_answer(client, db, scraper, settings):
    settings.METRICS_DISK_PATHS = ["/no/such/folder"]
    samples = scrape(client)
    assert value(samples, "youjie_probe_success", probe="disk") == 0
    assert value(samples, "youjie_probe_success", probe="outbox") == 1
    assert ("youjie_outbox_backlog", (("channel", "email"),)) in samples


@pytest.mark.django_db
@pytest.mark.timeout(240)  # two processes boot Django; slow on a busy machine
def test_one_scrape_adds_up_every_gunicorn_worker_of_the_node(settings, tmp_path):
    """Under production's gunicorn config (2 worker processes), the requests each process
    served are all in every scrape, whichever process answers it."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from bench.serve import gunicorn

    port = free_port()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "METRICS_ALLOWED_ADDRESSES": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    key = 'youjie_http_requests_total{method="GET",status="2xx",view="login"}'

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as answer:
            return answer.read().decode()

    def counted(text):
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(key))

    # One thread each: while one process serves a request, the other must take the next.
    with gunicorn(port, "-w", "2", "--threads", "1", env=env, settings="config.settings.test",
                  ready_within=30):  # fmt: skip
        get("/login/")  # the first worker has booted
        served = 1
        # On a busy machine the second worker boots later: requests go on, in rounds, until
        # both processes have served some (each writes its counts to a file of its own).
        with ThreadPoolExecutor(4) as pool:
            for _round in range(30):
                list(pool.map(get, ["/login/"] * 20))
                served += 20
                if len(list(tmp_path.glob("counter_*.db"))) == 2:
                    break
        assert len(list(tmp_path.glob("counter_*.db"))) == 2
        # However many scrapes, and whichever process answers each, the node's whole count.
        assert {counted(get("/metrics")) for _ in range(6)} == {float(served)}
