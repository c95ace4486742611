#!/usr/bin/env bash
# Stop everything bin/cluster/up.sh started (by the pids it recorded); the data stays in
# .run/cluster/ until the next `make cluster`.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
[ -d "$RUN" ] || exit 0
for name in haproxy web1 web2 "${WORKERS[@]}" beat; do bin/cluster/node.sh stop "$name"; done
for port in "${SENTINEL_PORTS[@]}"; do bin/cluster/node.sh stop "sentinel-$port"; done
for port in "${REDIS_PORTS[@]}"; do bin/cluster/node.sh stop "redis-$port"; done
# Each Patroni stops its PostgreSQL before it exits.
for name in "${PG_NODES[@]}"; do bin/cluster/node.sh stop "$name" & done
wait
for name in etcd1 etcd2 etcd3; do bin/cluster/node.sh stop "$name"; done
[ -f "$RUN/pg/pitr/postmaster.pid" ] &&  # a recovery server pitr.sh left behind
  as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/pitr" -m immediate -w stop >/dev/null
echo "cluster down"
