"""The SQL of one file: its rows as observations, the view of ``b12check sql`` over them,
and each record rendered as the line the Python path's writer gives it.

A record is rendered here only when every one of its cells is plain (ASCII, no formula
leader, nothing the SQL does not reproduce: notes, warnings, a flag by sex); any other row is
marked ``b12_risky`` and goes to the Python core instead (run.py).
"""

from b12check.core.reference import Reference
from b12check.engine.io import sql_text
from b12check.engine.plan import Plan
from b12check.sqlgen.dialects import DIALECTS

D = DIALECTS["duckdb"]
PLAIN_VALUE = r"^(<|>|<=|>=)?[0-9]+(\.[0-9]+)?$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NOT_PRINTABLE = r"[^\x20-\x7e]"
OBSERVATIONS = "b12_obs"


def _cell(plan: Plan, role: str) -> str:
    at = plan.layout.roles.get(role)
    return "''" if at is None else f"COALESCE(c{at}, '')"


def _stripped(expr: str) -> str:
    return f"NULLIF({D.trim(expr)}, '')"


def observations(plan: Plan, relation: str) -> str:
    """The view of the file's observations: one per long row, one per filled test cell of a
    wide row (``b12_sub`` its place in the row), with the cells the lines need."""
    width = plan.layout.width
    cells = ", ".join(f"COALESCE(c{i}, '')" for i in range(width))
    whole = f"concat_ws(' ', {cells})"
    # one scan: the row number in file order, and whether a row is beyond the plain subset
    head = (
        f"SELECT row_number() OVER () AS b12_row, *, "
        f"regexp_matches({whole}, {sql_text(NOT_PRINTABLE)}) "
        f"OR {_stripped(_cell(plan, 'sex'))} IS NOT NULL "
        f"OR {_stripped(_cell(plan, 'age'))} IS NOT NULL AS b12_odd FROM {relation}"
    )
    common = (
        f"{_stripped(_cell(plan, 'patient'))} AS patient, "
        f"{_stripped(_cell(plan, 'date'))} AS b12_date, "
        f"{_stripped(_cell(plan, 'lab_range'))} AS lab_range, "
        f"{_stripped(_cell(plan, 'lab_flag'))} AS lab_flag, "
        "CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS DOUBLE) AS age, "
        f"[{cells}] AS b12_cells"
    )
    if plan.layout.kind == "long":
        test, result, unit = (_cell(plan, r) for r in ("test", "result", "unit"))
        return (
            f"WITH s AS ({head})\nSELECT b12_row, 0 AS b12_sub, b12_odd, "
            f"{_stripped(test)} AS test, {D.trim(result)} AS result, "
            f"{_stripped(unit)} AS unit, {_stripped(test)} AS b12_label, "
            f"CAST(NULL AS VARCHAR) AS b12_column, {common} FROM s"
        )
    tests = plan.layout.tests
    values = ", ".join(f"COALESCE(c{t.position}, '')" for t in tests)
    covered = [t for t in tests if t.analyte is not None]
    filled = (
        " OR ".join(
            f"{D.trim(f'COALESCE(c{t.position}, {chr(39)}{chr(39)})')} <> ''" for t in covered
        )
        or "false"
    )
    uncovered = (
        " OR ".join(
            f"{D.trim(f'COALESCE(c{t.position}, {chr(39)}{chr(39)})')} <> ''"
            for t in tests
            if t.analyte is None
        )
        or "false"
    )
    ids = ", ".join(sql_text(t.analyte.id if t.analyte else "") for t in tests)
    units = ", ".join("NULL" if t.unit is None else sql_text(t.unit) for t in tests)
    headers = ", ".join(sql_text(t.header) for t in tests)
    return (
        f"WITH s AS ({head}),\n"
        f"u AS (SELECT *, b12_odd OR NOT ({filled}) OR ({uncovered}) AS b12_wide_odd, "
        f"unnest([{values}]) AS b12_v, unnest(range({len(tests)})) AS b12_k FROM s)\n"
        f"SELECT b12_row, b12_k AS b12_sub, b12_wide_odd AS b12_odd, "
        f"[{ids}][b12_k + 1] AS test, {D.trim('b12_v')} AS result, "
        f"[{units}][b12_k + 1] AS unit, [{headers}][b12_k + 1] AS b12_label, "
        f"[{headers}][b12_k + 1] AS b12_column, {common} FROM u "
        f"WHERE {D.trim('b12_v')} <> '' OR b12_wide_odd"
    )


KEYS = "b12_keys"  # the distinct observations the view classifies


def checks_sql(reference: Reference) -> str:
    """The value spans outside which the core warns (unusual for the unit, outside the usual
    span): a value near or beyond one goes to the core, which words the warning."""
    rows = []
    for a in reference.analytes.values():
        e = a.expected
        low = "NULL" if e.low is None else repr(e.low)
        high = "NULL" if e.high is None else repr(e.high)
        above = [c.above for c in a.unit_checks if c.above is not None]
        below = [c.below for c in a.unit_checks if c.below is not None]
        rows.append(
            f"({sql_text(a.id)}, {low}, {high}, "
            f"{repr(min(above)) if above else 'NULL'}, {repr(max(below)) if below else 'NULL'})"
        )
    return (
        "CREATE OR REPLACE TEMP TABLE b12e_checks (k_analyte VARCHAR, low DOUBLE, high DOUBLE, "
        "written_above DOUBLE, written_below DOUBLE);\n"
        + ("INSERT INTO b12e_checks VALUES " + ", ".join(rows) + ";\n" if rows else "")
    )


def _fmt(expr: str) -> str:
    return f"COALESCE(regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', ''), '')"


def _odd_number(expr: str) -> str:
    return f"({expr} IS NOT NULL AND {expr} <> 0 AND (abs({expr}) < 1e-4 OR abs({expr}) >= 1e15))"


class Cells:
    """How one text cell is written (CSV quoting or TSV), and when it is not plain."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    def text(self, expr: str) -> str:
        if self.fmt == "tsv":
            return f"COALESCE({expr}, '')"
        return (
            f"CASE WHEN {expr} IS NULL THEN '' WHEN regexp_matches({expr}, '[,\"\\r\\n]') "
            f"THEN '\"' || replace({expr}, '\"', '\"\"') || '\"' ELSE {expr} END"
        )

    def odd(self, expr: str) -> str:
        bad = "[\\t\\r\\n\\\\]" if self.fmt == "tsv" else "[\\r\\n]"
        return (
            f"({expr} IS NOT NULL AND (regexp_matches({expr}, '{bad}') "
            f"OR regexp_matches({expr}, '^[=+@ \\t-]')))"
        )


KEY_TEXT = (
    "analyte",
    "value_text",
    "b12_unit",
    "comparator",
    "canonical_unit",
    "flag",
    "band_label",
    "interpretation",
    "band_source",
    "guideline",
    "reason",
    "status",
)
ROW_TEXT = ("patient", "b12_date", "b12_label", "lab_range", "lab_flag", "b12_column")


def classified_sql(fmt: str) -> str:
    """Each distinct observation's record, its pieces of the line, and whether the core
    must redo it (notes, warnings, a flag by sex, text that is not plain)."""
    cells = Cells(fmt)
    sep = sql_text("\t" if fmt == "tsv" else ",")
    mid = f" || {sep} || ".join(
        [
            cells.text("value_text"),
            cells.text("b12_unit"),
            cells.text("comparator"),
            _fmt("value"),
            cells.text("canonical_unit"),
            cells.text("flag"),
            cells.text("band_label"),
            cells.text("interpretation"),
            _fmt("band_low"),
            _fmt("band_high"),
            cells.text("band_source"),
            cells.text("guideline"),
            "''",
        ]
    )
    number = "TRY_CAST(regexp_extract(value_text, '[0-9.]+$') AS DOUBLE)"
    near = (
        f"(k.low IS NOT NULL AND value <= k.low * (1 + 1e-6)) "
        f"OR (k.high IS NOT NULL AND value >= k.high * (1 - 1e-6)) "
        f"OR (k.written_above IS NOT NULL AND {number} >= k.written_above * (1 - 1e-9)) "
        f"OR (k.written_below IS NOT NULL AND {number} <= k.written_below * (1 + 1e-9))"
    )
    result_odd = (
        f"flag = 'unclassified' OR NOT regexp_matches(value_text, {sql_text(PLAIN_VALUE)}) "
        f"OR b12_unit IS NULL OR {near}"
    )
    skipped_odd = (
        "analyte IS NOT NULL OR reason IS DISTINCT FROM 'not a test b12check covers' "
        "OR test IS NULL"
    )
    odd_cells = " OR ".join(cells.odd(f) for f in KEY_TEXT)
    risky = f"""status = 'error'
      OR (status = 'skipped' AND ({skipped_odd}))
      OR (status = 'result' AND ({result_odd}))
      OR {_odd_number("value")} OR {_odd_number("band_low")} OR {_odd_number("band_high")}
      OR {odd_cells}"""
    return f"""CREATE OR REPLACE TEMP TABLE b12_cls AS
WITH r AS (SELECT v.*, v.result AS value_text, v.unit AS b12_unit FROM {KEYS}_checked v)
SELECT r.test, r.result, r.unit, r.status, r.flag, r.analyte, r.reason,
  COALESCE({risky}, true) AS k_risky, {cells.text("status")} AS k_status,
  {cells.text("analyte")} AS k_analyte, {mid} AS k_mid, {cells.text("reason")} AS k_reason
FROM r LEFT JOIN b12e_checks k ON k.k_analyte = r.analyte"""


def records_sql(plan: Plan, fmt: str, file_cell: str, column_cell: str) -> str:
    """The table of records: order, status, flag, whether the core must redo the row, and
    the rendered line of the rest."""
    cells = Cells(fmt)
    sep = sql_text("\t" if fmt == "tsv" else ",")
    column = cells.text("b12_column") if plan.layout.kind == "wide" else sql_text(column_cell)
    parts = [
        "k_status",
        sql_text(file_cell),
        "CAST(b12_row + 1 AS VARCHAR)",
        column,
        cells.text("patient"),
        cells.text("b12_date"),
        "''",
        "''",
        "k_analyte",
        cells.text("b12_label"),
        "k_mid",
        cells.text("lab_range"),
        cells.text("lab_flag"),
        "''",
        "''",
        "k_reason",
    ]
    line = f" || {sep} || ".join(parts)
    odd_cells = " OR ".join(cells.odd(f) for f in ROW_TEXT)
    risky = f"""b12_odd OR k_risky
      OR (b12_date IS NOT NULL AND NOT regexp_matches(b12_date, {sql_text(ISO_DATE)}))
      OR {odd_cells}"""
    return f"""CREATE OR REPLACE TEMP TABLE b12_rec AS
WITH w AS (SELECT o.*, v.status, v.flag, v.analyte, v.k_status, v.k_analyte, v.k_mid,
    v.k_reason, v.k_risky, o.unit AS b12_unit
  FROM {OBSERVATIONS} o JOIN b12_cls v
  ON COALESCE(o.test, '') = COALESCE(v.test, '') AND o.result = v.result
  AND COALESCE(o.unit, '') = COALESCE(v.unit, '')),
x AS (SELECT w.*, COALESCE({risky}, true) AS b12_risky FROM w)
SELECT b12_row, b12_sub, b12_risky, status, flag, analyte, b12_unit, lab_range, b12_date,
  CASE WHEN analyte IS NULL OR b12_risky THEN b12_label END AS b12_label_raw,
  CASE WHEN b12_risky THEN b12_cells END AS b12_cells,
  CASE WHEN NOT b12_risky THEN {line} END AS b12_line
FROM x"""
