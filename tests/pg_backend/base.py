"""PostgreSQL for the suite: Django's backend, with tables emptied by DELETE, not TRUNCATE.

After each transactional test (the browser and live tests, and those that commit) Django empties
every table. TRUNCATE makes new files for each table and its indexes: about half a second for
this schema. DELETE of the few rows a test leaves takes a few milliseconds. The deletes run
with triggers off (session_replication_role = replica, for this transaction only): the history
tables refuse DELETE by trigger (common/append_only.py), and foreign keys need no checking when
every table is emptied. That takes a superuser, as `make test`'s database user is; another user
gets Django's TRUNCATE. Nothing else differs from production's backend.
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade or not self._superuser():
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET LOCAL session_replication_role = replica"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}"
            for table in tables
        ]

    def _superuser(self) -> bool:
        self.connection.ensure_connection()
        return self.connection.connection.info.parameter_status("is_superuser") == "on"


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
