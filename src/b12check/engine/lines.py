"""Each observation's line, rendered inside the COPY that writes it.

A line is the Python writer's record fields joined by the delimiter. Most of them depend only
on the distinct observation (status, analyte, value, flag, band, reason): those runs of fields
are joined once per distinct observation (``b12_frag``), and each row's line is one concat of
those pieces and its own cells (row number, patient, date, lab range and flag).

The rows' order is never left to a join, which any number of threads may run. Each
observation is a row of one table in file order: b12_raw itself for a long file (one
observation a row), b12_wobs for a wide one (its rows unnested once, checked to be in file
order, sorted if not). Its distinct observation (``b12_kid``) and, where the core redid the
row, the core's lines (``b12_core``) are set in place by UPDATE, and ``b12_rows`` is a view of
that table. The COPY then takes each line's pieces by position from one row of lists
(``b12_pieces``: no join), a piece every line shares as its text (line_sql), and writes the
lines in the order of b12_rows when DuckDB plans it so (a batch copy); else the run writes
them with an ORDER BY. An observation the filters drop has no line.
"""

import json
from typing import Any

from b12check.engine.io import sql_text
from b12check.engine.plan import Plan
from b12check.engine.query import OBSERVATIONS, Cells, keep_sql
from b12check.run.filters import Keep

CORE = "b12_core"  # the lines the core wrote for the rows it redid (run.py)
FRAGMENTS = "b12_frag"


def _parts(
    plan: Plan, fmt: str, file_cell: str, column_cell: str, plain: frozenset[str]
) -> list[tuple[bool, str]]:
    """The fields of a line in order: (depends on the row, SQL expression). ``column_cell``:
    the result column's header as the writer writes it; a wide file's, one per test column
    (joined by U+0000), taken by the observation's place in its row. ``plain``: the roles of
    the row's cells none of whose values is quoted (written as they are)."""
    cells = Cells(fmt)
    wide = plan.layout.kind == "wide"
    roles = plan.layout.roles
    headers = "[" + ", ".join(sql_text(h) for h in column_cell.split("\x00")) + "]"
    header = (False, f"{headers}[k_place + 1]")  # (a wide file's place is part of its key)

    def row(field: str, role: str | None = None) -> tuple[bool, str]:
        if role is not None and role not in roles:
            return (False, "''")
        return (True, cells.plain(f"o.{field}") if role in plain else cells.text(f"o.{field}"))

    return [
        (False, "k_status"),
        (False, sql_text(file_cell)),
        (True, "CAST(o.b12_row + 1 AS VARCHAR)"),
        header if wide else (False, sql_text(column_cell)),
        row("patient", "patient"),
        row("b12_date", "date"),
        (False, "''"),
        (False, "''"),
        (False, "k_analyte"),
        header if wide else (False, cells.text("k_test")),
        (False, "k_mid"),
        row("lab_range", "lab_range"),
        row("lab_flag", "lab_flag"),
        (False, "k_warn"),
        (False, "''"),
        (False, "k_reason"),
    ]


def _groups(parts: list[tuple[bool, str]], sep: str) -> list[tuple[bool, list[str]]]:
    """The fields and delimiters in runs: each row field alone, the others run together."""
    out: list[tuple[bool, list[str]]] = []
    for index, (per_row, expr) in enumerate(parts):
        items = [expr] if index == 0 else [sep, expr]
        if per_row:
            if index:
                _add(out, False, [sep])
            out.append((True, [expr]))
        else:
            _add(out, False, items)
    return out


def _add(out: list[tuple[bool, list[str]]], per_row: bool, items: list[str]) -> None:
    if out and not out[-1][0] and not per_row:
        out[-1][1].extend(items)
    else:
        out.append((per_row, list(items)))


# A line's items in order: (True, a piece's name) or (False, the SQL of a row's own cell).
LineItems = list[tuple[bool, str]]


def fragments_sql(
    plan: Plan,
    fmt: str,
    file_cell: str,
    column_cell: str,
    keep: "Keep | None",
    plain: frozenset[str] = frozenset(),
) -> tuple[str, LineItems, list[str]]:
    """The table of each distinct observation's pieces of the line, the line's items and the
    pieces' names (``plain``: as _parts)."""
    sep = sql_text("\t" if fmt == "tsv" else ",")
    groups = _groups(_parts(plan, fmt, file_cell, column_cell, plain), sep)
    pieces, nulls, names = [], [], []
    line: LineItems = []
    for index, (per_row, items) in enumerate(groups):
        if per_row:
            line.append((False, items[0]))
            continue
        name = f"f{index}"
        names.append(name)
        pieces.append(f"{' || '.join(items)} AS {name}")
        nulls.append(f"{name} IS NULL")
        line.append((True, name))
    table = (
        f"CREATE OR REPLACE TEMP TABLE {FRAGMENTS} AS SELECT *, "
        f"k_risky OR {' OR '.join(nulls) or 'false'} AS k_redo, "
        f"COALESCE({keep_sql(keep)}, false) AS k_keep FROM "
        f"(SELECT *, {', '.join(pieces)} FROM b12_cls)"
    )
    return table, line, names


def shared_pieces(conn: Any, names: list[str]) -> tuple[bool, dict[str, str]]:
    """Whether every line the pieces make is kept (no filter drops one), and the pieces with
    one text for all of them, by name; both among the distinct observations whose pieces make
    lines (not redone by the core)."""
    kept = "FILTER (WHERE k_keep AND NOT k_redo)"
    columns = "".join(f", count(DISTINCT {n}) {kept}, min({n}) {kept}" for n in names)
    found = conn.execute(
        f"SELECT bool_and(k_keep) FILTER (WHERE NOT k_redo){columns} FROM {FRAGMENTS}"
    ).fetchone()
    shared = {n: found[2 * i + 2] for i, n in enumerate(names) if found[2 * i + 1] == 1}
    return found[0] is True, shared


def line_sql(items: LineItems, shared: dict[str, str]) -> str:
    """The SQL of a line: each piece taken by the observation's place in its list, except a
    piece with one text for every line (the file's name, most runs of fields between the
    cells), which is written as that text: taking an item from a list in each of a million
    rows costs more than all the rest of the line."""
    exprs = [
        (sql_text(shared[x]) if x in shared else f"p.{x}[o.b12_kid]") if piece else x
        for piece, x in items
    ]
    return f"concat({', '.join(exprs)})"


ON = "o.b12_h = v.b12_h"  # (b12_h: a hash of the observation's cells, one per distinct
# observation: run.py checks that no two of them share one)
JOIN = f"FROM {OBSERVATIONS} o JOIN {FRAGMENTS} v ON {ON}"
ROWS = "b12_rows"  # each observation's distinct observation (b12_kid) and cells, in file order
PIECES = "b12_pieces"  # each column of the distinct observations' pieces, as one list
# the cells of an observation its line reads, by the role they need
ROW_CELLS: tuple[tuple[str, str], ...] = (
    ("patient", "patient"),
    ("b12_date", "date"),
    ("lab_range", "lab_range"),
    ("lab_flag", "lab_flag"),
)


def row_cells(plan: Plan) -> tuple[str, ...]:
    """The columns of b12_rows a line of ``plan``'s file reads."""
    roles = plan.layout.roles
    return ("b12_odd", "b12_sub", "b12_row", *(c for c, role in ROW_CELLS if role in roles))


def rows_sql(columns: tuple[str, ...]) -> str:
    """Every observation's line cells, distinct observation and core's line: a view of the
    table of observations (b12_raw, or b12_wobs for a wide file), in the order it was
    read, each one's b12_kid and b12_core set in place by kid_sql and core_sql."""
    cells = ", ".join(f"o.{c}" for c in columns)
    return (
        f"CREATE OR REPLACE TEMP VIEW {ROWS} AS SELECT o.b12_seq, {cells}, o.b12_kid, "
        f"o.b12_core FROM {OBSERVATIONS} o"
    )


def kid_sql(table: str) -> str:
    """Set each observation's distinct observation (by its hash; b12_keys numbers them)."""
    return f"UPDATE {table} SET b12_kid = v.b12_kid FROM b12_keys v WHERE {table}.b12_h = v.b12_h"


def core_sql(table: str) -> str:
    """Put the core's lines of each row it redid on the row's first observation: b12_raw's
    own row, or the first of a wide row's in b12_wobs."""
    if table == "b12_raw":
        return (
            f"UPDATE b12_raw SET b12_core = c.l FROM {CORE} c WHERE b12_raw.rowid + 1 = c.b12_row"
        )
    first = f"(SELECT b12_row, min(b12_seq) AS b12_seq FROM {table} WHERE b12_odd GROUP BY b12_row)"
    return (
        f"UPDATE {table} SET b12_core = c.l FROM {CORE} c, {first} f "
        f"WHERE f.b12_row = c.b12_row AND {table}.b12_seq = f.b12_seq"
    )


def pieces_sql(names: list[str]) -> str:
    """One row: each piece of the lines (and k_redo, k_keep) as a list by b12_kid, so that a
    line takes its pieces by position, without a join."""
    lists = ", ".join(f"list({n} ORDER BY b12_kid) AS {n}" for n in [*names, "k_redo", "k_keep"])
    return f"CREATE OR REPLACE TEMP TABLE {PIECES} AS SELECT {lists} FROM {FRAGMENTS}"


def source_sql(line: str, every: bool = False) -> str:
    """Every observation's line or NULL (NULL where the filters drop it, or for the other
    observations of a wide row the core redoes; a row the core redoes has its lines), with
    its place in the file (b12_seq). (kept_sql has checked that no row the core must redo
    is left to the SQL.) ``every``: no filter drops a line (nothing to look up per row)."""
    kept = "ELSE" if every else "WHEN p.k_keep[o.b12_kid] THEN"
    text = f"CASE WHEN o.b12_odd THEN o.b12_core {kept} {line} END"
    return f"SELECT o.b12_seq, {text} AS l FROM {ROWS} o CROSS JOIN {PIECES} p"


def order_sql(table: str) -> str:
    """How many rows of ``table`` are out of file order: each must have a greater place in
    the file (b12_seq) than the one before it (by rowid)."""
    return (
        "SELECT count(*) FILTER (WHERE b12_seq <= b12_before) FROM (SELECT b12_seq, "
        f"lag(b12_seq) OVER (ORDER BY rowid) AS b12_before FROM {table})"
    )


def kept_sql() -> str:
    """How many lines the COPY must write (those source_sql does not leave NULL), and how
    many rows the core must redo (or that have no distinct observation) are not marked so:
    a run goes no further unless that is none."""
    return (
        f"SELECT count(*) FILTER (WHERE CASE WHEN o.b12_odd THEN o.b12_core IS NOT NULL "
        f"ELSE p.k_keep[o.b12_kid] END), "
        "count(*) FILTER (WHERE NOT o.b12_odd AND p.k_redo[o.b12_kid] IS NOT false) "
        f"FROM {ROWS} o CROSS JOIN {PIECES} p"
    )


def lines_sql(line: str, in_order: bool, every: bool = False) -> str:
    """The lines to write: in the order of b12_rows when it is the file's, else sorted
    (``every``: as source_sql)."""
    order = "" if in_order else " ORDER BY b12_seq"
    return f"SELECT l FROM ({source_sql(line, every)}) WHERE l IS NOT NULL{order}"


def keeps_order(conn: Any, copy: str) -> bool:
    """Whether DuckDB writes ``copy`` (a COPY statement) in the order its rows are read: it
    plans a batch copy, which puts each batch of rows back in its place, exactly when every
    step between the scan and the file keeps their order (preserve_insertion_order)."""
    plan = json.loads(conn.execute(f"EXPLAIN (FORMAT json) {copy}").fetchall()[0][1])
    return bool(plan) and plan[0].get("name") == "BATCH_COPY_TO_FILE"
