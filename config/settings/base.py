"""Settings shared by every mode, read from the environment.

Development is the default: with no DATABASE_URL and no REDIS_URL the app runs on SQLite and
a file-system Celery broker, so `make run` works on a machine with no services.
"""

import ipaddress
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_DIR = BASE_DIR / ".run"

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; the environment wins
# The built user guide (mkdocs.yml, `make docs`), served under /help/ (common/help.py).
DOCS_SITE_DIR = Path(env.str("DOCS_SITE_DIR", default=str(RUN_DIR / "docs-site")))

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-youjie")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "common",
    "outbox",
    "accounts",
    "grids",
    "cases",
    "meetings",
    "recurring",
    "notifications",
    "reports",
    "residents",
    "audit",
    "workbench",
    "demo",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "interop",
    "monitoring",
]

MIDDLEWARE = [
    # First: the load balancer's /healthz is answered before anything else runs (no session,
    # no login, no host check or HTTPS redirect: it probes each node over plain http).
    "notifications.health.HealthzMiddleware",
    # Second: requests counted and timed by view, and /metrics answered to the scraper only
    # (monitoring/metrics.py), also before sessions, the host check and the HTTPS redirect.
    "monitoring.metrics.RequestMetricsMiddleware",
    # An oversize body is refused from its Content-Length, before anything reads it.
    "common.bodylimit.RequestBodyLimitMiddleware",
    # Characters PostgreSQL cannot store, and bodies too deep or too many-fielded to parse, are
    # refused before a session, a lookup or a parser sees them.
    "common.input_guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # While no primary answers, pages read from the replica and changes wait for a primary.
    "common.replicas.PrimaryOutageMiddleware",
    # After a change, the user's reads stay on the primary database (common/replicas.py).
    "common.replicas.ReadYourWritesMiddleware",
    # Outside the session and CSRF middleware: it drops the cookies they set (cases/offline.py).
    "cases.offline.NoCookiesForKeeping",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LoginRequiredMiddleware, sending an htmx request to the login page whole.
    "accounts.session_limits.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    # What was typed before a switch (the language, larger text), for the page's forms.
    "common.drafts.DraftMiddleware",
    "accounts.session_limits.SessionLimitsMiddleware",
    "accounts.known_devices.KnownDeviceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.ScopeMiddleware",
    # Innermost: a form's address opened in the browser gets a page, not a blank 405.
    "common.not_allowed.NotAllowedPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.scope",
                "common.help.audience",
                "notifications.context_processors.bell",
                "notifications.context_processors.reminder_scan",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{RUN_DIR / 'youjie.sqlite3'}"),
}
if "DATABASE_URL" not in env:
    RUN_DIR.mkdir(exist_ok=True)  # the embedded default keeps its file in .run/
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the worker write to one file: a writer takes the lock when its
    # transaction starts and others wait for it, rather than failing with "database is locked"
    # half way (after an email has gone out, say).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A primary that is gone (a failover) is given up quickly: the page reads from the replica
    # (common/replicas.py, PrimaryOutageMiddleware).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before a request uses it, so a database restart costs the
# requests in flight, not every later request of each worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No server-side cursors: PostgreSQL plans a cursor for its first rows, which turned a 9 ms
# query for a form's choices into a 220 ms nested loop at a million cases (the access log's
# people), and a connection pooler in transaction mode (pgbouncer) cannot keep them anyway.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# Two roles on PostgreSQL (common/db_roles.py): DATABASE_URL is the app's role, which owns
# nothing, so it cannot TRUNCATE the history or switch its triggers off. DATABASE_OWNER_URL, where
# set, owns the tables: the commands that change the schema connect as it, and after `migrate`
# it grants the app role its data rights. Without it one role does both (a quick try).
DATABASE_OWNER_URL = env.str("DATABASE_OWNER_URL", default="")
SCHEMA_COMMANDS = {"migrate", "ensure_database", "flush", "createcachetable", "sqlflush"}
APP_DATABASE_ROLE = APP_DATABASE_PASSWORD = ""
if DATABASE_OWNER_URL and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    APP_DATABASE_ROLE = DATABASES["default"]["USER"]
    APP_DATABASE_PASSWORD = DATABASES["default"]["PASSWORD"]
    if len(sys.argv) > 1 and sys.argv[1] in SCHEMA_COMMANDS:
        owner = env.db_url_config(DATABASE_OWNER_URL)
        DATABASES["default"].update(
            {key: owner[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
        )

# A hot standby (PostgreSQL streaming replication) for the reads of reports, lists and exports
# (common/replicas.py). Unset: there is no replica and every query goes to DATABASE_URL.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    # A standby that does not answer is given up quickly: the page reads from the primary.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    )
DATABASE_ROUTERS = ["common.replicas.ReplicaRouter"]
# Whether the marked views read from the replica (only when one is configured).
REPLICA_READS = env.bool("REPLICA_READS", default=bool(DATABASE_REPLICA_URL))
# Reads follow writes: after a change, the user's reads stay on the primary this long.
READ_YOUR_WRITES_SECONDS = env.int("READ_YOUR_WRITES_SECONDS", default=30)
# A replica that failed to connect is left alone this long (reads go to the primary).
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=15)
# While the primary does not answer (a failover), pages read everything from the replica and
# changes wait for a primary this long (common/replicas.py, PrimaryOutageMiddleware); a
# primary that did not answer is left alone for PRIMARY_RETRY_SECONDS.
PRIMARY_OUTAGE_READS = env.bool("PRIMARY_OUTAGE_READS", default=bool(DATABASE_REPLICA_URL))
PRIMARY_WAIT_SECONDS = env.int("PRIMARY_WAIT_SECONDS", default=20)
PRIMARY_RETRY_SECONDS = env.int("PRIMARY_RETRY_SECONDS", default=3)
# Report pages say "as of <the replica's time>" when it is behind by more than this.
REPLICA_LAG_SHOWN_SECONDS = env.int("REPLICA_LAG_SHOWN_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Logins go through the throttle (accounts/throttle.py); see the README for the figures.
AUTHENTICATION_BACKENDS = ["accounts.login.ThrottledModelBackend"]
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default=5
)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=20)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_FAILURE_WINDOW_MINUTES = env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=5)
LOGIN_COOLOFF_MAX_MINUTES = env.int("LOGIN_COOLOFF_MAX_MINUTES", default=60)
LOGIN_ADDRESS_COOLOFF_MINUTES = env.int("LOGIN_ADDRESS_COOLOFF_MINUTES", default=15)
LOGIN_URL = "login"
# Staff sessions end after this long without a request, and this long after logging in
# however active (accounts/session_limits.py); phones are shared.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first: the UI speaks Simplified Chinese unless the user picks English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# A list filter left unchosen reads "All" (全部) in the reader's language, not "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Dates by language, over Django's own: MONTH_DAY_FORMAT 「12月6日」 / "Dec 6" (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded photos go through Django's storage API. On several web nodes, MEDIA_ROOT is a
# folder every node mounts (NFS, a shared volume); or, with STORAGE_S3_BUCKET set, an
# S3-compatible object store (django-storages; `pip install --group s3`, see the README).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=RUN_DIR / "media")
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")


def s3_storage() -> dict:
    """Photos in a bucket: private (read through the app, which checks who may see them)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("STORAGE_S3_REGION", default="") or None,
            "access_key": env.str("STORAGE_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("STORAGE_S3_SECRET_KEY", default="") or None,
            "location": env.str("STORAGE_S3_PREFIX", default="media"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": (
        s3_storage()
        if STORAGE_S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Every asset is served by the app itself; nothing may load from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The service worker (/sw.js) and what it imports are the app's own files.
    "worker-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Email: console in development, SMTP (or any backend) from the environment elsewhere.
_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
}


def mailers_from_url(email: dict) -> dict:
    """MAILERS from an EMAIL_URL parsed by django-environ (smtp+tls://user:pw@host:587)."""
    smtp = email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    options = {option: email[key] for key, option in _SMTP_OPTIONS.items() if smtp and key in email}
    return {"default": {"BACKEND": email["EMAIL_BACKEND"], "OPTIONS": options}}


MAILERS = mailers_from_url(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="有解 <noreply@youjie.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# How long a page waits on Redis (connect, then each command) before it gives up and the
# cache falls back to the process's memory (common/cache.py).
REDIS_CACHE_TIMEOUT_SECONDS = env.float("REDIS_CACHE_TIMEOUT_SECONDS", default=0.5)


def redis_cache(url: str) -> dict:
    """The cache on Redis, shared by every web worker (the residents' rate limits count across
    processes); when Redis does not answer, each process counts in its own memory."""
    return {
        "default": {
            "BACKEND": "common.cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
            },
        }
    }


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """REDIS_SENTINELS="127.0.0.1:26379,127.0.0.1:26380" as [(host, port), ...]."""
    addresses = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(
                f"REDIS_SENTINELS lists host:port pairs separated by commas (got {item!r})."
            )
        addresses.append((host.strip("[]"), int(port)))
    return addresses


def sentinel_cache(sentinels: list, master: str, db: int) -> dict:
    """The same cache, on whichever Redis the sentinels name as master: after a failover the
    next command goes to the new master (common/cache.py, SentinelCacheClient)."""
    return {
        "default": {
            "BACKEND": "common.cache.FallbackRedisCache",
            "LOCATION": [f"sentinel://{host}:{port}/{db}" for host, port in sentinels],
            "OPTIONS": {
                "sentinel_master": master,
                "db": db,
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
            },
        }
    }


def sentinel_broker_url(sentinels: list, db: int) -> str:
    """Celery's sentinel transport: every sentinel, separated by ';' (kombu tries each)."""
    return ";".join(f"sentinel://{host}:{port}/{db}" for host, port in sentinels)


# Broker connections that survive a broker restart or failover without the worker going quiet
# (config/celery.py says why each one is here). Shared by the Redis and Sentinel transports.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    # A task not acknowledged within an hour (its worker died) is delivered again.
    "visibility_timeout": 3600,
    # A PING on the broker connections every 10 s: a dead or half-open connection is noticed
    # and reconnected, rather than waited on for ever.
    "health_check_interval": 10,
    "socket_keepalive": True,
    # A publish (beat, the web sending a reminder) never waits long on a dead broker; the
    # consumer's BRPOP has its own timeout (kombu's brpop_timeout, 1 s) below this.
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "retry_on_timeout": True,
}

# Celery: Redis through Sentinel when REDIS_SENTINELS is set; Redis when REDIS_URL is set;
# otherwise a file-system broker that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SENTINELS = sentinel_addresses(env.str("REDIS_SENTINELS", default=""))
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="youjie")
REDIS_SENTINEL_DB = env.int("REDIS_SENTINEL_DB", default=0)
if REDIS_SENTINELS:
    CACHES = sentinel_cache(REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_DB)
    CELERY_BROKER_URL = sentinel_broker_url(REDIS_SENTINELS, REDIS_SENTINEL_DB)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **REDIS_BROKER_TRANSPORT_OPTIONS,
        "master_name": REDIS_SENTINEL_MASTER,
        # Asking the sentinels which Redis is master must not hang either.
        "sentinel_kwargs": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }
elif REDIS_URL:
    CACHES = redis_cache(REDIS_URL)
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(REDIS_BROKER_TRANSPORT_OPTIONS)
else:
    _broker_dir = RUN_DIR / "broker"
    for _folder in ("queue", "processed", "control"):  # the embedded broker keeps its messages here
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote-control) tables; kombu would otherwise write ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# After a lost broker connection the worker keeps trying, without a cap: a worker that gives
# up exits (bin/supervise starts it again), one that keeps trying resumes by itself.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the connection is lost finish (config/celery.py says why); set
# explicitly, as Celery 6 changes the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# Health (notifications/health.py): the reminder scan counts as stale, for /healthz and for the
# banner staff see, when its last run is older than this.
REMINDER_SCAN_STALE_MINUTES = env.int("REMINDER_SCAN_STALE_MINUTES", default=10)

# Metrics (monitoring/metrics.py): who may read /metrics (addresses or CIDR blocks of the
# Prometheus servers; nobody by default), the file systems whose free space it shows, and the
# pgBackRest stanza whose last backups it shows (unset: no backup figures on this node).
METRICS_ALLOWED_ADDRESSES = [
    str(ipaddress.ip_network(block, strict=False))  # a typo stops the start, not a scrape
    for block in env.list("METRICS_ALLOWED_ADDRESSES", default=[])
]
METRICS_DISK_PATHS = env.list("METRICS_DISK_PATHS", default=[str(BASE_DIR)])
PGBACKREST_STANZA = env.str("PGBACKREST_STANZA", default="")
PGBACKREST_CONFIG = env.str("PGBACKREST_CONFIG", default="")
# (PGBACKREST_STANZA and PGBACKREST_CONFIG mean to the app what they mean to pgBackRest.)
# `pgbackrest info` reads the object store: its answer is kept this long in the shared cache.
BACKUP_INFO_CACHE_SECONDS = env.int("BACKUP_INFO_CACHE_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Domain settings.
DEMO_PASSWORD = "youjie-demo-2026"
# The demo street's year of cases (the seed's scale); the restore drill of `make test` takes
# fewer, since what it proves does not grow with the rows.
DEMO_CASES_PER_YEAR = env.int("DEMO_CASES_PER_YEAR", default=2200)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CASE_PHOTO_MAX_BYTES = env.int("CASE_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
# Offline field work: how many case pages a phone keeps for reading without a signal (due
# follow-up visits first, then the newest open cases of the user's places).
OFFLINE_CASE_PAGES = env.int("OFFLINE_CASE_PAGES", default=60)
CASE_LIST_PAGE_SIZE = 25

# Reminders: how often beat scans for due reminders, and where links in emails and SMS point
# (their Message-ID's domain, too).
REMINDER_SCAN_SECONDS = env.int("REMINDER_SCAN_SECONDS", default=60)
REMINDER_MESSAGE_DOMAIN = env.str("REMINDER_MESSAGE_DOMAIN", default="youjie.local")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")

# A deliberation meeting may be opened this many minutes before it starts, not earlier.
MEETING_OPENS_MINUTES_BEFORE = env.int("MEETING_OPENS_MINUTES_BEFORE", default=30)
# A decision's public notice (公示) stays up this many days, from the day it was decided:
# the notice prints the dates, so residents know until when they may object.
NOTICE_PERIOD_DAYS = env.int("NOTICE_PERIOD_DAYS", default=7)
if NOTICE_PERIOD_DAYS < 1:  # a notice's last day before its first would print nonsense
    raise ImproperlyConfigured("NOTICE_PERIOD_DAYS is the notice's days: 1 or more.")
# Cases going to a monthly session: each person's notice of them (its e-mail and SMS) waits
# this many minutes in the outbox, and what else concerns them meanwhile goes into it.
MEETING_NOTICE_GATHER_MINUTES = env.int("MEETING_NOTICE_GATHER_MINUTES", default=10)

# Residents' public pages: how many requests and lookups one address or phone may make.
RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = env.int(
    "RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR", default=5
)
RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = env.int(
    "RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY", default=3
)
RESIDENT_LOOKUPS_PER_ADDRESS_PER_10_MINUTES = env.int(
    "RESIDENT_LOOKUPS_PER_ADDRESS_PER_10_MINUTES", default=10
)

# PIPL: searches of the case list by a full phone number (7 digits or more) are recorded in
# the access log and limited per user, so numbers cannot be found by trying candidates.
PHONE_SEARCHES_PER_USER_PER_HOUR = env.int("PHONE_SEARCHES_PER_USER_PER_HOUR", default=20)
ACCESS_LOG_PAGE_SIZE = 50

# Wrong answers (tracking code + last four digits) that lock one address out of one code for
# an hour; and, from all addresses together, after which that code's lookup asks for the full
# phone number instead of its last four digits (its owner knows it; a guesser does not).
RESIDENT_WRONG_LOOKUPS_PER_CODE_AND_ADDRESS_PER_HOUR = env.int(
    "RESIDENT_WRONG_LOOKUPS_PER_CODE_AND_ADDRESS_PER_HOUR", default=5
)
RESIDENT_WRONG_LOOKUPS_PER_CODE_PER_HOUR = env.int(
    "RESIDENT_WRONG_LOOKUPS_PER_CODE_PER_HOUR", default=20
)

# The proxies in front of the app, whose X-Forwarded-For is believed (common/ratelimit.py):
# CIDR blocks (e.g. 127.0.0.1/32 for nginx on the same host), and/or how many proxies every
# request passes through. Neither set (development): X-Forwarded-For is ignored.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(block, strict=False))  # a typo stops the start, not a request
    for block in env.list("TRUSTED_PROXIES", default=[])
]
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The API (interop): keys, calls per key, the schema and its page (no CDN: the sidecar).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["interop.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["interop.authentication.HasApiKey"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "有解 API",
    "DESCRIPTION": "Open311 GeoReport v2 for residents' apps, and the 12345 hotline webhook.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # What each operation takes and answers, written out (interop/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "interop.schema.contract",
    ],
}
API_CALLS_PER_KEY_PER_MINUTE = env.int("API_CALLS_PER_KEY_PER_MINUTE", default=120)
# Open311 reads need no key; without one they are counted per client address.
OPEN311_READS_PER_ADDRESS_PER_MINUTE = env.int("OPEN311_READS_PER_ADDRESS_PER_MINUTE", default=60)
# The 12345 hotline: how old a signed message may be, how large, and the outbox's retries.
HOTLINE_REPLAY_WINDOW_SECONDS = env.int("HOTLINE_REPLAY_WINDOW_SECONDS", default=300)
HOTLINE_MAX_BODY_BYTES = env.int("HOTLINE_MAX_BODY_BYTES", default=64 * 1024)
# Unsigned or badly signed posts to the webhook one client address may make a minute (then
# 429); they never count against the hotline's own allowance (interop/webhook.py).
HOTLINE_UNVERIFIED_PER_ADDRESS_PER_MINUTE = env.int(
    "HOTLINE_UNVERIFIED_PER_ADDRESS_PER_MINUTE", default=20
)
# Calls no key or signature vouches for are logged apart and forgotten (interop/calls.py).
UNIDENTIFIED_CALLS_KEEP_DAYS = env.int("UNIDENTIFIED_CALLS_KEEP_DAYS", default=7)
UNIDENTIFIED_CALLS_KEEP_ROWS = env.int("UNIDENTIFIED_CALLS_KEEP_ROWS", default=10000)

# The outbox (outbox/dispatch.py): e-mail, SMS and partners' status all leave through it. Each
# message is tried up to OUTBOX_MAX_ATTEMPTS times, OUTBOX_BACKOFF_SECONDS apart and doubling;
# a partner gets OUTBOX_TIMEOUT_SECONDS to answer. The beat's scan runs every
# OUTBOX_SCAN_SECONDS (config/celery.py) and sends for at most that long.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=30)
OUTBOX_TIMEOUT_SECONDS = env.float("OUTBOX_TIMEOUT_SECONDS", default=10)
OUTBOX_SCAN_SECONDS = env.float("OUTBOX_SCAN_SECONDS", default=30)
# How long a worker holds a message it is sending: longer than any send may take (the
# partner's time limit, with room), after which a dead worker's message is taken again.
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=OUTBOX_TIMEOUT_SECONDS * 3 + 30)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=90)  # sent messages, then removed
# Who sends each channel: functions of the apps above the outbox, which imports none of them.
OUTBOX_SENDERS = {
    "email": "notifications.senders.send_email",
    "sms": "notifications.senders.send_sms",
    "partner": "interop.partner_post.post",
}

# The hotline's status URL is where this server connects. In production it must be a public
# https address; the test suite's stand-in platform listens on 127.0.0.1.
HOTLINE_ALLOW_PRIVATE_ADDRESSES = env.bool("HOTLINE_ALLOW_PRIVATE_ADDRESSES", default=False)

# The report rollups' covering indexes (INCLUDE) are PostgreSQL's: the embedded SQLite default
# keeps the same indexes without the extra columns, which only saves PostgreSQL a table read.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
