"""Tests run on PostgreSQL and Redis, like production (see `make test`)."""

import sys

from .base import *  # noqa: F403
from .base import env, redis_cache

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/youjie")}
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True  # as in production (base.py)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Tables emptied after a transactional test by DELETE rather than TRUNCATE (a tenth of the
    # time); everything else is Django's own PostgreSQL backend.
    DATABASES["default"]["ENGINE"] = "tests.pg_backend"
# A test database is thrown away: its commits need not wait for the disk (the suite commits
# and empties tables thousands of times). Every other rule of PostgreSQL holds as in production.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
# The replica is a test mirror of the default database: the tests of common/replicas.py turn
# REPLICA_READS on to prove where reads go (and point it at a dead port to prove the fallback).
DATABASES["replica"] = {
    **DATABASES["default"],
    "OPTIONS": {"connect_timeout": 2},
    "TEST": {"MIRROR": "default"},
}
REPLICA_READS = False
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/15")
# `make test` runs in two processes (pytest-xdist: gw0, gw1); each gets a Redis database and a
# media folder of its own, as it gets a test database of its own, since tests clear them.
# Only in pytest's own processes: a worker or server a test starts inherits the variable but
# is given the Redis it must use.
XDIST_WORKER = env.str("PYTEST_XDIST_WORKER", default="") if "xdist" in sys.modules else ""
if XDIST_WORKER:
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{int(_db or 0) - int(XDIST_WORKER.removeprefix('gw'))}"
CELERY_BROKER_URL = REDIS_URL
CACHES = redis_cache(REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# Fast hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = BASE_DIR / ".run" / f"test-media{XDIST_WORKER}"  # noqa: F405

# The reminder tests run real Celery workers, which write each email to files here.
if env.str("MAIL_DIR", default=""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env.str("MAIL_DIR")},
        }
    }

# The stand-in hotline platform of the tests listens on 127.0.0.1 over http.
HOTLINE_ALLOW_PRIVATE_ADDRESSES = True
