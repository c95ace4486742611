"""The worker as shipped (bin/worker, config/celery.py WORKER_OPTIONS) keeps consuming after
its Redis broker restarts: the same process, no supervisor restart, the next reminder scan
runs and records its heartbeat."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from notifications.models import Heartbeat
from tests.processes import free_port, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]
ROOT = Path(__file__).resolve().parent.parent


class Broker:
    def __init__(self, directory, port):
        self.directory, self.port, self.process = directory, port, None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: redis.Redis(port=self.port).ping(), 10, "redis-server")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def broker(tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs redis-server")
        pytest.skip("no redis-server binary here: apt-get install redis-server")
    server = Broker(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(broker, tmp_path):
    db = connection.settings_dict
    log = tmp_path / "worker.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{broker.port}/0",
    }
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "worker"), "--concurrency=1", "--loglevel=INFO", "-n", "w1@%h"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process.log = log
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_shipped_worker_consumes_again_after_the_broker_restarts(broker, worker):
    # Not the current app: the tests after this one send through the project's own.
    sender = Celery(broker=f"redis://127.0.0.1:{broker.port}/0", set_as_current=False)

    def scan_ran():
        return Heartbeat.objects.filter(name="reminder_scan").exists()

    sender.send_task("notifications.tasks.scan_reminders")
    wait_until(scan_ran, 90, "the first scan", worker.log)

    broker.stop()  # Redis restarts: every connection of the worker is cut, the queue is empty
    time.sleep(2)
    broker.start()
    Heartbeat.objects.all().delete()
    restarted = time.monotonic()
    sender.send_task("notifications.tasks.scan_reminders")
    wait_until(scan_ran, 90, "a scan after the broker restarted", worker.log)
    took = time.monotonic() - restarted

    assert worker.poll() is None  # the same process: it reconnected, nobody restarted it
    log = worker.log.read_text(errors="replace")
    assert "Connection to broker lost" in log
    assert "mingle: searching for neighbors" not in log  # --without-mingle
    print(f"\nthe worker consumed again {took:.1f} s after Redis came back")
