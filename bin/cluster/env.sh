# The cluster on loopback: ports, directories and the app's environment, for bin/cluster/*.
# Sourced, never run. Nothing here touches the machine's own PostgreSQL (5432) or Redis (6379).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$ROOT/.run/cluster
PGBIN=/usr/lib/postgresql/15/bin
PY=$ROOT/.venv/bin/python

PG_PRIMARY_PORT=55432
PG_STANDBY_PORT=55433
REDIS_PORTS=(56379 56380)          # the master at start, and its replica
SENTINEL_PORTS=(26379 26380 26381)
HAPROXY_PORT=58000
WEB_PORTS=(58001 58002)            # web1, web2
WORKERS=(worker1 worker2)

# The app, as every node of the cluster sees it.
export DJANGO_SETTINGS_MODULE=config.settings.cluster
# The app connects as youjie_app, which owns no table (common/db_roles.py); `migrate` connects as
# the owner and grants youjie_app its rights. The standby copies both roles from the primary.
export DATABASE_OWNER_URL=postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/youjie
export DATABASE_URL=postgres://youjie_app@127.0.0.1:$PG_PRIMARY_PORT/youjie
export DATABASE_REPLICA_URL=postgres://youjie_app@127.0.0.1:$PG_STANDBY_PORT/youjie
export REDIS_SENTINELS=127.0.0.1:${SENTINEL_PORTS[0]},127.0.0.1:${SENTINEL_PORTS[1]},127.0.0.1:${SENTINEL_PORTS[2]}
export REDIS_SENTINEL_MASTER=youjie
export REDIS_SENTINEL_DB=0
export MEDIA_ROOT=$RUN/media       # the storage every node shares (NFS or S3 in production)
export CLUSTER_MAIL_DIR=$RUN/mail  # the drill's "mail server": one file per message
export SECRET_KEY=cluster-drill-only-not-secret
export ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL=http://127.0.0.1:$HAPROXY_PORT
export EMAIL_URL=smtp://127.0.0.1:25  # required by production settings; the drill writes files
export SECURE_SSL_REDIRECT=false      # loopback has no TLS; production keeps the redirect
export TRUSTED_PROXIES=127.0.0.1/32
export CONN_MAX_AGE=60
export GUNICORN_WORKERS=2 GUNICORN_THREADS=4
# Reminders come due and go out within seconds, so the drill can count them.
export REMINDER_SCAN_SECONDS=${REMINDER_SCAN_SECONDS:-5}
export REMINDER_REQUEUE_SECONDS=${REMINDER_REQUEUE_SECONDS:-20}
export REMINDER_SCAN_STALE_MINUTES=${REMINDER_SCAN_STALE_MINUTES:-2}

# Every long-running process writes its pid to $RUN/pids/<name>.pid and its log to $RUN/logs/.
pidfile() { echo "$RUN/pids/$1.pid"; }
as_postgres() { runuser -u postgres -- "$@"; }
