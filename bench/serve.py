"""What the benchmark and the load test share: the app under gunicorn, and a logged-in cookie."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def session_key(user) -> str:
    """A session for `user` written straight to the session store, as a login would leave it."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@contextmanager
def gunicorn(port, *options, env=None):
    """The app under gunicorn on 127.0.0.1:`port` with the bench settings, stopped on exit."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            *options,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", **(env or {})},
        start_new_session=True,
    )
    try:
        time.sleep(3)  # the workers import Django and open their first connection
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
