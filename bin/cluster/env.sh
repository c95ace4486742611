# The cluster on loopback: ports, directories and the app's environment, for bin/cluster/*.
# Sourced, never run. Nothing here touches the machine's own PostgreSQL (5432) or Redis (6379).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$ROOT/.run/cluster
PGBIN=/usr/lib/postgresql/15/bin
PY=$ROOT/.venv/bin/python

# Every port sits below 32768, outside Linux's ephemeral range (32768-60999, where the kernel
# picks the local port of every outgoing connection): an outgoing connection of any process on
# the machine could otherwise hold a port the cluster is about to bind. They are laid out from
# one base, so a second clone can run its cluster beside this one (CLUSTER_PORT_BASE=22000);
# up.sh checks that each is free before it starts anything.
BASE=${CLUSTER_PORT_BASE:-21000}
HAPROXY_PORT=$BASE                       # the web pool
WEB_PORTS=($((BASE + 1)) $((BASE + 2)))  # web1, web2
PG_HAPROXY_PRIMARY=$((BASE + 10))        # HAProxy: whichever PostgreSQL Patroni says is primary
PG_HAPROXY_REPLICA=$((BASE + 11))        # HAProxy: the running standbys
PG_NODES=(pg1 pg2 pg3)
PG_PORTS=($((BASE + 21)) $((BASE + 22)) $((BASE + 23)))
PITR_PORT=$((BASE + 24))                 # the point-in-time recovery server of pitr.sh
PATRONI_PORTS=($((BASE + 31)) $((BASE + 32)) $((BASE + 33)))  # Patroni's REST API per node
ETCD_CLIENT_PORTS=($((BASE + 41)) $((BASE + 42)) $((BASE + 43)))
ETCD_PEER_PORTS=($((BASE + 51)) $((BASE + 52)) $((BASE + 53)))
REDIS_PORTS=($((BASE + 61)) $((BASE + 62)))  # the master at start, and its replica
SENTINEL_PORTS=($((BASE + 71)) $((BASE + 72)) $((BASE + 73)))
WORKERS=(worker1 worker2)
ALL_PORTS=("$HAPROXY_PORT" "${WEB_PORTS[@]}" "$PG_HAPROXY_PRIMARY" "$PG_HAPROXY_REPLICA"
  "${PG_PORTS[@]}" "$PITR_PORT" "${PATRONI_PORTS[@]}" "${ETCD_CLIENT_PORTS[@]}"
  "${ETCD_PEER_PORTS[@]}" "${REDIS_PORTS[@]}" "${SENTINEL_PORTS[@]}")
ETCD_HOSTS=$(printf '127.0.0.1:%s,' "${ETCD_CLIENT_PORTS[@]}"); ETCD_HOSTS=${ETCD_HOSTS%,}
export CLUSTER_HAPROXY_PORT=$HAPROXY_PORT CLUSTER_WEB_PORTS="${WEB_PORTS[*]}"
export CLUSTER_REDIS_PORTS="${REDIS_PORTS[*]}" CLUSTER_PATRONI_PORTS="${PATRONI_PORTS[*]}"
export CLUSTER_PG_PORTS="${PG_PORTS[*]}" CLUSTER_ETCD_HOSTS=$ETCD_HOSTS

# The app, as every node of the cluster sees it.
export DJANGO_SETTINGS_MODULE=config.settings.cluster
# The app connects as youjie_app, which owns no table (common/db_roles.py); `migrate` connects as
# the owner and grants youjie_app its rights. The standbys copy both roles from the primary.
# Nobody names a PostgreSQL node: HAProxy sends the primary port to whichever node Patroni
# says is primary, and the replica port to the running standbys, so a failover changes no
# setting anywhere.
export DATABASE_OWNER_URL=postgres://postgres@127.0.0.1:$PG_HAPROXY_PRIMARY/youjie
export DATABASE_URL=postgres://youjie_app@127.0.0.1:$PG_HAPROXY_PRIMARY/youjie
export DATABASE_REPLICA_URL=postgres://youjie_app@127.0.0.1:$PG_HAPROXY_REPLICA/youjie
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
# Reminders come due and go out within seconds, so the drill can count them; the outbox's scan
# finds what a lost task or a dead worker left.
export REMINDER_SCAN_SECONDS=${REMINDER_SCAN_SECONDS:-5}
export OUTBOX_SCAN_SECONDS=${OUTBOX_SCAN_SECONDS:-5}
export REMINDER_SCAN_STALE_MINUTES=${REMINDER_SCAN_STALE_MINUTES:-2}

# Every long-running process writes its pid to $RUN/pids/<name>.pid and its log to $RUN/logs/.
pidfile() { echo "$RUN/pids/$1.pid"; }
as_postgres() { runuser -u postgres -- "$@"; }
pg_port() { echo "${PG_PORTS[${1#pg} - 1]}"; }            # pg2 → its PostgreSQL port
patroni_port() { echo "${PATRONI_PORTS[${1#pg} - 1]}"; }  # pg2 → its Patroni REST port
patronictl() { command patronictl -c "$RUN/patroni/pg1.yml" "$@"; }
