#!/usr/bin/env bash
# Bring the cluster up on loopback, from nothing, under .run/cluster/:
#   PostgreSQL primary (:55432, WAL archived to .run/cluster/wal-archive) and a hot standby
#   made with pg_basebackup -R (:55433); Redis master (:56379), replica (:56380) and three
#   sentinels (:26379-26381); 2 gunicorn web nodes (:58001, :58002) behind HAProxy (:58000,
#   health check /healthz); 2 Celery workers and one beat; the demo city migrated and seeded.
# Everything runs from Debian packages and the project's venv; bin/cluster/down.sh stops it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
node() { bin/cluster/node.sh "$@"; }

for tool in haproxy redis-server redis-sentinel "$PGBIN/initdb"; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install -y haproxy redis-server redis-sentinel postgresql-15"
    exit 1
  }
done

bin/cluster/down.sh >/dev/null 2>&1 || true
rm -rf "$RUN"
mkdir -p "$RUN"/{pids,logs,redis,media,mail,pg/wal-archive}
chown -R postgres:postgres "$RUN/pg"
# PostgreSQL runs as the postgres user, which must reach its data directory from here.
as_postgres test -w "$RUN/pg" || {
  echo "The postgres user cannot write $RUN/pg: every folder above it must be searchable"
  echo "by others (chmod o+x), or clone the project elsewhere."
  exit 1
}

# PostgreSQL -------------------------------------------------------------------------------
say "PostgreSQL primary on :$PG_PRIMARY_PORT"
as_postgres "$PGBIN/initdb" -D "$RUN/pg/primary" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$RUN/logs/initdb.log"
cat >>"$RUN/pg/primary/postgresql.conf" <<CONF
# The cluster drill (bin/cluster/up.sh)
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$RUN/pg'
max_connections = 150
wal_level = replica
max_wal_senders = 5
hot_standby = on
hot_standby_feedback = on
# Every finished WAL segment is copied to the archive: with a base backup, point-in-time
# recovery to any moment since (see the README, "Backups and point-in-time recovery").
archive_mode = on
archive_command = 'test ! -f $RUN/pg/wal-archive/%f && cp %p $RUN/pg/wal-archive/%f'
archive_timeout = 60
CONF
echo "host replication all 127.0.0.1/32 trust" >>"$RUN/pg/primary/pg_hba.conf"
as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/primary" -l "$RUN/pg/primary.log" -w start >/dev/null
"$PGBIN/psql" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -qc "CREATE DATABASE youjie"

say "hot standby on :$PG_STANDBY_PORT (pg_basebackup -R)"
as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres \
  -D "$RUN/pg/standby" -R -X stream -c fast
echo "port = $PG_STANDBY_PORT" >>"$RUN/pg/standby/postgresql.auto.conf"
node start standby

# Redis and Sentinel -------------------------------------------------------------------------
say "Redis master :${REDIS_PORTS[0]}, replica :${REDIS_PORTS[1]}, sentinels :${SENTINEL_PORTS[*]}"
for port in "${REDIS_PORTS[@]}"; do
  mkdir -p "$RUN/redis/$port"
  {
    echo "port $port"
    echo "bind 127.0.0.1"
    echo "daemonize yes"
    echo "pidfile $(pidfile "redis-$port")"
    echo "logfile $RUN/logs/redis-$port.log"
    echo "dir $RUN/redis/$port"
    echo "appendonly yes"      # the broker's queue survives a restart of its node
    echo "appendfsync everysec"
    [ "$port" != "${REDIS_PORTS[0]}" ] && echo "replicaof 127.0.0.1 ${REDIS_PORTS[0]}"
  } >"$RUN/redis/redis-$port.conf"
  node start "redis-$port"
done
for port in "${SENTINEL_PORTS[@]}"; do
  mkdir -p "$RUN/redis/s$port"
  cat >"$RUN/redis/sentinel-$port.conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
pidfile $(pidfile "sentinel-$port")
logfile $RUN/logs/sentinel-$port.log
dir $RUN/redis/s$port
sentinel monitor $REDIS_SENTINEL_MASTER 127.0.0.1 ${REDIS_PORTS[0]} 2
sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER 2000
sentinel failover-timeout $REDIS_SENTINEL_MASTER 10000
sentinel parallel-syncs $REDIS_SENTINEL_MASTER 1
CONF
  node start "sentinel-$port"
done
for _ in $(seq 1 100); do  # every sentinel knows the replica and the other two sentinels
  ready=0
  for port in "${SENTINEL_PORTS[@]}"; do
    info=$(redis-cli -p "$port" sentinel master "$REDIS_SENTINEL_MASTER" 2>/dev/null | paste -sd' ')
    [[ $info =~ num-slaves\ 1\ .*num-other-sentinels\ 2 ]] && ready=$((ready + 1))
  done
  [ "$ready" = 3 ] && break
  sleep 0.2
done
[ "$ready" = 3 ] || { echo "the sentinels did not find each other"; exit 1; }

# The app ------------------------------------------------------------------------------------
say "migrate, seed the demo city, collect static files"
"$PY" manage.py compilemessages --ignore=.venv -v0
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo | sed -n 1p
if [ "${CLUSTER_EXTRA_CASES:-0}" -gt 0 ]; then  # a bigger city: bench/seed.py's streets
  "$PY" -c "import django; django.setup(); from bench import seed; \
    seed.seed_cases(seed.case_count() + $CLUSTER_EXTRA_CASES)"
fi
"$PY" manage.py collectstatic --noinput -v0

say "web1 :${WEB_PORTS[0]}, web2 :${WEB_PORTS[1]}, ${WORKERS[*]}, beat"
for name in web1 web2 "${WORKERS[@]}" beat; do node start "$name"; done

say "HAProxy :$HAPROXY_PORT"
cat >"$RUN/haproxy.cfg" <<CONF
global
  maxconn 2000
  stats socket $RUN/haproxy.sock mode 600 level admin

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # A request refused by a dead node is tried once more on the other one.
  retries 2
  option redispatch 1
  option http-server-close

frontend youjie
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend web

backend web
  balance leastconn
  http-response set-header X-Served-By %s  # which node answered: the drill counts per node
  # A node leaves the pool after 2 failed checks a second apart, and is back after 2 good ones.
  option httpchk
  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
  server web1 127.0.0.1:${WEB_PORTS[0]} check
  server web2 127.0.0.1:${WEB_PORTS[1]} check
  # When every node fails its check at once, the cause is shared (Redis failing over, the
  # reminder scan late), not a node: serve from all of them rather than answer 503 to all.
  option allbackups
  server web1-any 127.0.0.1:${WEB_PORTS[0]} backup
  server web2-any 127.0.0.1:${WEB_PORTS[1]} backup
CONF
node start haproxy

for _ in $(seq 1 300); do  # both nodes pass /healthz
  up=$(echo "show stat" | "$PY" -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect('$RUN/haproxy.sock'); s.sendall(b'show stat\n')
data = b''.join(iter(lambda: s.recv(65536), b''))
print(sum(1 for l in data.decode().splitlines() if l.startswith('web,web') and ',UP,' in l))
" 2>/dev/null || echo 0)
  [ "$up" = 2 ] && break
  sleep 0.2
done
if [ "$up" != 2 ]; then
  echo "the web nodes do not pass /healthz:"; curl -s "http://127.0.0.1:${WEB_PORTS[0]}/healthz"
  exit 1
fi
say "cluster up: http://127.0.0.1:$HAPROXY_PORT/ (logs in $RUN/logs/)"
