"""Redis through Sentinel: the settings, and the cache and the broker surviving a failover.

REDIS_SENTINELS makes the Celery broker kombu's sentinel transport and the cache ask the
sentinels for the master. The live tests start a Redis master, a replica of it and a sentinel
on free ports, kill the master, and use the cache and the broker again once the sentinel has
promoted the replica: no setting changes, no restart.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest
import redis
from django.conf import settings
from kombu import Connection
from redis.sentinel import MasterNotFoundError, Sentinel

from common.cache import FallbackRedisCache, forget_failures
from config.settings.base import sentinel_broker_url, sentinel_cache
from tests.processes import free_port, printed_json, run_python, wait_until

MASTER = "youjie"


def test_sentinel_settings_make_the_broker_sentinels_and_the_cache_follow_the_master():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "REDIS_SENTINELS": "127.0.0.1:26379, 127.0.0.1:26380,127.0.0.1:26381",
        "REDIS_SENTINEL_DB": "2",
    }
    script = (
        "import json; import django; django.setup(); from django.conf import settings; "
        "from config.celery import app; c = app.connection_for_write(); "
        "print(json.dumps({'url': settings.CELERY_BROKER_URL, 'transport': c.transport_cls, "
        "'alt': c.alt, 'options': app.conf.broker_transport_options, "
        "'cache': settings.CACHES['default']}))"
    )
    found = printed_json(env, script)
    assert found["transport"] == "sentinel"
    assert found["url"] == (
        "sentinel://127.0.0.1:26379/2;sentinel://127.0.0.1:26380/2;sentinel://127.0.0.1:26381/2"
    )
    assert len(found["alt"]) == 3
    assert found["options"]["master_name"] == MASTER  # the default master name
    assert found["options"]["health_check_interval"] > 0
    assert found["cache"]["OPTIONS"]["sentinel_master"] == MASTER
    assert found["cache"]["OPTIONS"]["db"] == 2


def test_a_malformed_sentinel_list_stops_the_start_with_a_message():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env["REDIS_SENTINELS"] = "127.0.0.1"  # no port
    result = run_python(env, "import django; django.setup()")
    assert result.returncode != 0
    assert "REDIS_SENTINELS lists host:port pairs" in result.stderr


# Live: a master, a replica and a sentinel ---------------------------------------------------
class Topology:
    def __init__(self, directory):
        self.directory = directory
        self.master_port = free_port()
        self.replica_port = free_port()
        self.sentinel_port = free_port()
        self.processes = {}

    def _start(self, name, *args):
        log = open(self.directory / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            ["redis-server", *args], stdout=log, stderr=subprocess.STDOUT
        )

    def _server(self, name, port, *extra):
        folder = self.directory / name
        folder.mkdir()
        self._start(
            name,
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder), *extra,
        )  # fmt: skip
        wait_until(
            lambda: redis.Redis(port=port).ping(),
            10,
            f"{name} on {port}",
            log=self.directory / f"{name}.log",
        )

    def start(self):
        # Redis 7 waits 5 s for more replicas before a first full sync; here there is one.
        self._server("master", self.master_port, "--repl-diskless-sync-delay", "0")
        self._server(
            "replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port)
        )
        wait_until(
            lambda: (
                redis.Redis(port=self.replica_port).info("replication")["master_link_status"]
                == "up"
            ),
            15,
            "the replica to follow the master",
        )
        config = self.directory / "sentinel.conf"
        config.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 1000\n"
            f"sentinel failover-timeout {MASTER} 5000\n"
        )
        self._start("sentinel", str(config), "--sentinel")
        wait_until(
            lambda: self.master() == self.master_port,
            10,
            "the sentinel to see the master",
            log=self.directory / "sentinel.log",
        )
        wait_until(
            lambda: self.sentinel().sentinel_slaves(MASTER), 15, "the sentinel to see the replica"
        )

    def sentinel(self):
        return redis.Redis(port=self.sentinel_port, socket_timeout=2)

    def master(self):
        host, port = self.sentinel().sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def promoted(self):
        """The failover is over for clients: the sentinel names the replica, up, as master."""
        manager = Sentinel([("127.0.0.1", self.sentinel_port)], socket_timeout=1)
        try:
            return manager.discover_master(MASTER)[1] == self.replica_port
        except MasterNotFoundError:
            return False

    def kill_master(self):
        self.processes["master"].send_signal(signal.SIGKILL)
        self.processes["master"].wait(10)

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def topology(tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs redis-server (apt-get install redis-server redis-sentinel)")
        pytest.skip("no redis-server binary here: apt-get install redis-server redis-sentinel")
    started = Topology(tmp_path)
    try:
        started.start()
        yield started
    finally:
        started.stop()


@pytest.mark.live
def test_the_cache_and_the_broker_go_on_through_a_sentinel_failover(topology):
    sentinels = [("127.0.0.1", topology.sentinel_port)]
    cache_settings = sentinel_cache(sentinels, MASTER, 0)["default"]
    cache = FallbackRedisCache(cache_settings["LOCATION"], cache_settings)
    broker = Connection(
        sentinel_broker_url(sentinels, 0),
        transport_options={**settings.REDIS_BROKER_TRANSPORT_OPTIONS, "master_name": MASTER},
    )
    master = redis.Redis(port=topology.master_port)
    promoted = redis.Redis(port=topology.replica_port)

    cache.set("rate:before", 7, 60)
    assert cache.get("rate:before") == 7
    assert master.exists(cache.make_key("rate:before"))  # on the master, not in memory
    with broker.SimpleQueue("health") as queue:
        queue.put({"n": 1})
    assert master.llen("health") == 1  # queued on the master
    # Redis replicates asynchronously: what the master acknowledged in the last instant may be
    # lost with it. Operators who need a write kept ask for WAIT; here it makes "before" mean
    # "reached the replica" rather than "written a moment before the kill".
    assert master.wait(1, 10_000) == 1

    topology.kill_master()
    failed_at = time.monotonic()
    wait_until(topology.promoted, 30, "the failover")
    promoted_after = time.monotonic() - failed_at
    forget_failures()  # what this process counted in memory while there was no master

    cache.set("rate:after", 8, 60)
    assert cache.get("rate:after") == 8
    assert cache.get("rate:before") == 7  # replicated before the master died
    assert promoted.exists(cache.make_key("rate:after"))
    # A worker reconnects after a lost connection (the same URL, the sentinels asked again),
    # and finds the message queued before the failover on the new master.
    broker.release()
    broker = broker.clone()
    with broker.SimpleQueue("health") as queue:
        queue.put({"n": 2})
        assert [queue.get(timeout=5).payload for _ in range(2)] == [{"n": 1}, {"n": 2}]
    broker.release()
    print(f"\nsentinel promoted the replica {promoted_after:.1f} s after the master was killed")


@pytest.mark.live
def test_healthz_checks_the_broker_through_the_sentinels(topology, client, monkeypatch):
    from config.celery import app

    sentinels = [("127.0.0.1", topology.sentinel_port)]
    monkeypatch.setitem(app.conf, "broker_url", sentinel_broker_url(sentinels, 0))
    monkeypatch.setitem(
        app.conf,
        "broker_transport_options",
        {**settings.REDIS_BROKER_TRANSPORT_OPTIONS, "master_name": MASTER},
    )
    try:
        body = client.get("/healthz?checks=broker").json()
        assert body["checks"]["broker"]["ok"], body
        assert body["checks"]["broker"]["transport"] == "sentinel"
        topology.kill_master()
        topology.processes["replica"].send_signal(signal.SIGKILL)  # no Redis left to promote
        response = client.get("/healthz?checks=broker")
        assert response.status_code == 503
        assert not response.json()["checks"]["broker"]["ok"]
    finally:
        app.close()  # drop the connections to the sentinels: the next test builds its own


def test_production_runs_on_sentinels_and_a_replica_without_redis_url():
    from tests.test_deploy import production

    result = production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        without=["REDIS_URL"],
        REDIS_SENTINELS="10.0.0.5:26379,10.0.0.6:26379,10.0.0.7:26379",
        DATABASE_URL="postgres://youjie@10.0.0.2:5432/youjie",
        DATABASE_REPLICA_URL="postgres://youjie@10.0.0.3:5432/youjie",
    )
    assert result.returncode == 0, result.stdout + result.stderr
