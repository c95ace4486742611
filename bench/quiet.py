"""A measurement taken while the database is still writing out a load is a measurement of the
load. After seeding, `settle()` forces a checkpoint and waits until PostgreSQL is quiet: no
autovacuum or other session working, and the WAL not growing. The machine's load average is
recorded around every round, so a noisy figure shows as noisy."""

import os
import time

from django.db import connection

QUIET_WAL_BYTES = 256 * 1024  # per 5 s: hint bits and stats, not a load being written out


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _busy_sessions(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND datname = current_database() "
        "AND (state = 'active' OR backend_type = 'autovacuum worker')"
    )
    return cursor.fetchone()[0]


def _wal_bytes(cursor) -> int:
    cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    return int(cursor.fetchone()[0])


def settle(timeout=600) -> dict:
    """CHECKPOINT, then wait (at most `timeout` s) for 5 quiet seconds. Returns what it saw."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        while True:
            before = _wal_bytes(cursor)
            time.sleep(5)
            written = _wal_bytes(cursor) - before
            busy = _busy_sessions(cursor)
            waited = time.monotonic() - started
            if (written < QUIET_WAL_BYTES and not busy) or waited > timeout:
                return {
                    "settled_after_s": round(waited, 1),
                    "quiet": waited <= timeout,
                    "wal_bytes_last_5s": written,
                    "load_average": load_average(),
                }
