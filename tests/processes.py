"""What the tests that start processes share: a free port, waiting for a condition, and the
project's Python run with an environment of its own (settings read as a new process would)."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
