"""The building's floors: what may import what, and where a case's history is written.

`common/` is the ground floor: helpers that belong to no domain, importing no app of the
project. A case's history rows are written by `cases/history.py` alone, which hands each
change to the consequences `cases/consequences.py` lists by name (DESIGN.md §13); a meeting's
by `meetings/history.py`, with `meetings/consequences.py`.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.utils.module_loading import import_string

from cases.consequences import CONSEQUENCES
from meetings.consequences import CONSEQUENCES as MEETING_CONSEQUENCES

ROOT = Path(__file__).resolve().parent.parent
APPS = {config.name.split(".")[0] for config in apps.get_app_configs()} - {"django"}
PROJECT = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config", "demo"}


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def app_sources():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in PROJECT and "migrations" not in parts:
            yield path


def test_the_ground_floor_imports_no_app_of_the_project():
    reaching_up = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "common").rglob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in PROJECT - {"common"}
    ]
    assert reaching_up == []


def test_the_outbox_imports_no_app_above_it():
    """Notifications and interop build on the outbox (their senders are named in settings),
    never the reverse."""
    reaching_up = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "outbox").rglob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in PROJECT - {"common", "outbox"}
    ]
    assert reaching_up == []


# Writing a history row: creating one, or changing one (anonymisation masks their text).
WRITES = ("create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update")


def _writes(source: str, model: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and re.search(rf"\b{model}\b", ast.unparse(node.func.value))
        for node in ast.walk(ast.parse(source))
    )


def _writers_of(model: str) -> set:
    return {
        str(path.relative_to(ROOT))
        for path in app_sources()
        if _writes(path.read_text(encoding="utf-8"), model)
    }


def test_a_cases_history_rows_are_written_in_one_module():
    assert _writers_of("CaseEvent") == {"cases/history.py"}


def test_a_meetings_history_rows_are_written_in_one_module():
    assert _writers_of("MeetingChange") == {"meetings/history.py"}


def test_the_history_check_would_catch_a_second_writer():
    assert _writes("CaseEvent.objects.create(case=case)", "CaseEvent")
    assert _writes("CaseEvent.objects.filter(case=case).update(note='')", "CaseEvent")
    assert _writes("models.MeetingChange.objects.bulk_create(rows)", "MeetingChange")
    assert not _writes("CaseEvent.objects.filter(case=case).count()", "CaseEvent")
    assert not _writes("CaseEventDigest.objects.create()", "CaseEvent")


@pytest.mark.parametrize(
    ("below", "path"),
    [("cases", path) for path in CONSEQUENCES.values()]
    + [("meetings", path) for path in MEETING_CONSEQUENCES.values()],
)
def test_each_declared_consequence_is_a_function_of_an_app_above_the_one_that_lists_it(below, path):
    assert path.split(".")[0] in APPS and not path.startswith(f"{below}.")
    assert callable(import_string(path))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports_within(path: Path) -> set:
    """The modules `path` imports, at the top or inside a function, relative ones resolved."""
    package = path.relative_to(ROOT).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("app", sorted(PROJECT))
def test_no_circle_of_imports_between_the_files_of_an_app(app):
    files = {_module(p): p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts}
    edges = {m: {i for i in _imports_within(p) if i in files and i != m} for m, p in files.items()}
    circles = []

    def visit(module, path):
        for imported in sorted(edges[module]):
            if imported in path:
                circles.append(" → ".join([*path[path.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*path, imported])
        done.add(module)

    done: set = set()
    for module in sorted(files):
        if module not in done:
            visit(module, [module])
    assert circles == []


@pytest.mark.parametrize(
    "service", ["cases/workflow.py", "meetings/workflow.py", "meetings/checks.py"]
)
def test_the_workflows_take_typed_inputs_and_import_no_forms(service):
    """The pages parse what was typed; the workflows see only the typed inputs."""
    path = ROOT / service
    forms = {i for i in _imports_within(path) if i.endswith(".forms") or ".forms." in i}
    assert forms == set()
