"""The SQL of one file: its rows as observations, the view of ``b12check sql`` over them,
and each record rendered as the line the Python path's writer gives it.

A record is rendered here only when every one of its cells is plain (ASCII, no formula
leader, nothing the SQL does not reproduce: notes, warnings, a flag by sex); any other row is
marked ``b12_risky`` and goes to the Python core instead (run.py).
"""

from b12check.core.reference import Reference
from b12check.engine import EngineRefused
from b12check.engine.io import sql_text
from b12check.engine.plan import Plan
from b12check.run.filters import Keep
from b12check.sqlgen.dialects import DIALECTS

D = DIALECTS["duckdb"]
PLAIN_VALUE = r"^(<|>|<=|>=)?[0-9]+(\.[0-9]+)?$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NOT_PRINTABLE = r"[^\x20-\x7e]"
OBSERVATIONS = "b12_obs"


def _cell(plan: Plan, role: str) -> str:
    at = plan.layout.roles.get(role)
    return "''" if at is None else f"COALESCE(c{at}, '')"


# what Python's str.strip takes off ASCII text (the rows with other text go to the core)
_WS = " || ".join(f"chr({code})" for code in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32))


def _trim(expr: str) -> str:
    return f"trim({expr}, {_WS})"


def _stripped(expr: str) -> str:
    return f"NULLIF({_trim(expr)}, '')"


# a cell that is not plain ASCII, starts with a space or formula leader, or ends with a space
ODD_CELLS = r"[^\x01\x20-\x7e]|(^|\x01)[ =+@-]|[ ](\x01|$)"


def _raw(plan: Plan, role: str) -> str:
    at = plan.layout.roles.get(role)
    return "CAST(NULL AS VARCHAR)" if at is None else f"NULLIF(c{at}, '')"


def long_columns(plan: Plan) -> str:
    """A long file's columns of b12_raw beside its cells: the hash of each row's
    observation (b12_h), and room for its distinct observation (b12_kid, set once they are
    classified) and the core's line where the core redoes the row (b12_core)."""
    test, result, unit = (_raw(plan, r) for r in ("test", "result", "unit"))
    return f"hash({test}, COALESCE({result}, ''), {unit}) AS b12_h, {_ROOM}"


_ROOM = "CAST(NULL AS BIGINT) AS b12_kid, CAST(NULL AS VARCHAR) AS b12_core"
WIDE = "b12_wobs"  # a wide file's observations, as a table (see observations)


def observation_table(plan: Plan) -> str:
    """The table whose rows are the file's observations, each with its b12_kid and
    b12_core: b12_raw itself for a long file, b12_wobs for a wide one."""
    return "b12_raw" if plan.layout.kind == "long" else WIDE


def observations(plan: Plan) -> str:
    """The file's observations, in file order: one per long row (a view of b12_raw), one
    per filled test cell of a wide row (``b12_sub`` its place in the row; every cell of a
    row the core redoes), built once as the table b12_wobs (read through wide_view); with
    the cells the lines need.
    A row whose cells are all plain needs no stripping (k_* are the cells as read, which
    the distinct observations are found by); any other row is ``b12_odd`` and goes to the
    core."""
    head = "SELECT rowid + 1 AS b12_row, * FROM b12_raw"
    if plan.layout.kind == "long":
        common = (
            f"{_raw(plan, 'patient')} AS patient, {_raw(plan, 'date')} AS b12_date, "
            f"{_raw(plan, 'lab_range')} AS lab_range, {_raw(plan, 'lab_flag')} AS lab_flag"
        )
        test, result, unit = (_raw(plan, r) for r in ("test", "result", "unit"))
        return (
            f"WITH s AS ({head})\nSELECT b12_row, b12_row AS b12_seq, 0 AS b12_sub, b12_odd, "
            f"{test} AS k_test, COALESCE({result}, '') AS k_result, {unit} AS k_unit, "
            f"0 AS k_place, {test} AS b12_label, CAST(NULL AS VARCHAR) AS b12_column, {common}, "
            "b12_h, b12_kid, b12_core FROM s"
        )
    tests = plan.layout.tests
    values = ", ".join(f"c{t.position}" for t in tests)
    # (a wide observation's test and unit are those of its place: the hash needs only the
    # value and the place, and takes no test or unit from a list in every observation)
    return (
        f"WITH s AS ({head}),\n"
        f"u AS (SELECT *, unnest([{values}]) AS b12_v, unnest(range({len(tests)})) AS b12_k "
        "FROM s),\n"
        "f AS (SELECT * FROM u WHERE b12_v IS NOT NULL OR b12_odd)\n"
        f"SELECT b12_row, b12_row * {len(tests)} + b12_k AS b12_seq, b12_k AS b12_sub, b12_odd, "
        f"COALESCE(b12_v, '') AS k_result, {_raw(plan, 'patient')} AS patient, "
        f"{_raw(plan, 'date')} AS b12_date, "
        "hash(COALESCE(b12_v, ''), b12_k) AS b12_h, "
        f"{_ROOM} FROM f"
    )


def _by_place(plan: Plan, place: str) -> tuple[str, str, str]:
    """A wide file's test (its id), unit and header for the test column at ``place``."""
    tests = plan.layout.tests
    ids = ", ".join(sql_text(t.analyte.id if t.analyte else "") for t in tests)
    units = ", ".join("NULL" if t.unit is None else sql_text(t.unit) for t in tests)
    headers = ", ".join(sql_text(t.header) for t in tests)
    return f"[{ids}][{place} + 1]", f"[{units}][{place} + 1]", f"[{headers}][{place} + 1]"


def wide_view(plan: Plan) -> str:
    """The view of a wide file's observations over b12_wobs: each one's test, unit and
    header from its place in the row (the same for every row: not stored)."""
    test, unit, header = _by_place(plan, "b12_sub")
    return (
        f"SELECT *, {test} AS k_test, {unit} AS k_unit, b12_sub AS k_place, {header} AS b12_label, "
        f"{header} AS b12_column, CAST(NULL AS VARCHAR) AS lab_range, "
        f"CAST(NULL AS VARCHAR) AS lab_flag FROM {WIDE}"
    )


def _odd_cells(fmt: str) -> str:
    return sql_text(ODD_CELLS + (r"|\\" if fmt == "tsv" else ""))


def _odd_input(cells: list[str], fmt: str) -> str:
    """Whether any of the input ``cells`` is not plain (ODD_CELLS): one regex over them
    joined by U+0001."""
    joined = cells[0] if len(cells) == 1 else f"concat_ws(chr(1), {', '.join(cells)})"
    return f"regexp_matches({joined}, {_odd_cells(fmt)})"


# a long file's cells that make its observation: checked once per distinct observation
# (classified_sql), not in every row
_KEY_ROLES = ("test", "result", "unit")
# cells checked once per distinct value of their column (odd_values_sql), not in every
# row: few values each, or (the patient) far fewer than rows
BY_VALUE = ("patient", "lab_range", "lab_flag")


def odd_sql(plan: Plan, fmt: str) -> str:
    """Whether a row goes to the core whatever its observations: a cell that is not plain
    (see ODD_CELLS; for TSV output also a backslash anywhere), or a sex or age given; in a
    wide file also no covered test filled, or a column of a test not covered. Most cells
    are checked once per distinct value instead of in every row: those that make an
    observation (a long file's test, result and unit; a wide file's filled test cells),
    per distinct observation (classified_sql); those of BY_VALUE (odd_values_sql); and
    the date, which goes to the core unless it is already written as the core writes it
    (run.py), so never when it is not plain."""
    long = plan.layout.kind == "long"
    roles = plan.layout.roles
    skip = {roles.get(r) for r in (*BY_VALUE, "date", *(_KEY_ROLES if long else ()))}
    skip.update(() if long else (t.position for t in plan.layout.tests))
    cells = [f"COALESCE(c{i}, '')" for i in range(plan.layout.width) if i not in skip]
    given = f"{_raw(plan, 'sex')} IS NOT NULL OR {_raw(plan, 'age')} IS NOT NULL"
    found = f"{_odd_input(cells, fmt) if cells else 'false'} OR {given}"
    if long:
        return found
    tests = plan.layout.tests
    covered = " OR ".join(f"c{t.position} IS NOT NULL" for t in tests if t.analyte) or "false"
    uncovered = " OR ".join(f"c{t.position} IS NOT NULL" for t in tests if not t.analyte)
    return f"{found} OR NOT ({covered}) OR ({uncovered or 'false'})"


def odd_values_sql(column: int, fmt: str) -> str:
    """The distinct values of ``column`` that are not plain, in rows not yet left to the
    core (the check odd_sql leaves out of the rows for BY_VALUE), as one list; and whether
    any of the others is quoted in a CSV line (needs_quotes)."""
    odd = f"regexp_matches(v, {_odd_cells(fmt)})"
    return (
        f"SELECT COALESCE(list(v) FILTER (WHERE {odd}), []), "
        f"COALESCE(bool_or({needs_quotes('v')}) FILTER (WHERE NOT {odd}), false) "
        f"FROM (SELECT DISTINCT c{column} AS v FROM b12_raw WHERE NOT b12_odd)"
    )


def needs_quotes(expr: str) -> str:
    """Whether a CSV line writes the text ``expr`` quoted (Cells.text)."""
    return f"(contains({expr}, ',') OR contains({expr}, '\"'))"


def keys_sql() -> str:
    """The distinct observations, numbered (b12_kid) and stripped as the core strips them,
    for the view (a wide file's by test column too: k_place, its place in the row, so
    that its header is part of the pieces of its line)."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {KEYS} AS SELECT b12_h, row_number() OVER () AS b12_kid, "
        "k_test, k_result, k_unit, k_place, "
        f"NULLIF({_trim('k_test')}, '') AS test, {_trim('k_result')} AS result, "
        f"NULLIF({_trim('k_unit')}, '') AS unit, CAST(NULL AS VARCHAR) AS sex, "
        "CAST(NULL AS DOUBLE) AS age FROM (SELECT DISTINCT b12_h, k_test, k_result, k_unit, "
        f"k_place FROM {OBSERVATIONS})"
    )


KEYS = "b12_keys"  # the distinct observations the view classifies
# how many distinct observations share a hash with another (never seen with 64 bits, but
# checked: the rows find their distinct observation by its hash)
CLASHES_SQL = f"SELECT count(*) - count(DISTINCT b12_h) FROM {KEYS}"


_BY_FACTOR = "k_analyte VARCHAR, factor DOUBLE"


def checks_sql(reference: Reference) -> str:
    """The value spans outside which the core warns: each test's usual span (``b12e_checks``),
    and each unit check by the factor of its unit (``b12e_unit_checks``: a number written
    above or below a bound in that unit), beside every factor the test knows
    (``b12e_factors``). A value near or beyond one goes to the core, which words the
    warning."""
    spans: list[str] = []
    checks: list[str] = []
    factors: list[str] = []
    for a in reference.analytes.values():
        e = a.expected
        low = "NULL" if e.low is None else repr(e.low)
        high = "NULL" if e.high is None else repr(e.high)
        spans.append(f"({sql_text(a.id)}, {low}, {high})")
        for c in a.unit_checks:
            above = "NULL" if c.above is None else repr(c.above)
            below = "NULL" if c.below is None else repr(c.below)
            checks.append(f"({sql_text(a.id)}, {a.factors[c.unit]!r}, {above}, {below})")
        factors.extend(f"({sql_text(a.id)}, {f!r})" for f in sorted(set(a.factors.values())))
    tables = (
        ("b12e_checks", "k_analyte VARCHAR, low DOUBLE, high DOUBLE", spans),
        ("b12e_unit_checks", f"{_BY_FACTOR}, above DOUBLE, below DOUBLE", checks),
        ("b12e_factors", _BY_FACTOR, factors),
    )
    return "".join(
        f"CREATE OR REPLACE TEMP TABLE {name} ({columns});\n"
        + (f"INSERT INTO {name} VALUES {', '.join(rows)};\n" if rows else "")
        for name, columns, rows in tables
    )


def _near(number: str) -> str:
    """Whether a result's value is near or beyond a span the core warns outside of (the
    checks of checks_sql; ``k`` the test's span). A unit check counts where the value's
    factor (value / number) is its unit's, or none of the test's (a unit read another
    way): never fewer values than the core warns about."""
    factor = f"value / {number}"
    same = "abs({f} - {t}.factor) <= 1e-3 * {t}.factor"
    unknown = (
        f"NOT EXISTS (SELECT 1 FROM b12e_factors t WHERE t.k_analyte = r.analyte "
        f"AND {same.format(f=factor, t='t')})"
    )
    unit = (
        f"EXISTS (SELECT 1 FROM b12e_unit_checks u WHERE u.k_analyte = r.analyte "
        f"AND ((u.above IS NOT NULL AND {number} >= u.above * (1 - 1e-9)) "
        f"OR (u.below IS NOT NULL AND {number} <= u.below * (1 + 1e-9))) "
        f"AND ({number} = 0 OR {same.format(f=factor, t='u')} OR {unknown}))"
    )
    return (
        f"(k.low IS NOT NULL AND value <= k.low * (1 + 1e-6)) "
        f"OR (k.high IS NOT NULL AND value >= k.high * (1 - 1e-6)) OR {unit}"
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
            return self.plain(expr)
        return (
            f"CASE WHEN {expr} IS NULL THEN '' WHEN {needs_quotes(expr)} "
            f"THEN '\"' || replace({expr}, '\"', '\"\"') || '\"' ELSE {expr} END"
        )

    def plain(self, expr: str) -> str:
        """A text cell none of whose values is quoted (odd_values_sql has looked)."""
        return f"COALESCE({expr}, '')"

    def odd(self, exprs: tuple[str, ...]) -> str:
        """Whether any of ``exprs`` is not plain: a line break (for TSV also a tab or a
        backslash) anywhere, or a formula leader, space or tab first. One regex over them
        all, joined by U+0001 (which counts as a start: never fewer cells than one by one)."""
        bad = "[\\t\\r\\n\\\\]" if self.fmt == "tsv" else "[\\r\\n]"
        joined = f"concat_ws(chr(1), {', '.join(exprs)})"
        return f"regexp_matches({joined}, '{bad}|(^|\\x01)[=+@ \\t-]')"


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


# the flags by sex of a value whose flag differs between them, as the core lists them
BY_SEX = (
    "CASE WHEN flag = 'unclassified' AND regexp_matches(reason, "
    "'^the flag depends on sex \\(female: [a-z_]+, male: [a-z_]+\\); pass --sex to settle it$') "
    "THEN 'female=' || regexp_extract(reason, 'female: ([a-z_]+),', 1) || ' | male=' || "
    "regexp_extract(reason, 'male: ([a-z_]+)\\)', 1) END"
)


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
            f"COALESCE({BY_SEX}, '')",
        ]
    )
    number = "TRY_CAST(regexp_extract(value_text, '[0-9.]+$') AS DOUBLE)"
    near = _near(number)
    result_odd = (
        f"(flag = 'unclassified' AND {BY_SEX} IS NULL) "
        f"OR NOT regexp_matches(value_text, {sql_text(PLAIN_VALUE)}) OR b12_unit IS NULL"
    )
    skipped_odd = (
        "analyte IS NOT NULL OR reason IS DISTINCT FROM 'not a test b12check covers' "
        "OR test IS NULL"
    )
    odd_cells = cells.odd(KEY_TEXT)
    # (the observation's own cells as read, as odd_sql checks the rest of the row)
    odd_key = _odd_input(["COALESCE(k_test, '')", "k_result", "COALESCE(k_unit, '')"], fmt)
    risky = f"""status = 'error'
      OR (status = 'skipped' AND ({skipped_odd}))
      OR (status = 'result' AND ({result_odd}))
      OR {_odd_number("value")} OR {_odd_number("band_low")} OR {_odd_number("band_high")}
      OR {odd_cells} OR {odd_key}"""
    return f"""CREATE OR REPLACE TEMP TABLE b12_cls AS
WITH r AS (SELECT v.*, v.result AS value_text, v.unit AS b12_unit FROM {KEYS}_checked v)
SELECT *, k_hard OR k_near AS k_risky FROM (SELECT r.b12_h, r.b12_kid,
  r.k_test, r.k_result, r.k_unit,
  r.k_place,
  r.test, r.result, r.unit, r.value, r.status, r.flag, r.analyte, r.reason,
  COALESCE({risky}, true) AS k_hard,
  COALESCE(status = 'result' AND ({near}), true) AS k_near,
  {cells.text("status")} AS k_status,
  {cells.text("analyte")} AS k_analyte, {mid} AS k_mid, {cells.text("reason")} AS k_reason,
  '' AS k_warn
FROM r LEFT JOIN b12e_checks k ON k.k_analyte = r.analyte)"""


def keep_sql(keep: "Keep | None") -> str:
    """``Keep.keeps_fields`` (run/filters.py, the rule) written as the SQL condition of the
    records written (only: results or errors; analytes: ids, and errors whose test could not
    be told); the summary counts all. --only flagged is left to the Python path."""
    if keep is None:
        return "true"
    only = keep.only
    analytes = sorted(keep.analytes)
    parts = []
    if only == "results":
        parts.append("status = 'result'")
    elif only == "errors":
        parts.append("status = 'error'")
    elif only is not None:
        raise EngineRefused(f"--only {only}")
    if analytes:
        ids = ", ".join(sql_text(a) for a in analytes)
        parts.append(f"(analyte IN ({ids}) OR (status = 'error' AND analyte IS NULL))")
    return " AND ".join(parts) or "true"
