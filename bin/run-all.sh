#!/usr/bin/env bash
# Start the web server, a Celery worker and Celery beat; stop all three on Ctrl-C.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python
# Links in reminder e-mails, SMS and QR codes point where this server listens, and a server on
# every interface (HOST=0.0.0.0) is named by this machine's LAN address, which a phone opens.
# A SITE_URL or ALLOWED_HOSTS given in the environment is kept as it is.
address=$(bin/site-url "$host" "$port")
export SITE_URL=${SITE_URL:-$address}
served_host=${address#http://}
served_host=${served_host%:*}
served_host=${served_host#[}
served_host=${served_host%]}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost,${served_host}}
# The demo answers a wrong address or a refused form with the app's own pages, as production
# does, never with Django's debug pages (they show settings and code to whoever opens them);
# runserver still serves the static files (--insecure). DEBUG=true brings the debug pages back.
export DEBUG=${DEBUG:-false}
where="on this machine"
case "$host" in 0.0.0.0 | :: | "[::]") where="from a phone on the same network too" ;; esac

# Each start keeps its own logs: .run/logs/<date-time>/, and .run/logs/latest points at them.
logs=.run/logs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$logs"
ln -sfn "$(basename "$logs")" .run/logs/latest

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# A worker or beat that exits (a broker outage can make Celery give up) is started again at
# once by bin/supervise, so reminders never stop for good; each restart is in the log.
supervise() {
  local name=$1
  shift
  bin/supervise "$name" -- "$@" >>"$logs/$name.log" 2>&1 &
  pids+=($!)
}

# On the embedded SQLite default one worker process writes at a time (SQLite allows one
# writer); on PostgreSQL two share the work.
concurrency=2
[ -z "${DATABASE_URL:-}" ] && concurrency=1
# bin/worker starts Celery with the options that avoid the stall after a broker reconnect
# (config/celery.py, WORKER_OPTIONS).
supervise worker bin/worker --loglevel=INFO --concurrency=$concurrency
supervise beat .venv/bin/celery -A config beat --loglevel=INFO --schedule=.run/celerybeat-schedule

broker="file-system broker in .run/broker"
[ -n "${REDIS_URL:-}" ] && broker="Redis at ${REDIS_URL}"
[ -n "${REDIS_SENTINELS:-}" ] && broker="Redis through the sentinels ${REDIS_SENTINELS}"
database="SQLite in .run/youjie.sqlite3"
[ -n "${DATABASE_URL:-}" ] && database="${DATABASE_URL%%://*} (DATABASE_URL)"
[ -n "${DATABASE_OWNER_URL:-}" ] && database="$database, as a role that owns no table"
cat <<MSG

  有解 is running at ${address}/ (open it ${where})
  Links in reminder e-mails, SMS and QR codes point to ${SITE_URL}
  Database: ${database}; Celery worker and beat on the ${broker}
  (logs in ${logs}/, restarted if they stop). Demo logins, password youjie-demo-2026:
    street              street staff, 万青路街道
    officer.chunguang   community officer, 春光社区 (also officer.funan, officer.caoyuan, …)
    grid.chunguang.01   grid worker, 春光社区 第1网格 (also grid.funan.01, …)
  Ctrl-C stops everything.

MSG
$py manage.py runserver "${host}:${port}" --noreload --insecure
