"""The app's database role owns nothing: it cannot empty the history (TRUNCATE), switch its
triggers off, or change or delete an append-only row, however it asks. The owner runs the
migrations and grants the app role its rights after each (common/db_roles.py)."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from psycopg import errors

from cases.models import Case, CaseEvent, State
from cases.retention import anonymise
from common.db_roles import ensure_role, grant_data_rights
from tests.factories import CaseFactory, UserFactory
from tests.processes import own_name

ROOT = Path(__file__).resolve().parent.parent
DENIED = errors.InsufficientPrivilege.sqlstate  # 42501

# What an app that was taken over might try, on a table of each kind.
TAMPERING = (
    "TRUNCATE {table} CASCADE",
    "ALTER TABLE {table} DISABLE TRIGGER USER",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "DROP TABLE {table} CASCADE",
    "ALTER TABLE {table} OWNER TO CURRENT_USER",
    "CREATE TRIGGER t_probe BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION now()",
)
HISTORY_WRITES = (
    "UPDATE {table} SET at = at",
    "DELETE FROM {table}",
)


def probe_role() -> str:
    """The role the tests act as: the app's rights, on this run's database only."""
    return own_name("app_probe")


@pytest.fixture
def app_role(db):
    with connection.cursor() as cursor:
        ensure_role(cursor, probe_role(), login=False)
        return grant_data_rights(cursor, probe_role())


def sqlstate_as_app(statement, params=None):
    """Run `statement` as the app role in a savepoint; the SQLSTATE it failed with, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{probe_role()}"')
            cursor.execute(statement, params)
    except DatabaseError as error:
        return getattr(error.__cause__, "sqlstate", None)
    return None


def as_app(action):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{probe_role()}"')
        result = action()
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        return result


def test_the_protected_tables_are_read_from_their_triggers(app_role):
    assert app_role["cases_caseevent"] == "anonymisable"
    assert app_role["audit_accessevent"] == "append_only"
    assert app_role["meetings_meetingchange"] == "append_only"
    assert app_role["cases_case"] == "never_delete"


def test_the_app_role_cannot_empty_alter_or_switch_off_any_table(app_role, places):
    CaseEvent.objects.create(
        case=CaseFactory(grid=places.cg1),
        move="accept",
        from_state=State.SUBMITTED,
        to_state=State.ACCEPTED,
        actor=UserFactory(),
    )
    for table in [*app_role, "grids_grid", "django_session"]:
        for statement in TAMPERING:
            assert sqlstate_as_app(statement.format(table=table)) == DENIED, (statement, table)
    assert sqlstate_as_app("CREATE TABLE public.probe (id int)") == DENIED
    assert sqlstate_as_app("SET session_replication_role = replica") == DENIED
    assert (
        sqlstate_as_app(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())"
        )
        == DENIED
    )
    assert CaseEvent.objects.count() == 1


def test_the_app_role_cannot_change_or_delete_history_even_around_the_triggers(app_role, places):
    CaseEvent.objects.create(
        case=CaseFactory(grid=places.cg1),
        move="accept",
        from_state=State.SUBMITTED,
        to_state=State.ACCEPTED,
        actor=UserFactory(),
    )
    for table, kind in app_role.items():
        statements = ["DELETE FROM {table}"] if kind == "never_delete" else HISTORY_WRITES
        for statement in statements:
            assert sqlstate_as_app(statement.format(table=table)) == DENIED, (statement, table)
    assert sqlstate_as_app("UPDATE cases_caseevent SET move = 'decline'") == DENIED


def test_the_app_role_logs_and_anonymises_cases_as_before(app_role, places, personas):
    def work():
        case = CaseFactory(
            grid=places.cg1,
            resident_name="王大爷",
            resident_phone="13800001111",
            description="王大爷家水龙头滴水",
        )
        CaseEvent.objects.create(
            case=case,
            move="accept",
            from_state=State.SUBMITTED,
            to_state=State.ACCEPTED,
            actor=personas.worker_cg1,
            note="王大爷说 13800001111 白天有人",
        )
        Case.objects.filter(pk=case.pk).update(state=State.VERIFIED)
        anonymise([case.pk], user=personas.street_staff, reason="居民申请")
        return case.pk

    pk = as_app(work)
    case = Case.objects.get(pk=pk)
    assert case.anonymised_at is not None and "王大爷" not in case.description
    assert "13800001111" not in case.events.get(move="accept").note


@pytest.mark.timeout(240)
def test_migrate_as_the_owner_leaves_the_app_role_only_its_rights(db):
    """The production steps: migrate with DATABASE_OWNER_URL, serve with DATABASE_URL."""
    name, app_user = own_name("roles_check"), own_name("app_check")
    host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    owner = connection.settings_dict["USER"]
    admin = {"dbname": "postgres", "host": host, "port": port, "user": owner, "autocommit": True}
    with psycopg.connect(**admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_OWNER_URL": f"postgres://{owner}@{host}:{port}/{name}",
        "DATABASE_URL": f"postgres://{app_user}@{host}:{port}/{name}",
        # Each migration's commit need not wait for the disk: a throwaway database.
        "PGOPTIONS": "-c synchronous_commit=off",
    }
    try:
        for command in (["ensure_database"], ["migrate", "--noinput", "-v0"]):
            done = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, done.stderr
        check = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        with psycopg.connect(
            dbname=name, host=host, port=port, user=app_user, autocommit=True
        ) as app:
            assert app.execute("SELECT count(*) FROM cases_case").fetchone() == (0,)
            owns = app.execute(
                "SELECT count(*) FROM pg_class WHERE relowner = "
                "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
            ).fetchone()
            assert owns == (0,)
            for statement in (
                "TRUNCATE cases_caseevent CASCADE",
                "ALTER TABLE cases_caseevent DISABLE TRIGGER USER",
                "DELETE FROM audit_accessevent",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    app.execute(statement)
    finally:
        with psycopg.connect(**admin) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
