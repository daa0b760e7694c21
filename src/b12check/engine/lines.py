"""Each observation's line, rendered inside the COPY that writes it.

A line is the Python writer's record fields joined by the delimiter. Most of them depend only
on the distinct observation (status, analyte, value, flag, band, reason): those runs of fields
are joined once per distinct observation (``b12_frag``), and each row's line is one concat of
those pieces and its own cells (row number, patient, date, lab range and flag).

The rows' order is not left to the join: the COPY numbers its rows as they reach it
(``row_number() OVER ()``, which keeps the order it is given) and stops with an error when that
number is not the observation's place in the file (``b12_seq``); the run then writes them
with an ORDER BY instead. A row the core redoes is written as the marker ``PLACE`` (once per
row), an observation the filters drop as ``DROP``; run.py fills in or removes them.
"""

from b12check.engine.io import sql_text
from b12check.engine.plan import Plan
from b12check.engine.query import OBSERVATIONS, Cells, keep_sql
from b12check.run.filters import Keep

PLACE = "\x00P"  # (no NUL reaches a line the SQL renders: such a row goes to the core)
DROP = "\x00D"
ORDER_ERROR = "b12check: rows out of file order"
FRAGMENTS = "b12_frag"


def _parts(plan: Plan, fmt: str, file_cell: str, column_cell: str) -> list[tuple[bool, str]]:
    """The fields of a line in order: (depends on the row, SQL expression)."""
    cells = Cells(fmt)
    wide = plan.layout.kind == "wide"
    roles = plan.layout.roles

    def row(field: str, role: str | None = None) -> tuple[bool, str]:
        if role is not None and role not in roles:
            return (False, "''")
        return (True, cells.text(f"o.{field}"))

    return [
        (False, "k_status"),
        (False, sql_text(file_cell)),
        (True, "CAST(o.b12_row + 1 AS VARCHAR)"),
        row("b12_column") if wide else (False, sql_text(column_cell)),
        row("patient", "patient"),
        row("b12_date", "date"),
        (False, "''"),
        (False, "''"),
        (False, "k_analyte"),
        row("b12_label") if wide else (False, cells.text("k_test")),
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


def fragments_sql(
    plan: Plan, fmt: str, file_cell: str, column_cell: str, keep: "Keep | None"
) -> tuple[str, str]:
    """The table of each distinct observation's pieces of the line, and the line's SQL."""
    sep = sql_text("\t" if fmt == "tsv" else ",")
    groups = _groups(_parts(plan, fmt, file_cell, column_cell), sep)
    pieces, line, nulls = [], [], []
    for index, (per_row, items) in enumerate(groups):
        if per_row:
            line.append(items[0])
            continue
        name = f"f{index}"
        pieces.append(f"{' || '.join(items)} AS {name}")
        nulls.append(f"{name} IS NULL")
        line.append(f"v.{name}")
    table = (
        f"CREATE OR REPLACE TEMP TABLE {FRAGMENTS} AS SELECT *, "
        f"k_risky OR {' OR '.join(nulls) or 'false'} AS k_redo, "
        f"COALESCE({keep_sql(keep)}, false) AS k_keep FROM "
        f"(SELECT *, {', '.join(pieces)} FROM b12_cls)"
    )
    return table, f"concat({', '.join(line)})"


ON = (
    "o.k_test IS NOT DISTINCT FROM v.k_test "
    "AND o.k_result = v.k_result AND o.k_unit IS NOT DISTINCT FROM v.k_unit"
)
JOIN = (
    f"FROM {OBSERVATIONS} o JOIN {FRAGMENTS} v ON o.k_test IS NOT DISTINCT FROM v.k_test "
    "AND o.k_result = v.k_result AND o.k_unit IS NOT DISTINCT FROM v.k_unit"
)


def source_sql(line: str) -> str:
    """Every observation's line or marker (l) and its place in the file (b12_seq), in the
    join's own order."""
    text = (
        f"CASE WHEN o.b12_odd THEN (CASE WHEN o.b12_sub = 0 THEN {sql_text(PLACE)} "
        f"ELSE {sql_text(DROP)} END) "
        "WHEN v.k_redo IS NOT false "
        "THEN error('b12check: a row the core must redo was not marked') "
        f"WHEN NOT v.k_keep THEN {sql_text(DROP)} ELSE {line} END"
    )
    # (a row the core redoes may have empty cells that no distinct observation holds)
    return f"SELECT {text} AS l, o.b12_seq FROM {OBSERVATIONS} o LEFT JOIN {FRAGMENTS} v ON {ON}"


def checked_sql(source: str) -> str:
    """The lines of ``source`` as they come, stopping with ORDER_ERROR at the first whose
    number among them is not its place in the file (b12_seq, counted from 1)."""
    return (
        f"SELECT CASE WHEN b12_n <> b12_seq THEN error({sql_text(ORDER_ERROR)}) ELSE l END "
        f"FROM (SELECT l, b12_seq, row_number() OVER () AS b12_n FROM ({source}))"
    )


def lines_sql(line: str, checked: bool) -> str:
    """The lines to write: ``checked``, in the join's own order with the check that it is
    the file's, else sorted."""
    if checked:
        return checked_sql(source_sql(line))
    return f"SELECT l FROM ({source_sql(line)}) ORDER BY b12_seq"
