"""Append-only tables and undeletable rows, enforced by PostgreSQL itself.

`AppendOnly` (common/models.py) refuses save() of an existing row and delete() of an
instance, but QuerySet.update()/delete(), cascades and raw SQL go around Python. The triggers
below refuse every UPDATE and DELETE of a history row in the database, whoever sends it.

One narrow exception: anonymisation (cases/retention.py) masks phone numbers typed into a
history row's note and details. It sets `youjie.anonymising` for its own transaction only
(SET LOCAL), and even then the trigger lets through an UPDATE that changes nothing but `note`
and `details` of a table declared `anonymisable`.

TRUNCATE fires no row trigger: the test runner's flush between transactional tests still
works, and so does an operator's deliberate TRUNCATE (which needs table ownership anyway).

On SQLite (`make run` without DATABASE_URL) the migrations skip the triggers; the
instance-level guard of `AppendOnly` remains.
"""

from django.db import migrations

ANONYMISING_SETTING = "youjie.anonymising"

FUNCTION = f"""
CREATE OR REPLACE FUNCTION youjie_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'anonymisable'
       AND current_setting('{ANONYMISING_SETTING}', true) = 'on'
       AND (to_jsonb(NEW) - 'note' - 'details') = (to_jsonb(OLD) - 'note' - 'details') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rows of % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION youjie_never_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def append_only(table: str, *, anonymisable: bool = False) -> migrations.RunPython:
    """A migration operation: UPDATE and DELETE on `table` raise (IntegrityError)."""
    argument = "anonymisable" if anonymisable else "strict"
    install = f"""
{FUNCTION}
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION youjie_append_only('{argument}');
"""
    remove = f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    return migrations.RunPython(_on_postgresql(install), _on_postgresql(remove), elidable=False)


def never_delete(table: str) -> migrations.RunPython:
    """A migration operation: DELETE on `table` raises; updates stay allowed."""
    install = f"""
{FUNCTION}
DROP TRIGGER IF EXISTS {table}_never_delete ON {table};
CREATE TRIGGER {table}_never_delete BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION youjie_never_delete();
"""
    remove = f"DROP TRIGGER IF EXISTS {table}_never_delete ON {table};"
    return migrations.RunPython(_on_postgresql(install), _on_postgresql(remove), elidable=False)
