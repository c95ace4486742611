"""Settings for the benchmark: production-like (no debug), on the bench database."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env

DEBUG = False
ALLOWED_HOSTS = ["*"]
# BENCH_DATABASE names the database (default youjie_bench); BENCH_DATABASE_URL, when set, wins.
DATABASES["default"] = env.db(
    "BENCH_DATABASE_URL",
    default="postgres://postgres@127.0.0.1:5432/" + env.str("BENCH_DATABASE", "youjie_bench"),
)
DATABASES["default"]["CONN_MAX_AGE"] = 60  # as the peer's settings
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True  # as in production (base.py)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Sessions as production keeps them: in a cookie signed with SECRET_KEY, read with no query
# (config/settings/production.py says why). SESSION_ENGINE=…backends.db measures the other way.
SESSION_ENGINE = env.str(
    "SESSION_ENGINE", default="django.contrib.sessions.backends.signed_cookies"
)
