"""/metrics against a real hot standby: its lag is 0 while it keeps up, and grows while its
replay is held back, as when a long query on the standby or a slow disk holds it.

A PostgreSQL 15 primary and a standby made with pg_basebackup -R, both of this test's own, on
free ports below 32768 under .run/ (the postgres user runs them; the test runs as root)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connections

from tests.processes import free_port

from .test_metrics import scrape, value

PGBIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parent.parent

# No transaction around the test: the "replica" connection is pointed at the standby, which a
# connection kept open in a test transaction could not be.
pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def as_postgres(*command):
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip


@pytest.fixture
def standby(tmp_path_factory):
    if os.geteuid() != 0 or not (PGBIN / "initdb").exists():
        message = "needs root and the PostgreSQL 15 server (postgresql-15)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = ROOT / ".run" / f"metrics-standby-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.chown(folder, "postgres", "postgres")
    primary_port = free_port()
    standby_port = free_port(avoid={primary_port})
    primary, replica = folder / "primary", folder / "standby"
    as_postgres(PGBIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust")
    with open(primary / "postgresql.conf", "a") as conf:
        conf.write(f"port = {primary_port}\nlisten_addresses = '127.0.0.1'\n"
                   f"unix_socket_directories = '{folder}'\n")  # fmt: skip
    with open(primary / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    as_postgres(PGBIN / "pg_ctl", "-D", primary, "-l", folder / "primary.log", "-w", "start")
    try:
        as_postgres(PGBIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary_port, "-U",
                    "postgres", "-D", replica, "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        with open(replica / "postgresql.auto.conf", "a") as conf:
            conf.write(f"port = {standby_port}\n")
        as_postgres(PGBIN / "pg_ctl", "-D", replica, "-l", folder / "standby.log", "-w", "start")
        alias = connections["replica"]
        alias.close()
        kept = alias.settings_dict
        alias.settings_dict = {**kept, "NAME": "postgres", "USER": "postgres", "PASSWORD": "",
                               "HOST": "127.0.0.1", "PORT": standby_port}  # fmt: skip
        try:
            yield (
                f"postgres://postgres@127.0.0.1:{primary_port}/postgres",
                f"postgres://postgres@127.0.0.1:{standby_port}/postgres",
            )
        finally:
            alias.close()
            alias.settings_dict = kept
    finally:
        for data in (replica, primary):
            if (data / "postmaster.pid").exists():
                stop = [PGBIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
                subprocess.run(["runuser", "-u", "postgres", "--", *map(str, stop)],
                               capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def run(url, query):
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchone() if cursor.description else None


def wait_until(check, seconds=30):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_standbys_lag_is_zero_while_it_keeps_up_and_grows_while_replay_is_held(
    client, settings, standby
):
    primary, replica = standby
    settings.METRICS_ALLOWED_ADDRESSES = ["10.9.8.7/32"]
    settings.DATABASE_REPLICA_URL = replica
    settings.PGBACKREST_STANZA = ""
    run(primary, "CREATE TABLE t (n int)")
    run(primary, "INSERT INTO t VALUES (1)")
    wait_until(lambda: run(replica, "SELECT count(*) FROM pg_class WHERE relname = 't'")[0] == 1)
    wait_until(lambda: run(replica, "SELECT count(*) FROM t")[0] == 1)

    samples = scrape(client)
    assert value(samples, "youjie_replica_up") == 1
    assert value(samples, "youjie_replica_in_recovery") == 1
    assert value(samples, "youjie_replica_lag_seconds") == 0
    assert value(samples, "youjie_replica_replay_lag_bytes") == 0

    # Replay held back (as a long query on the standby holds it); the primary goes on writing.
    run(replica, "SELECT pg_wal_replay_pause()")
    run(primary, "INSERT INTO t VALUES (2)")
    wait_until(
        lambda: run(replica, "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0]
    )
    time.sleep(3)
    samples = scrape(client)
    assert value(samples, "youjie_replica_lag_seconds") >= 3
    assert value(samples, "youjie_replica_replay_lag_bytes") > 0

    run(replica, "SELECT pg_wal_replay_resume()")
    wait_until(lambda: run(replica, "SELECT count(*) FROM t")[0] == 2)
    assert value(scrape(client), "youjie_replica_lag_seconds") == 0


def test_a_role_that_owns_nothing_sees_the_standby_and_the_archiver(standby):
    """The app's role (youjie_app) is no superuser and has no monitoring role; /metrics reads
    the standbys and WAL archiving as it."""
    from monitoring.metrics import ARCHIVER_SQL

    primary, _replica = standby
    run(primary, "CREATE ROLE plain LOGIN")
    row = run(primary.replace("postgres@", "plain@"), ARCHIVER_SQL)
    archiving, archived, failed, _last_archived, _last_failed, standbys = row
    assert (archiving, archived, failed, standbys) == (False, 0, 0, 1)
