#!/usr/bin/env bash
# Bring the cluster up on loopback, from nothing, under .run/cluster/ (ports: env.sh):
#   etcd, three members; Patroni managing three PostgreSQL nodes (pg1..pg3: a primary and two
#   standbys, one of them synchronous), with HAProxy sending the primary port to whichever node
#   Patroni's REST API calls primary and the replica port to the standbys; Redis master,
#   replica and three sentinels; 2 gunicorn web nodes behind HAProxy (health check /healthz);
#   2 Celery workers and one beat; the demo city migrated and seeded.
# Everything runs from Debian packages and the project's venv; bin/cluster/down.sh stops it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
node() { bin/cluster/node.sh "$@"; }

for tool in haproxy redis-server redis-sentinel etcd patroni "$PGBIN/initdb"; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install -y haproxy redis-server redis-sentinel etcd-server etcd-client patroni postgresql-15"
    exit 1
  }
done

bin/cluster/down.sh >/dev/null 2>&1 || true
# Every port must be free before anything starts: a port taken by another program is named
# here, not found later as a server that would not start.
for port in "${ALL_PORTS[@]}"; do
  if ss -Htln "sport = :$port" | grep -q .; then
    echo "port $port is taken (ss -tlnp 'sport = :$port' says by whom); stop that program,"
    echo "or move the whole cluster with CLUSTER_PORT_BASE (now $BASE; the cluster takes BASE..BASE+73)"
    exit 1
  fi
done
rm -rf "$RUN"
mkdir -p "$RUN"/{pids,logs,redis,media,mail,etcd,patroni,pg/wal-archive}
chown -R postgres:postgres "$RUN/pg" "$RUN/patroni"
# PostgreSQL runs as the postgres user, which must reach its data directory from here.
as_postgres test -w "$RUN/pg" || {
  echo "The postgres user cannot write $RUN/pg: every folder above it must be searchable"
  echo "by others (chmod o+x), or clone the project elsewhere."
  exit 1
}

# etcd: Patroni's store, three members so that losing one keeps a quorum -------------------
say "etcd :${ETCD_CLIENT_PORTS[*]} (peers :${ETCD_PEER_PORTS[*]})"
peers=""
for i in 1 2 3; do peers+="etcd$i=http://127.0.0.1:${ETCD_PEER_PORTS[i - 1]},"; done
for i in 1 2 3; do
  cat >"$RUN/etcd/etcd$i.yml" <<CONF
name: etcd$i
data-dir: $RUN/etcd/etcd$i
listen-client-urls: http://127.0.0.1:${ETCD_CLIENT_PORTS[i - 1]}
advertise-client-urls: http://127.0.0.1:${ETCD_CLIENT_PORTS[i - 1]}
listen-peer-urls: http://127.0.0.1:${ETCD_PEER_PORTS[i - 1]}
initial-advertise-peer-urls: http://127.0.0.1:${ETCD_PEER_PORTS[i - 1]}
initial-cluster: ${peers%,}
initial-cluster-state: new
initial-cluster-token: youjie-cluster
# Debian's etcd is built without the gRPC gateway that Patroni's etcd3 client speaks JSON to,
# so Patroni uses the v2 API (its etcd: store, through python3-etcd).
enable-v2: true
# A loaded 2-core machine delays heartbeats: elections wait 2 s (default 1 s) so a busy
# moment is not taken for a dead leader.
heartbeat-interval: 200
election-timeout: 2000
CONF
  node start "etcd$i"
done
for _ in $(seq 1 100); do
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_HOSTS" endpoint health >/dev/null 2>&1 && break
  sleep 0.3
done
ETCDCTL_API=3 etcdctl --endpoints="$ETCD_HOSTS" endpoint health >/dev/null || {
  echo "etcd did not become healthy; see $RUN/logs/etcd*.log"; exit 1; }

# Patroni and PostgreSQL --------------------------------------------------------------------
say "Patroni: ${PG_NODES[*]} on PostgreSQL :${PG_PORTS[*]}, REST :${PATRONI_PORTS[*]}"
for name in "${PG_NODES[@]}"; do
  pg=$(pg_port "$name") rest=$(patroni_port "$name")
  cat >"$RUN/patroni/$name.yml" <<CONF
scope: youjie
namespace: /youjie/
name: $name
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd:
  hosts: $ETCD_HOSTS
bootstrap:
  # Written to etcd by the first node; the whole cluster shares it (patronictl edit-config).
  dcs:
    # The leader renews its key every loop_wait; a leader that died lets the key expire after
    # ttl, and the synchronous standby takes over: about ttl + loop_wait after the death.
    # Patroni wants loop_wait + 2 × retry_timeout <= ttl.
    ttl: 12
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    # A commit returns only once a standby has it too, and only that synchronous standby may
    # be promoted: a case the app confirmed is on the new primary. With no standby left, the
    # primary goes on alone rather than stop the city (synchronous_mode_strict: false).
    synchronous_mode: true
    synchronous_mode_strict: false
    synchronous_node_count: 1
    postgresql:
      # A primary that died comes back as a standby of the new one by itself: pg_rewind
      # winds back what it wrote after the standby's last WAL, no new base backup needed.
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        wal_log_hints: "on"
        hot_standby: "on"
        hot_standby_feedback: "on"
        max_connections: 150
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        # Every finished WAL segment is copied to the archive, whichever node is primary:
        # point-in-time recovery to any moment since (README, "Backups and point-in-time
        # recovery"). A segment a former primary archived already is accepted when equal.
        archive_mode: "on"
        archive_command: "test ! -f $RUN/pg/wal-archive/%f && cp %p $RUN/pg/wal-archive/%f || cmp -s %p $RUN/pg/wal-archive/%f"
        archive_timeout: 60
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $RUN/pg/$name
  bin_dir: $PGBIN
  pgpass: $RUN/patroni/$name.pgpass
  # A new standby copies the primary at once, not after a spread checkpoint (minutes).
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $RUN/pg
  # Loopback trust; a real deployment gives each user a password (and TLS between machines).
watchdog:
  mode: "off"
tags: {}
CONF
done
chown -R postgres:postgres "$RUN/patroni"
node start pg1
for _ in $(seq 1 150); do  # pg1 bootstraps the cluster (initdb) and becomes its leader
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PATRONI_PORTS[0]}/primary")" = 200 ] && break
  sleep 0.4
done
node start pg2
node start pg3
"$PGBIN/psql" -h 127.0.0.1 -p "${PG_PORTS[0]}" -U postgres -qc "CREATE DATABASE youjie"
for _ in $(seq 1 300); do  # both standbys streaming, one of them synchronous
  members=$(patronictl list -f json 2>/dev/null || echo '[]')
  running=$(grep -o '"State": "\(streaming\|running\)"' <<<"$members" | wc -l)
  grep -q '"Role": "Sync Standby"' <<<"$members" && [ "$running" = 3 ] && break
  sleep 0.5
done
grep -q '"Role": "Sync Standby"' <<<"$members" || {
  echo "Patroni did not bring up a primary and a synchronous standby:"; patronictl list; exit 1; }

say "HAProxy: web :$HAPROXY_PORT, PostgreSQL primary :$PG_HAPROXY_PRIMARY, replicas :$PG_HAPROXY_REPLICA"
cat >"$RUN/haproxy.cfg" <<CONF
global
  maxconn 2000
  stats socket $RUN/haproxy.sock mode 600 level admin

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 2
  option redispatch 1
  option http-server-close

frontend youjie
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend web

backend web
  balance leastconn
  # A GET that a node could not answer (refused, closed without a word as a killed node does,
  # 502-504) is sent again to the other node (redispatch): a page is safe to ask twice. A POST
  # is never resent here: only the browser resends it, with the form's submission id, which the
  # app uses to make the case once (cases/intake.py).
  retry-on conn-failure empty-response 502 503 504
  http-request disable-l7-retry unless METH_GET
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

# PostgreSQL: Patroni's REST API says which node is what. /primary answers 200 only on the
# node holding the leader key, /replica only on a running standby; HAProxy asks every second.
# A node that stops being primary has its connections cut at once (shutdown-sessions), so no
# client goes on talking to a demoted node.
listen postgres-primary
  mode tcp
  bind 127.0.0.1:$PG_HAPROXY_PRIMARY
  timeout client 30m
  timeout server 30m
  option httpchk
  http-check send meth GET uri /primary
  http-check expect status 200
  default-server inter 1s fastinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:${PG_PORTS[0]} check port ${PATRONI_PORTS[0]}
  server pg2 127.0.0.1:${PG_PORTS[1]} check port ${PATRONI_PORTS[1]}
  server pg3 127.0.0.1:${PG_PORTS[2]} check port ${PATRONI_PORTS[2]}

listen postgres-replicas
  mode tcp
  bind 127.0.0.1:$PG_HAPROXY_REPLICA
  balance leastconn
  timeout client 30m
  timeout server 30m
  option httpchk
  http-check send meth GET uri /replica
  http-check expect status 200
  default-server inter 1s fastinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:${PG_PORTS[0]} check port ${PATRONI_PORTS[0]}
  server pg2 127.0.0.1:${PG_PORTS[1]} check port ${PATRONI_PORTS[1]}
  server pg3 127.0.0.1:${PG_PORTS[2]} check port ${PATRONI_PORTS[2]}
CONF
node start haproxy

for _ in $(seq 1 50); do  # the primary port reaches the primary
  "$PGBIN/psql" -h 127.0.0.1 -p "$PG_HAPROXY_PRIMARY" -U postgres -d youjie -Atqc \
    "SELECT NOT pg_is_in_recovery()" 2>/dev/null | grep -q t && break
  sleep 0.3
done

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
