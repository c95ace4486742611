"""Create the PostgreSQL database DATABASE_URL names when it does not exist yet, so that
`make run` with DATABASE_URL set works on a fresh server. SQLite needs nothing."""

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL if it is missing."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            return
        settings = connection.settings_dict
        params = {
            "host": settings["HOST"] or None,
            "port": settings["PORT"] or None,
            "user": settings["USER"] or None,
            "password": settings["PASSWORD"] or None,
        }
        name = settings["NAME"]
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as server:
                exists = server.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if not exists:
                    server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    self.stdout.write(f"Created the database {name}.")
        except psycopg.Error as error:
            message = f"Cannot reach PostgreSQL to check the database {name}: {error}"
            raise CommandError(message) from error
