"""The calendar the tests travel through (tests/clock.py) reaches every figure the app works out.

The clock is travelled in Python; PostgreSQL keeps the real time. So the app must ask Python
for the time and pass it to its queries, never ask the database (Django's `Now()`, SQL's
`now()`, `CURRENT_DATE` …): a report or a queue worked out from the database's clock would
differ from the one the user's day is in, and the calendar's tests could not reach it.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from django.utils import timezone

from .clock import INSTANTS

ROOT = Path(__file__).resolve().parent.parent
NOT_THE_APP = {".venv", "tests", "bench", "node_modules", ".run", "static"}
SQL_CLOCK = re.compile(
    r"\b(now\s*\(\s*\)|current_date|current_time(stamp)?|localtime(stamp)?|"
    r"transaction_timestamp|statement_timestamp|clock_timestamp)\b",
    re.IGNORECASE,
)


def app_sources():
    for path in ROOT.rglob("*.py"):
        if not NOT_THE_APP.intersection(path.relative_to(ROOT).parts):
            yield path


def database_clock_reads(path):
    """(line, text) of each string that asks SQL for the time, and each call of Django's Now."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))
    for token, following in zip(tokens, tokens[1:], strict=False):
        if token.type == tokenize.STRING and SQL_CLOCK.search(token.string):
            yield token.start[0], token.string
        if token.type == tokenize.NAME and token.string == "Now" and following.string == "(":
            yield token.start[0], "Now("


def test_the_app_asks_python_for_the_time_never_the_database():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in app_sources()
        for line, text in database_clock_reads(path)
    ]
    assert found == []


@pytest.mark.calendar
def test_a_calendar_test_starts_at_its_instant_and_the_clock_ticks(clock, calendar_instant):
    """Under `make test` at each instant of tests/clock.py; under --clock at that one."""
    assert clock is not None
    assert calendar_instant in (None, *INSTANTS.values())
    started = timezone.now()
    assert 0 <= (started - clock).total_seconds() < 30
    assert timezone.now() >= started


CLOCK_CALLS = {"now", "localdate", "localtime", "today", "utcnow"}


def import_time_clock_reads(path):
    """Module-level assignments in a test file that call the clock: evaluated when pytest
    imports the file, before the test's clock is travelled, so they hold the real date."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            for node in ast.walk(statement):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CLOCK_CALLS
                ):
                    yield statement.lineno


def test_no_test_reads_the_clock_when_its_file_is_imported():
    tests = Path(__file__).resolve().parent
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(tests.rglob("*.py"))
        for line in import_time_clock_reads(path)
    ]
    assert found == []
