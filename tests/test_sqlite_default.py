"""The embedded default (`make run` with no DATABASE_URL): SQLite, written by the web server and
the Celery worker at once. A writer takes the lock when its transaction begins and the other
waits, so neither fails half way with "database is locked" (after an email went out, say)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys, time
import django
django.setup()
from django.db import transaction
from cases.models import Category

tag = sys.argv[1]
for i in range(15):
    with transaction.atomic():  # read, then write: the pattern of every claim and move
        seen = Category.objects.count()
        time.sleep(0.02)
        Category.objects.create(name=f"{tag}{i}", position=seen)
print("done", tag)
"""


def sqlite_env(database):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.pop("REDIS_URL", None)
    return env


def run(database, *args):
    return subprocess.run(
        args, cwd=ROOT, env=sqlite_env(database), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One SQLite database for the file, migrated as `make run` migrates it: each test writes
    rows of its own."""
    database = tmp_path_factory.mktemp("sqlite") / "youjie.sqlite3"
    done = run(database, sys.executable, "manage.py", "migrate", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr[-2000:]
    return database


def test_two_processes_writing_the_sqlite_default_at_once_both_finish(migrated):
    database = migrated
    env = sqlite_env(database)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tag],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("web", "worker")
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    for writer, (_out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert "database is locked" not in err
    counted = run(
        database,
        sys.executable,
        "-c",
        "import django; django.setup(); from cases.models import Category; "
        "print(Category.objects.filter(name__regex=r'^(web|worker)[0-9]+$').count())",
    )
    assert counted.stdout.strip() == "30"


HOT_SPOTS = """
from collections import Counter
import django
django.setup()
from django.db.models import Q
from django.utils import timezone
from recurring import selectors
from recurring.grouping import group_cases
from recurring.models import Problem
from reports.periods import twelve_months_to
from tests.factories import BuildingFactory, GridFactory
from tests.recurring_helpers import case_at

grid = GridFactory()
building = BuildingFactory(grid=grid)
cases = [case_at(grid, days, building) for days in (70, 40, 10)]
group_cases()
problem = Problem.objects.get()
local = Counter(timezone.localtime(c.created_at).date().replace(day=1) for c in cases)
assert Counter(dict(problem.months.values_list("month", "cases"))) == local, local
months = twelve_months_to(timezone.localdate().replace(day=1))
[cell] = selectors.hot_spots(Q(street=grid.community.street), months)["cells"]
assert cell["year"] == len(local) and sum(cell["trend"]) == len(local), cell
print("hot spots", cell["year"])
"""


def test_the_nightly_grouping_writes_the_hot_spots_months_on_the_sqlite_default(migrated):
    grouped = run(migrated, sys.executable, "-c", HOT_SPOTS)
    assert grouped.returncode == 0, grouped.stderr[-2000:]
    assert grouped.stdout.startswith("hot spots ")
