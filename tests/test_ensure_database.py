"""`make run` with DATABASE_URL set creates the PostgreSQL database on a fresh server."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from django.db import connection

from tests.processes import own_name

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_database_is_created_once(db):
    name = own_name("fresh_server_check")
    host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    user = connection.settings_dict["USER"]
    admin = {"dbname": "postgres", "host": host, "port": port, "user": user, "autocommit": True}
    with psycopg.connect(**admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    env = {**os.environ, "DATABASE_URL": f"postgres://{user}@{host}:{port}/{name}"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    command = [sys.executable, "manage.py", "ensure_database"]
    try:
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert first.returncode == 0 and f"Created the database {name}." in first.stdout
        assert second.returncode == 0 and second.stdout == ""
    finally:
        with psycopg.connect(**admin) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}"')
