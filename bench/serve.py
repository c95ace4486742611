"""What the benchmark and the load test share: the app under gunicorn, and a logged-in cookie."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def session_key(user) -> str:
    """A session for `user` written straight to the session store, as a login would leave it."""
    from importlib import import_module

    from django.conf import settings

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"  # the one production uses


@contextmanager
def gunicorn(port, *options, env=None, settings="bench.settings", ready_within=None):
    """The app under gunicorn on 127.0.0.1:`port`, with production's gunicorn config and the
    bench settings, stopped on exit. `options` override the config (e.g. "-w", "2")."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONFIG),
            *options,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings, **(env or {})},
        start_new_session=True,
    )
    try:
        if ready_within is None:
            time.sleep(3)  # the workers import Django and open their first connection
        else:
            wait_for_port(port, ready_within)
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)


def wait_for_port(port, seconds):
    """Until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
