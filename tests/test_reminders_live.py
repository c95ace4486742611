"""Reminders under faults, with a real Celery worker and beat on a real Redis.

Each test starts its own redis-server (so it may stop it) and Celery processes against the
test database, makes reminders fall due, and counts what reached the mail files: every
reminder sent, none twice. Figures are printed: run with `-s` to read them.
"""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from accounts.models import RoleKind
from notifications.models import Notification
from outbox.models import State
from tests.factories import CaseFactory, UserFactory, make_role
from tests.outbox_helpers import notices
from tests.processes import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]
ROOT = Path(__file__).resolve().parent.parent
# How long the broker stays down, longer than the outbox's lease: 8 s in `make test`, the full
# minute in `make live`.
OUTAGE_SECONDS = int(os.environ.get("BROKER_OUTAGE_SECONDS", "8"))
# Overdue cases in the killed-worker batch, two reminders each: 300 in `make test`, 1,000 in
# `make live` (REMINDER_SOAK_CASES=500), the same proof at the size a street's morning has.
SOAK_CASES = int(os.environ.get("REMINDER_SOAK_CASES", "150"))


class RedisServer:
    """A redis-server of the test's own, on a free port: it may stop it, and nothing else
    (another test, another suite on the machine) shares it."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Celery:
    """Worker and beat processes, each in its own process group so kill -9 takes it whole."""

    def __init__(self, tmp_path, redis_port):
        db = connection.settings_dict
        self.mail_dir = tmp_path / "mail"
        self.tmp = tmp_path
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "MAIL_DIR": str(self.mail_dir),
            "REMINDER_SCAN_SECONDS": "1",
            # The outbox's scan finds what the broker lost; a dead worker's claim comes back
            # when its lease ends: a mail file is written in milliseconds, so 5 s is room.
            "OUTBOX_SCAN_SECONDS": "1",
            "OUTBOX_LEASE_SECONDS": "5",
        }
        self.processes = []

    def _start(self, *args, name):
        """Each process runs under bin/supervise, as `make run` and the production units
        run it: a worker that gives up during a broker outage is started again."""
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        command = [sys.executable, "-m", "celery", "-A", "config", *args]
        process = subprocess.Popen(
            [str(ROOT / "bin" / "supervise"), name, "--", *command],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def worker(self, name="w1"):
        return self._start(
            "worker",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@%h",
            name=name,
        )

    def beat(self, name="beat1"):
        return self._start(
            "beat",
            "--loglevel=WARNING",
            f"--schedule={self.tmp / name}",
            f"--pidfile={self.tmp / name}.pid",
            name=name,
        )

    @staticmethod
    def kill(process):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def log_tails(self, lines=25):
        """The end of each process's log, for a failure message."""
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.tmp.glob("*.log"))
        )

    def mail_ids(self):
        ids = []
        for path in self.mail_dir.glob("*"):
            ids += re.findall(
                r"^Message-ID: (<notification-\d+-email@[^>]+>)", path.read_text(), re.M
            )
        return ids


@pytest.fixture
def services(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    celery = Celery(tmp_path, server.port)
    yield server, celery
    celery.stop_all()
    server.stop()


@pytest.fixture
def officers(places, personas):
    """Two officers of 春光社区 who read reminders by email."""
    personas.officer_chunguang.email = "chunguang@example.org"
    personas.officer_chunguang.save()
    second = UserFactory(username="officer_chunguang_2", email="chunguang2@example.org")
    make_role(second, RoleKind.COMMUNITY_OFFICER, places.chunguang)
    return [personas.officer_chunguang, second]


def overdue_cases(places, n):
    late = timezone.now() - timedelta(hours=2)
    return [CaseFactory(grid=places.cg1, response_deadline=late) for _ in range(n)]


def wait_until(condition, timeout, what, celery=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = celery.log_tails() if celery else ""
    raise AssertionError(f"timed out waiting for {what}; {sent()} sent\n{logs}")


def sent():
    return notices().filter(state=State.SENT).count()


def report(label, celery, expected):
    """`sent` counts distinct messages (a mail system drops a second copy of a Message-ID);
    `repeats` counts copies handed over twice, which only a worker dying between the mail
    server's acceptance and the commit can cause."""
    ids = celery.mail_ids()
    figures = {
        "reminders": Notification.objects.count(),
        "sent": len(set(ids)),
        "expected": expected,
        "duplicates": notices().values("source", "channel").count()
        - notices().values("source", "channel").distinct().count(),
        "repeats": len(ids) - len(set(ids)),
    }
    print(f"\n[{label}] " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return figures


def test_two_beats_and_a_worker_send_each_reminder_once(places, officers, services):
    server, celery = services
    overdue_cases(places, 60)
    celery.worker()
    celery.beat("beat1")
    celery.beat("beat2")
    wait_until(lambda: sent() == 120, 90, "120 deliveries", celery)
    time.sleep(3)  # more scans from both beats: nothing new may appear
    figures = report("two beats", celery, 120)
    assert figures == {
        "reminders": 120,
        "sent": 120,
        "expected": 120,
        "duplicates": 0,
        "repeats": 0,
    }


def test_a_batch_of_reminders_with_the_worker_killed_mid_batch(places, officers, services):
    server, celery = services
    total = 2 * SOAK_CASES  # two officers each
    overdue_cases(places, SOAK_CASES)
    worker = celery.worker("w1")
    celery.beat()
    wait_until(lambda: sent() >= 100, 120, "the first deliveries", celery)
    celery.kill(worker)  # kill -9, mid-batch
    killed_at = sent()
    celery.worker("w2")
    wait_until(lambda: sent() == total, 240, f"{total} deliveries", celery)
    figures = report(f"worker killed at {killed_at} sent", celery, total)
    assert killed_at < total
    repeats = figures.pop("repeats")
    assert figures == {"reminders": total, "sent": total, "expected": total, "duplicates": 0}
    assert repeats <= 2  # at most the two messages in flight when the worker died


def test_redis_down_for_a_while_loses_and_repeats_nothing(places, officers, services):
    server, celery = services
    overdue_cases(places, 40)
    celery.worker()
    celery.beat()
    wait_until(lambda: sent() >= 10, 90, "the first deliveries", celery)
    server.stop()
    stopped_at = sent()
    overdue_cases(places, 40)  # more fall due while the broker is away
    time.sleep(OUTAGE_SECONDS)
    server.start()
    wait_until(lambda: sent() == 160, 180, "160 deliveries after Redis came back", celery)
    figures = report(f"Redis down {OUTAGE_SECONDS} s at {stopped_at} sent", celery, 160)
    assert figures == {
        "reminders": 160,
        "sent": 160,
        "expected": 160,
        "duplicates": 0,
        "repeats": 0,
    }
