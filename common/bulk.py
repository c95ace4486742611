"""Many rows at once into PostgreSQL: COPY, for data loaded in bulk (the benchmark's city, the
report rollups' rebuild)."""

from django.db import connection


def copy_rows(table: str, columns, rows) -> None:
    """COPY `rows` (tuples in `columns` order) into `table`, on the default connection."""
    sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
