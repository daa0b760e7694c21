"""The reference tables of ``b12check sql`` (sqlgen/tables.py), loaded into DuckDB as
parameters: the same rows the script writes as VALUES, without DuckDB parsing some 90 KB
of literals on every run."""

from typing import Any

from b12check.core.settings import Settings
from b12check.sqlgen import DIALECTS, create_table_sql, sql_type
from b12check.sqlgen.tables import reference_tables


def load_reference_tables(conn: Any, settings: Settings) -> None:
    d = DIALECTS["duckdb"]
    for table in reference_tables(settings):
        conn.execute(create_table_sql(d, table))
        if not table.rows:
            continue
        columns = [list(column) for column in zip(*table.rows, strict=True)]
        values = ", ".join(
            f"unnest(${i}::{sql_type(d, kind)}[])" for i, (_, kind) in enumerate(table.columns, 1)
        )
        conn.execute(f"INSERT INTO {table.name} SELECT {values}", columns)
