#!/usr/bin/env bash
# Point-in-time recovery on the cluster's primary, step by step, as the README describes it:
# a base backup, a change at a known moment, a mistake after it, and a new server recovered
# from the base backup and the WAL archive to just before the mistake. Needs the cluster up
# (bin/cluster/up.sh); the recovered server runs on PITR_PORT (env.sh) and is removed after.
# The primary is whichever node Patroni made primary, reached through HAProxy's primary port.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
psql_primary() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_HAPROXY_PRIMARY" -U postgres -d youjie -Atqc "$1"; }
base=$RUN/pg/base-backup
target=$RUN/pg/pitr
rm -rf "$base" "$target"

# 1. A base backup (nightly, in production): tar files of the data directory.
as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_HAPROXY_PRIMARY" -U postgres -D "$base" \
  -Ft -z -X fetch -c fast

# 2. Work goes on after it: the row written before the moment we recover to must come back...
psql_primary "CREATE TABLE IF NOT EXISTS pitr_check (note text, at timestamptz DEFAULT now())"
psql_primary "INSERT INTO pitr_check (note) VALUES ('written before the mistake')"
phones_before=$(psql_primary "SELECT count(*) FROM cases_case WHERE resident_phone <> ''")
sleep 1
moment=$(psql_primary "SELECT now()")
sleep 1
# ...and the mistake after it must not: a botched script that blanks every resident's phone.
psql_primary "INSERT INTO pitr_check (note) VALUES ('the mistake')"
psql_primary "UPDATE cases_case SET resident_phone = ''"
psql_primary "SELECT pg_switch_wal()" >/dev/null  # the segment with the mistake is archived now

# 3. A new server from the base backup, replaying the archived WAL up to the moment.
mkdir -p "$target" && chown postgres:postgres "$target" && chmod 700 "$target"
as_postgres tar -xzf "$base/base.tar.gz" -C "$target"
cat >>"$target/postgresql.auto.conf" <<CONF
port = $PITR_PORT
archive_mode = off
synchronous_standby_names = ''  # Patroni's, copied with the primary's settings: no standby here
restore_command = 'cp $RUN/pg/wal-archive/%f %p'
recovery_target_time = '$moment'
recovery_target_action = 'promote'
CONF
as_postgres touch "$target/recovery.signal"
# The recovery server's port must be free (a server left by an earlier run, or one still
# shutting down, once took it): wait a little, then say which port and stop.
for _ in $(seq 1 50); do
  ss -ltn "sport = :$PITR_PORT" | grep -q LISTEN || break
  sleep 0.2
done
if ss -ltn "sport = :$PITR_PORT" | grep -q LISTEN; then
  echo "PITR: port $PITR_PORT is taken by another server; stop it (make cluster-down) and run again"
  exit 1
fi
started=$(date +%s.%N)
as_postgres "$PGBIN/pg_ctl" -D "$target" -l "$RUN/pg/pitr.log" -w -t 120 start >/dev/null
for _ in $(seq 1 100); do  # recovery ends with a promotion: the server takes writes again
  [ "$("$PGBIN/psql" -h 127.0.0.1 -p $PITR_PORT -U postgres -d youjie -Atqc 'SELECT pg_is_in_recovery()')" = f ] && break
  sleep 0.2
done
took=$(echo "$(date +%s.%N) - $started" | bc)
psql_pitr() { "$PGBIN/psql" -h 127.0.0.1 -p $PITR_PORT -U postgres -d youjie -Atqc "$1"; }
notes=$(psql_pitr "SELECT string_agg(note, ', ' ORDER BY at) FROM pitr_check")
phones=$(psql_pitr "SELECT count(*) FROM cases_case WHERE resident_phone <> ''")
phones_now=$(psql_primary "SELECT count(*) FROM cases_case WHERE resident_phone <> ''")
as_postgres "$PGBIN/pg_ctl" -D "$target" -m fast -w stop >/dev/null
rm -rf "$target" "$base"

printf 'Point-in-time recovery to %s: recovered in %.1f s; rows of pitr_check: "%s"; cases with a phone: %s (%s before the mistake, %s after it)\n' \
  "$moment" "$took" "$notes" "$phones" "$phones_before" "$phones_now"
if [ "$notes" = "written before the mistake" ] && [ "$phones" = "$phones_before" ]; then
  echo "PITR: PASS"
else
  echo "PITR: FAIL"; exit 1
fi
