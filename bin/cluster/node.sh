#!/usr/bin/env bash
# Start, stop or kill one process of the loopback cluster; bin/cluster/up.sh and the drill use it.
#
#   node.sh start web1|web2|worker1|worker2|beat|redis-PORT|sentinel-PORT|haproxy|etcd1..3|pg1..3
#   node.sh kill  NAME     SIGKILL to the whole process group: a machine or process dying
#                          (pgN: Patroni and its PostgreSQL, each in a session of its own)
#   node.sh stop  NAME     SIGTERM, then wait: an orderly stop
#   node.sh pid   NAME
#
# Each app process runs in a session of its own (setsid), so its pid is also its process group:
# killing the group takes gunicorn's workers or Celery's pool with it, as a dead machine would.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
action=$1
name=$2
pf=$(pidfile "$name")
log=$RUN/logs/$name.log

alive() { [ -f "$pf" ] && kill -0 "$(cat "$pf" 2>/dev/null)" 2>/dev/null; }

start_app() {  # a long-running command in a session of its own, pid in $pf
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pf"
}

start() {
  alive && { echo "$name is running already (pid $(cat "$pf"))"; return 0; }
  case $name in
    web1 | web2)
      local port=${WEB_PORTS[${name#web} - 1]}
      start_app "$PY" -m gunicorn -c config/gunicorn.conf.py --bind "127.0.0.1:$port" \
        --log-level warning
      ;;
    worker1 | worker2)
      # The command bin/run-all.sh runs (bin/worker: Celery with the options that avoid the
      # stall after a broker reconnect), under bin/supervise as there; one node name each.
      start_app bin/supervise "$name" -- bin/worker --loglevel=INFO --concurrency=2 -n "$name@%h"
      ;;
    beat)
      start_app bin/supervise beat -- .venv/bin/celery -A config beat --loglevel=INFO \
        --schedule="$RUN/celerybeat-schedule"
      ;;
    redis-* | sentinel-*)  # daemonize; the config names the pid file
      if [[ $name == sentinel-* ]]; then redis-sentinel "$RUN/redis/$name.conf"; else
        redis-server "$RUN/redis/$name.conf"; fi
      ;;
    haproxy)
      haproxy -D -f "$RUN/haproxy.cfg" -p "$pf"
      ;;
    etcd?)
      start_app etcd --config-file "$RUN/etcd/$name.yml"
      ;;
    pg?)
      # Patroni as the postgres user (setpriv execs, so the pid is Patroni's); it starts,
      # stops, promotes and rewinds its PostgreSQL. In production systemd restarts it.
      start_app setpriv --reuid=postgres --regid=postgres --init-groups --reset-env \
        patroni "$RUN/patroni/$name.yml"
      ;;
    *) echo "unknown node $name" >&2; exit 2 ;;
  esac
}

postmaster() {  # the pid of pgN's PostgreSQL, if it runs
  local pid
  pid=$(head -1 "$RUN/pg/$name/postmaster.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

signal_group() {  # SIG: the app's process group, or the daemon's pid
  local sig=$1 pid
  pid=$(cat "$pf" 2>/dev/null) || return 0
  case $name in
    web* | worker* | beat | etcd?) kill "-$sig" -- "-$pid" 2>/dev/null || true ;;
    pg?)
      # Patroni, then its PostgreSQL's whole group (postmaster and backends): Patroni starts
      # PostgreSQL in a session of its own, so that Patroni's own death leaves it running.
      local pm
      pm=$(postmaster) || pm=""
      kill "-$sig" -- "-$pid" 2>/dev/null || true
      [ -n "$pm" ] && kill "-$sig" -- "-$(ps -o pgid= -p "$pm" | tr -d ' ')" 2>/dev/null
      true
      ;;
    *) kill "-$sig" "$pid" 2>/dev/null || true ;;
  esac
}

case $action in
  start) start ;;
  pid) cat "$pf" ;;
  kill) signal_group KILL ;;
  stop)
    # pgN: Patroni stops its PostgreSQL (fast shutdown) before it exits.
    signal_group TERM
    for _ in $(seq 1 300); do alive || break; sleep 0.1; done
    alive && signal_group KILL
    if [[ $name == pg? ]] && pm=$(postmaster); then  # one Patroni left behind, say
      as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/$name" -m fast -w stop >/dev/null || true
    fi
    rm -f "$pf"
    ;;
  *) echo "usage: node.sh start|stop|kill|pid NAME" >&2; exit 2 ;;
esac
