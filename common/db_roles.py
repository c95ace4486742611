"""Two database roles: the owner changes the schema, the app only reads and writes rows.

The triggers of common/append_only.py refuse UPDATE and DELETE of history rows, but a role that
owns a table can still TRUNCATE it or `ALTER TABLE … DISABLE TRIGGER`. So in production the app
connects as a role that owns nothing (DATABASE_URL) and the owner (DATABASE_OWNER_URL) runs the
migrations. After every `migrate` the owner grants the app role its rights again
(`grant_data_rights`), so a table a migration adds is covered at once:

- SELECT, INSERT, UPDATE, DELETE on every table, and the sequences' values; never TRUNCATE,
  REFERENCES or TRIGGER, and no CREATE anywhere;
- on the tables the triggers protect, nothing beyond SELECT and INSERT: no UPDATE and no DELETE
  on append-only tables, no DELETE on tables whose rows are never deleted. Anonymisation may
  still mask `note` and `details` of an anonymisable history table (a column grant).

Which tables are protected is read from the triggers themselves, so the rights and the triggers
can never disagree.
"""

from psycopg import sql

# Trigger names and arguments, as common/append_only.py creates them.
PROTECTED_TABLES = """
SELECT c.relname,
       t.tgname LIKE '%%\\_append\\_only' AS append_only,
       position('anonymisable' in encode(t.tgargs, 'escape')) > 0 AS anonymisable
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND NOT t.tgisinternal
  AND (t.tgname LIKE '%%\\_append\\_only' OR t.tgname LIKE '%%\\_never\\_delete')
"""
MASKABLE_COLUMNS = ("note", "details")

# Two processes may create the role at once (two test processes, two nodes migrating):
# the loser's error is the winner's success.
CREATE_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN
        CREATE ROLE {role} {login};
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
"""


def ensure_role(cursor, role: str, *, login: bool, password: str = "") -> None:
    """Create `role` if the server has none of that name. It owns nothing and may create
    nothing; an existing role keeps its password."""
    login_clause = sql.SQL("LOGIN") if login else sql.SQL("NOLOGIN")
    if login and password:
        login_clause = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(password))
    statement = sql.SQL(CREATE_ROLE).format(
        name=sql.Literal(role), role=sql.Identifier(role), login=login_clause
    )
    cursor.execute(statement.as_string(cursor.connection))


def protected_tables(cursor) -> dict[str, str]:
    """{table: "append_only" | "anonymisable" | "never_delete"} from the triggers."""
    cursor.execute(PROTECTED_TABLES)
    kinds: dict[str, str] = {}
    for table, append_only, anonymisable in cursor.fetchall():
        if append_only:
            kinds[table] = "anonymisable" if anonymisable else "append_only"
        else:
            kinds.setdefault(table, "never_delete")
    return kinds


def grant_data_rights(cursor, role: str) -> dict[str, str]:
    """Give `role` the rights of the app and nothing more (see the module's text). Safe to
    run again; returns the protected tables and how each is protected."""
    ident = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(ident),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            ident
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
        # The app reads which migrations ran (`check`); only the owner records them.
        sql.SQL("REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {}").format(ident),
    ]
    kinds = protected_tables(cursor)
    for table, kind in sorted(kinds.items()):
        table_ident = sql.Identifier(table)
        if kind == "never_delete":
            statements.append(sql.SQL("REVOKE DELETE ON {} FROM {}").format(table_ident, ident))
            continue
        statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(table_ident, ident))
        if kind == "anonymisable":
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in MASKABLE_COLUMNS)
            statements.append(
                sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(columns, table_ident, ident)
            )
    for statement in statements:
        cursor.execute(statement.as_string(cursor.connection))
    return kinds


def after_migrate(sender, using="default", **kwargs):
    """post_migrate: the owner has changed the schema; grant the app role its rights again."""
    from django.conf import settings
    from django.db import connections

    connection = connections[using]
    role = getattr(settings, "APP_DATABASE_ROLE", "")
    if connection.vendor != "postgresql" or not role or connection.settings_dict["USER"] == role:
        return
    with connection.cursor() as cursor:
        ensure_role(cursor, role, login=True, password=settings.APP_DATABASE_PASSWORD)
        grant_data_rights(cursor, role)
