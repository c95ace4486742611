"""What the tests that start processes share: a free port, waiting for a condition, and the
project's Python run with an environment of its own (settings read as a new process would)."""

import json
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent


def _ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (Linux's default if unreadable)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port(avoid=()) -> int:
    """A port nothing listens on, for a server a test starts a moment later.

    Chosen at random below the kernel's range for outgoing connections: a port from that
    range (what binding port 0 gives) can be taken by any client connecting meanwhile, e.g. a
    replica dialling its master, and the server then fails with "Address already in use".
    `avoid`: ports already chosen for servers not started yet.
    """
    ephemeral = _ephemeral_ports()
    candidates = [p for p in range(20000, 32000) if p not in ephemeral and p not in avoid]
    for port in random.sample(candidates, 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def wait_until(condition, timeout, what, log=None, every=0.1):
    """Until `condition()` is true (a Redis error counts as not yet); else fail, with the last
    lines of `log` when given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        time.sleep(every)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}".rstrip())


def run_python(env, code, timeout=60) -> subprocess.CompletedProcess:
    """`python -c code` in the project, with exactly `env`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def printed_json(env, code, timeout=60):
    """What `code` printed last, as JSON; the process must succeed."""
    result = run_python(env, code, timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def own_name(suffix: str) -> str:
    """A database or role name for a test to create, belonging to this run's test database
    (test_youjie_gw0_roles): two runs of the suite on one PostgreSQL, each with its own
    DATABASE_URL, never create, grant or drop each other's."""
    from django.db import connection

    return f"{connection.settings_dict['NAME']}_{suffix}"
