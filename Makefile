# 有解 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/youjie
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# Django 6 needs Python >= 3.12: use the one pyenv pins (.python-version), else any 3.13/3.12.
PYTHON := $(shell \
  for c in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 \
           $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[3-9]*/bin/python $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python 2>/dev/null) python3; do \
    [ -n "$$c" ] && command -v "$$c" >/dev/null 2>&1 && \
    "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$c"; break; }; \
  done)

.PHONY: run test install install-test messages lint check-deploy browser axe clean bench bench-load bench-slow fuzz \
	cluster cluster-down backup restore restore-drill

$(VENV)/.python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.12 or newer is needed (Django 6). Install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv', then run make again."; \
	  exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "$(PYTHON)" > $@

# Runtime dependencies come from [project].dependencies in pyproject.toml.
$(VENV)/.installed: pyproject.toml $(VENV)/.python
	$(PY) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet --group test
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compiled translations are build output; make them from the .po files.
messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv -v0

run: install messages
	@mkdir -p .run/broker/queue .run/broker/processed
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	@bash bin/run-all.sh $(HOST) $(PORT)

# Chromium for the browser tests: Debian's package, installed where missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the browser tests (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	  || { echo "Could not install chromium; install it with: apt-get install chromium"; exit 1; }; }

# axe-core for the accessibility browser tests: the npm package, pinned, into .run/axe (test
# only, never committed, never from a CDN).
AXE_VERSION := 4.11.0
AXE_JS := .run/axe/node_modules/axe-core/axe.min.js
$(AXE_JS):
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for axe-core (apt-get install npm)"; exit 1; }
	@mkdir -p .run/axe
	npm install --silent --no-save --no-audit --no-fund --prefix .run/axe axe-core@$(AXE_VERSION)
	@test -f $@ && touch $@
axe: $(AXE_JS)

test: install-test messages browser axe
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(PY) -m pytest $(PYTEST_ARGS)

# Every URL with 1,000 random bodies each (about half an hour; `make test` sends 100).
fuzz: install-test messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  FUZZ_EXAMPLES=1000 FUZZ_QUERY_EXAMPLES=100 ROLLUP_EXAMPLES=200 $(PY) -m pytest tests/test_fuzz.py tests/test_report_rollups.py -s -p no:cacheprovider

lint: install-test
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	  ALLOWED_HOSTS=youjie.example.org EMAIL_URL=smtp+tls://mail.example.org:587 \
	  SITE_URL=https://youjie.example.org REDIS_URL=redis://127.0.0.1:6379/0 \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf .run staticfiles

# The benchmark (not part of `make test`): a city on PostgreSQL (database youjie_bench) at
# 10,000, 100,000 and 1,000,000 cases; writes bench/results/latest.{json,md}.
BENCH_SIZES ?= 10000 100000 1000000
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk (Debian package) for the load test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null \
	  || echo "wrk is missing: the load test is skipped (apt-get install wrk)"; }
	$(PY) bench/run.py --sizes $(BENCH_SIZES)

# Load (not part of `make test`): gunicorn on PostgreSQL (database youjie_load), the demo street
# plus 100,000 cases, 32 clients for 60 s, then again with PostgreSQL restarted mid-run.
bench-load: install
	$(PY) bench/load.py

# Slow clients (not part of `make test`): /login/ timed while uploads crawl in, for gunicorn's
# sync worker, the gthread config (config/gunicorn.conf.py) and nginx (config/nginx-youjie.conf)
# in front when an nginx binary is on PATH (or NGINX=path). Prints a Markdown table.
bench-slow: install messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(PY) bench/slow_clients.py

# Many machines on one (not part of `make test`): a PostgreSQL primary and hot standby, Redis
# with a replica and three sentinels, HAProxy in front of 2 gunicorn nodes, 2 Celery workers and
# beat, all on loopback under .run/cluster/ (ports 55432-3, 56379-80, 26379-81, 58000-2); the
# demo city under load, then the fault drill. Report in .run/cluster/report.md; torn down after.
cluster: install messages
	@for p in haproxy redis-sentinel; do command -v $$p >/dev/null 2>&1 || { \
	  echo "Installing HAProxy and Redis Sentinel (Debian packages) for the cluster"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy redis-sentinel) >/dev/null \
	  || { echo "Could not install them: apt-get install haproxy redis-sentinel"; exit 1; }; break; }; done
	bash bin/cluster/run.sh

cluster-down:
	bash bin/cluster/down.sh

# Backups (bin/backup.py): the database (pg_dump -Fc, in one snapshot) and MEDIA_ROOT into
# .run/backups/<stamp>/ with a manifest of every table's rows and checksum. Without
# DATABASE_URL they work on a demo database of their own, youjie_backup_demo (seeded if missing).
# `make restore` takes the newest backup (BACKUP=.run/backups/<stamp> for another) and refuses a
# database with tables or a MEDIA_ROOT with files unless FORCE=1; RESTORE_DATABASE_URL restores
# elsewhere. `make restore-drill` restores into a fresh database and compares it with the manifest.
backup: install
	$(PY) bin/backup.py backup

restore: install
	$(PY) bin/backup.py restore

restore-drill: install
	$(PY) bin/backup.py drill
