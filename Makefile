# 有解 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/youjie
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# Django 6 needs Python >= 3.12: the one pyenv pins (.python-version), else any 3.13/3.12 on PATH,
# in ~/.local/bin (where `uv python install` puts it) or in pyenv's versions.
PYTHON := $(shell \
  for c in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 ~/.local/bin/python3.13 ~/.local/bin/python3.12 \
           $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[3-9]*/bin/python $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python 2>/dev/null) python3; do \
    [ -n "$$c" ] && command -v "$$c" >/dev/null 2>&1 && \
    "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$c"; break; }; \
  done)

.PHONY: run test test-calendar test-order live install install-test install-docs messages lint \
	check-deploy browser docs guide docs-fonts clean bench bench-load bench-morning bench-slow fuzz \
	cluster cluster-down backup restore drills restore-drill dump-drill ops-tools alerts-test

$(VENV)/.python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.12 or newer is needed (Django 6), and none was found (python3.13, python3.12, pyenv's versions)."; \
	  echo "Debian 12 has no python3.12 package; either of these works there, then run make again:"; \
	  echo "  pyenv:  apt-get install -y build-essential libssl-dev zlib1g-dev libbz2-dev libreadline-dev libsqlite3-dev libffi-dev liblzma-dev && pyenv install 3.12"; \
	  echo "  uv:     python3 -m pip install --user uv && ~/.local/bin/uv python install 3.12"; \
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

$(VENV)/.installed-docs: $(VENV)/.installed
	$(PY) -m pip install --quiet --group docs
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-docs: $(VENV)/.installed-docs

# Compiled translations are build output; make them from the .po files.
messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv -v0

run: install messages guide
	@mkdir -p .run/broker/queue .run/broker/processed
	@# On PostgreSQL the app runs as a role that owns nothing; the URL given owns the tables.
	@eval "$$(bin/database-roles)" && set -x && \
	$(PY) manage.py ensure_database && \
	$(PY) manage.py migrate --noinput -v0 && \
	$(PY) manage.py seed_demo && \
	bash bin/run-all.sh $(HOST) $(PORT)

# Chromium for the browser tests: Debian's headless shell (the engine without the desktop
# browser around it: the same pages, about a fifth less CPU), installed where missing, waiting
# for the package lock if another apt-get holds it. (axe-core comes inside a Python test
# dependency.)
# A Chinese font too: without one Chromium draws each character as a narrow box, and the phone
# measures (labels and columns narrower than a word) would judge boxes, not the text people see.
browser:
	@command -v chromium-headless-shell >/dev/null 2>&1 || \
	  bin/apt-install "the browser tests" chromium-headless-shell
	@fc-list :lang=zh 2>/dev/null | grep -q . || \
	  bin/apt-install "the browser tests' Chinese text" fonts-wqy-microhei

# Debian's packages for the operations tests: promtool (the prometheus package) for the alert
# rules (tests/test_alerts.py), pgbackrest for the restore drill (tests/test_restore_drill.py).
ops-tools:
	@command -v promtool >/dev/null 2>&1 && command -v pgbackrest >/dev/null 2>&1 || \
	  bin/apt-install "the alert rule tests and the restore drill" prometheus pgbackrest

# The alert rules (ops/alerts.yml) are valid, and each fires on its condition and stays quiet
# otherwise (ops/alerts_test.yml; ops/alerts_backup_test.yml for the backups' age, hourly).
alerts-test: ops-tools
	promtool check rules ops/alerts.yml
	cd ops && promtool test rules alerts_test.yml alerts_backup_test.yml

# The user guide (mkdocs.yml, docs/), one chapter per role in Chinese and English, built into
# .run/docs-site/, which the app serves under /help/ (each page's help link opens its chapter).
# `make docs` first runs the browser stories that take the guide's pictures (tests/browser/shots.py),
# on a 360 px phone and a desktop, into docs/assets/shots/, so a screen that changes changes its
# picture; then builds with --strict. `make run` builds the guide only when it is missing, with
# whatever pictures are there (without them each picture is a note saying where it goes).
DOCS_SHOTS := docs/assets/shots
DOCS_STORIES := tests/browser/test_case_story.py tests/browser/test_meeting_story.py \
	tests/browser/test_report_story.py tests/browser/test_resident_story.py tests/browser/test_phone_pages.py

# Chinese text in headless Chromium needs a CJK font, or the pictures show boxes.
docs-fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || bin/apt-install "the guide's screenshots (Chinese text)" fonts-noto-cjk

docs: install-test install-docs messages browser docs-fonts
	rm -rf $(DOCS_SHOTS)
	$(TEST_ENV) DOCS_SCREENSHOTS=$(DOCS_SHOTS) $(PY) -m pytest -m browser -q -p no:cacheprovider $(DOCS_STORIES)
	$(VENV)/bin/mkdocs build --strict
	@echo "The guide: .run/docs-site/index.html (offline), or /help/ on the running app"

guide: install-docs
	@[ -f .run/docs-site/index.html ] || $(VENV)/bin/mkdocs build --strict -q

# Test processes: both cores of the usual machine, at most 4 (each gets its own database and
# Redis database; tests/conftest.py keeps browser tests and live services in one process each).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
# Compiled modules are kept even where the machine's image sets PYTHONDONTWRITEBYTECODE: the
# suite's own processes (workers, manage.py, the live tests' Celery) and the next run read them
# instead of compiling every module again (collecting the suite: 10 s the first time, 4 s after).
TEST_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	PYTHONDONTWRITEBYTECODE=

test: install-test messages browser ops-tools
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 -m "not drill" $(PYTEST_ARGS)

# The operations drills that take minutes each (the restore from the object store): their own
# target, as the cluster's drill is; CI (.ci/run) runs it after `make test`.
drills: install-test messages ops-tools
	$(TEST_ENV) $(PY) -m pytest -m drill -p no:cacheprovider $(PYTEST_ARGS)

# The whole suite but the browser, live and drill tests, with the clock at each of the calendar's
# edges in turn (tests/clock.py: Sunday night, month and year ends, the leap day, the 16th and
# 17th, a working Saturday, midnight in Asia/Shanghai); a table of the results at the end.
test-calendar: install-test messages
	@$(TEST_ENV) bin/test-calendar $(PY) -n $(TEST_WORKERS) --dist loadgroup -m "not browser and not live and not drill" $(PYTEST_ARGS)

# The whole suite in a random order (the seed is printed; SEED=n repeats one).
test-order: install-test messages browser ops-tools
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -p random_order \
	  --random-order-seed=$${SEED:-$$RANDOM} $(PYTEST_ARGS)

# The live tests at full length: the broker down for a whole minute (8 s in `make test`), and
# 1,000 reminders in the killed-worker batch (300 in `make test`).
live: install-test messages
	$(TEST_ENV) BROKER_OUTAGE_SECONDS=60 REMINDER_SOAK_CASES=500 $(PY) -m pytest -m live -s $(PYTEST_ARGS)

# Every URL with 1,000 random bodies each (about half an hour; `make test` sends a sample, docs/_parts/tests.md).
fuzz: install-test messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  FUZZ_EXAMPLES=1000 FUZZ_QUERY_EXAMPLES=100 ROLLUP_EXAMPLES=200 SEARCH_EXAMPLES=500 HYPOTHESIS_PROFILE=full $(PY) -m pytest tests/test_fuzz.py tests/test_fuzz_structures.py tests/test_report_rollups.py tests/test_search.py -s -p no:cacheprovider --timeout=0

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
	@command -v wrk >/dev/null 2>&1 || bin/apt-install "the load test" wrk \
	  || echo "wrk is missing: the load test is skipped (apt-get install wrk)"
	$(PY) bench/run.py --sizes $(BENCH_SIZES)

# Load (not part of `make test`): gunicorn on PostgreSQL (database youjie_load), the demo street
# plus 100,000 cases, 32 clients for 60 s, then again with PostgreSQL restarted mid-run.
bench-load: install
	$(PY) bench/load.py

# A city's morning (not part of `make test`): gunicorn (production's config, 2 × 16) on the bench
# database youjie_bench, used as it is when it has cases (else seeded to 1,000,000), 64 clients
# for 120 s: grid workers log cases and make follow-up visits, officers read lists and cases,
# street staff the report, residents look up their requests, a partner reads Open311. A target
# of its own beside bench-load (which seeds its own database and restarts PostgreSQL): PASS is
# no error and each page's p95 under 250 ms; writes bench/results/morning.json.
# MORNING_ARGS passes options, e.g. MORNING_ARGS="--seed 1000000 --clients 32".
bench-morning: install messages
	$(PY) bench/morning.py $(MORNING_ARGS)

# Slow clients (not part of `make test`): /login/ timed while uploads crawl in, for gunicorn's
# sync worker, the gthread config (config/gunicorn.conf.py) and nginx (config/nginx-youjie.conf)
# in front when an nginx binary is on PATH (or NGINX=path). Prints a Markdown table.
bench-slow: install messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(PY) bench/slow_clients.py

# Many machines on one (not part of `make test`): Patroni with a three-member etcd running a
# PostgreSQL primary and two standbys, Redis with a replica and three sentinels, HAProxy in front
# of 2 gunicorn nodes and of PostgreSQL, 2 Celery workers and beat, all on loopback under
# .run/cluster/ (ports 21000-21073, below the ephemeral range; CLUSTER_PORT_BASE moves them); the
# demo city under load, then the fault drill. Report in .run/cluster/report.md; torn down after.
cluster: install messages
	@for p in haproxy redis-sentinel patroni etcd etcdctl; do command -v $$p >/dev/null 2>&1 || { \
	  bin/apt-install "the cluster" haproxy redis-sentinel patroni etcd-server etcd-client \
	  || exit 1; break; }; done
	bash bin/cluster/run.sh

cluster-down:
	bash bin/cluster/down.sh

# Dumps (bin/backup.py): the database (pg_dump -Fc, in one snapshot) and MEDIA_ROOT into
# .run/backups/<stamp>/ with a manifest of every table's rows and checksum. Without
# DATABASE_URL they work on a demo database of their own, youjie_backup_demo (seeded if missing).
# `make restore` takes the newest dump (BACKUP=.run/backups/<stamp> for another) and refuses a
# database with tables or a MEDIA_ROOT with files unless FORCE=1; RESTORE_DATABASE_URL restores
# elsewhere. `make dump-drill` restores the newest dump into a fresh database and compares it.
backup: install
	$(PY) bin/backup.py backup

restore: install
	$(PY) bin/backup.py restore

dump-drill: install
	$(PY) bin/backup.py drill

# Point-in-time recovery from the object store (bin/restore_drill.py, not part of `make test`):
# pgBackRest (ops/pgbackrest.conf) backs up a PostgreSQL cluster of its own into a stand-in
# object store on loopback (moto over TLS), archiving its WAL there; a fresh cluster is restored
# to a moment before a mistake, photos with it, and every table and photo compared. Runs as root
# (PostgreSQL as the postgres user), under .run/pitr-drill/, on free ports below 32768.
restore-drill: install-test messages ops-tools
	$(PY) bin/restore_drill.py
