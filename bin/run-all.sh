#!/usr/bin/env bash
# Start the web server, a Celery worker and Celery beat; stop all three on Ctrl-C.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python
mkdir -p .run/logs

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 >.run/logs/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO --schedule=.run/celerybeat-schedule \
  >.run/logs/beat.log 2>&1 &
pids+=($!)

broker="file-system broker in .run/broker"
[ -n "${REDIS_URL:-}" ] && broker="Redis at ${REDIS_URL}"
database="SQLite in .run/youjie.sqlite3"
[ -n "${DATABASE_URL:-}" ] && database="${DATABASE_URL%%://*} (DATABASE_URL)"
cat <<MSG

  有解 is running at http://${host}:${port}/
  Database: ${database}; Celery worker and beat on the ${broker}
  (logs in .run/logs/). Demo logins, password youjie-demo-2026:
    street              street staff, 万青路街道
    officer.chunguang   community officer, 春光社区 (also officer.funan, officer.caoyuan, …)
    grid.chunguang.01   grid worker, 春光社区 第1网格 (also grid.funan.01, …)
  Ctrl-C stops everything.

MSG
$py manage.py runserver "${host}:${port}" --noreload
