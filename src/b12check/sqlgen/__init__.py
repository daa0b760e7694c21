"""SQL that classifies a table of observations with the effective reference ranges.

``generate(settings, dialect, table)`` writes one script: the reference tables (bands, names
and codes, units, factors, tests, age groups; see tables.py), then a view over ``table`` that
yields a record per row (view.py). Only the value reading and a few spellings differ between
dialects (dialects.py). Used by ``b12check sql``; imported only by that command.
"""

import re

from b12check.core.errors import B12CheckError
from b12check.core.settings import Settings
from b12check.sqlgen.dialects import DIALECTS, Dialect
from b12check.sqlgen.tables import Cell, Table, reference_tables
from b12check.sqlgen.view import FIELDS, INPUT_COLUMNS, SQL_LIMIT, view_body

__all__ = [
    "DIALECTS",
    "FIELDS",
    "INPUT_COLUMNS",
    "SQL_LIMIT",
    "create_table_sql",
    "generate",
    "sql_type",
    "view_name",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CHUNK = 200  # rows per INSERT


def _checked(name: str, what: str, dotted: bool) -> str:
    parts = name.split(".") if dotted else [name]
    if not all(_NAME.fullmatch(part) for part in parts):
        raise B12CheckError(
            f"{what} {name!r} is not a plain SQL name (letters, digits and _"
            + (", parts joined by ." if dotted else "")
            + ")"
        )
    return name


def view_name(table: str) -> str:
    """The view a script makes for ``table``: ``labs`` -> ``labs_checked``."""
    return table.rsplit(".", 1)[-1] + "_checked"


def _literal(d: Dialect, cell: Cell) -> str:
    if cell is None:
        return "NULL"
    if isinstance(cell, str):
        return d.string(cell)
    return repr(cell)  # int, or a float's shortest round-trip text


def sql_type(d: Dialect, kind: str) -> str:
    return {"text": d.text_type, "double": d.double_type, "int": d.int_type}[kind]


def _rows(d: Dialect, rows: list[tuple[Cell, ...]]) -> list[str]:
    return ["(" + ", ".join(_literal(d, cell) for cell in row) + ")" for row in rows]


def create_table_sql(d: Dialect, table: Table) -> str:
    """The statements that make ``table`` anew, empty (not for Spark, whose tables are
    views over their rows)."""
    columns = ", ".join(f"{n} {sql_type(d, k)}" for n, k in table.columns)
    return f"DROP TABLE IF EXISTS {table.name};\nCREATE TABLE {table.name} ({columns});\n"


def _table_sql(d: Dialect, table: Table) -> str:
    names = [name for name, _ in table.columns]
    if d.name == "spark":
        cast = ", ".join(f"CAST({n} AS {sql_type(d, k)}) AS {n}" for n, k in table.columns)
        values = ",\n  ".join(_rows(d, table.rows))
        return (
            f"CREATE OR REPLACE TEMPORARY VIEW {table.name} AS SELECT {cast}\n"
            f"FROM VALUES\n  {values}\nAS t({', '.join(names)});\n"
        )
    out = [create_table_sql(d, table)]
    rows = _rows(d, table.rows)
    for start in range(0, len(rows), _CHUNK):
        chunk = ",\n  ".join(rows[start : start + _CHUNK])
        out.append(f"INSERT INTO {table.name} VALUES\n  {chunk};\n")
    return "".join(out)


def generate(
    settings: Settings,
    dialect: str,
    table: str = "observations",
    keep: tuple[str, ...] = (),
    with_tables: bool = True,
) -> str:
    """The whole script for ``dialect`` (duckdb, spark, postgres, sqlite); not
    ``with_tables``: without the reference tables (a caller that loads
    ``reference_tables(settings)`` itself: the engine, by parameters)."""
    d = DIALECTS[dialect]
    _checked(table, "table", dotted=True)
    for column in keep:
        _checked(column, "column", dotted=False)
    view = view_name(table)
    columns = tuple(dict.fromkeys((*INPUT_COLUMNS, *keep)))
    head = [
        f"-- b12check {dialect} SQL: classify the rows of {table} into the view {view}.",
        f"-- {table} has the columns {', '.join(INPUT_COLUMNS)} (text; age a number of years).",
        "-- Reference tables b12_*: generated from the ranges in effect; do not edit.",
        "-- Not medical advice: discuss results with a qualified clinician.",
        "",
    ]
    if d.name == "spark":
        drop = ""
        create = f"CREATE OR REPLACE TEMPORARY VIEW {view} AS\n"
    else:
        drop = f"DROP VIEW IF EXISTS {view};\n"
        create = f"CREATE VIEW {view} AS\n"
    tables = "\n".join(_table_sql(d, t) for t in reference_tables(settings)) if with_tables else ""
    body = view_body(d, table, columns)
    return "\n".join(head) + drop + "\n" + tables + "\n" + create + body + ";\n"
