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
for data in standby primary; do
  [ -f "$RUN/pg/$data/postmaster.pid" ] &&
    as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/$data" -m fast -w stop >/dev/null
done
echo "cluster down"
