"""The classifying view: one SQL text for every dialect, built as a chain of CTE layers.

Each layer adds ``b12_*`` working columns to the rows of the one before; the last SELECT
keeps the input's columns and adds the record fields. The rules are those of the Python core
(core/evaluate.py, core/classify.py, core/numbers.py), in the same order: the test's name or
code, the value text, its unit, the conversion and its overflow, plausibility, then the band.
Where an engine cannot follow a rule exactly (non-ASCII text, a lab flag after the number),
the row is an error whose reason starts with ``SQL_LIMIT``: never a different flag.
"""

from b12check.sqlgen.dialects import Dialect, Layer

SQL_LIMIT = "beyond what the SQL reads exactly"
FIELDS = (
    "status",
    "analyte",
    "value",
    "comparator",
    "canonical_unit",
    "flag",
    "band_label",
    "interpretation",
    "band_low",
    "band_high",
    "band_source",
    "guideline",
    "reason",
)
INPUT_COLUMNS = ("test", "result", "unit", "sex", "age")
_FLAG_WORDS = (
    *("hh", "ll", "h", "l", "a", "aa", "n", "ch", "cl"),
    *("high", "low", "critical", "abnormal", "normal"),
)
_SEX_WORDS = {"f": "female", "female": "female", "w": "female", "woman": "female"}
_SEX_WORDS |= {"m": "male", "male": "male", "man": "male"}


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _limit(d: Dialect, what: str) -> str:
    return d.string(f"{SQL_LIMIT} ({what}); check this value with b12check scan")


def _quoted(d: Dialect, expr: str) -> str:
    return f"{d.string(chr(39))} || {expr} || {d.string(chr(39))}"


def _within(value: str, low: str, low_in: str, high: str, high_in: str) -> str:
    return (
        f"({low} IS NULL OR {value} > {low} OR ({value} = {low} AND {low_in} = 1)) AND "
        f"({high} IS NULL OR {value} < {high} OR ({value} = {high} AND {high_in} = 1))"
    )


def _read_layer(d: Dialect) -> Layer:
    digits = ", ".join(f"'{n}'" for n in range(10))
    cmp = (
        "CASE b12_cmp_raw WHEN '<' THEN '<' WHEN '>' THEN '>' WHEN '<=' THEN '<=' "
        "WHEN '=<' THEN '<=' WHEN '≤' THEN '<=' WHEN '>=' THEN '>=' WHEN '=>' THEN '>=' "
        "WHEN '≥' THEN '>=' ELSE '' END"
    )
    sex_cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _SEX_WORDS.items())
    no_micro = "REPLACE(REPLACE(COALESCE(b12_unit, ''), 'µ', ''), 'μ', '')"
    return [
        ("b12_cmp", cmp),
        ("b12_rest", d.trim("b12_rest_raw")),
        (
            "b12_num_ok",
            _flag(
                f"b12_num_raw IS NOT NULL AND substr(b12_rest_raw, 1, 1) NOT IN "
                f"({digits}, ',', '.', '_') AND NOT {d.is_thousands('b12_num_raw')}"
            ),
        ),
        ("b12_thousands", _flag(f"b12_num_raw IS NOT NULL AND {d.is_thousands('b12_num_raw')}")),
        ("b12_test_wide", _flag(d.non_ascii("b12_test"))),
        ("b12_value_wide", _flag(d.non_ascii("REPLACE(REPLACE(b12_value, '≤', ''), '≥', '')"))),
        ("b12_code", f"CASE WHEN {d.is_code(d.trim('b12_test'))} THEN {d.trim('b12_test')} END"),
        ("b12_unit_given", _flag("b12_unit IS NOT NULL AND b12_unit <> ''")),
        ("b12_unit_key", d.fold_unit("COALESCE(b12_unit, '')")),
        ("b12_unit_wide", _flag(d.non_ascii(no_micro))),
        ("b12_sex", f"CASE LOWER({d.trim('b12_sex_text')}) {sex_cases} END"),
        ("b12_sex_wide", _flag(d.non_ascii("COALESCE(b12_sex_text, '')"))),
        ("b12_age", "CASE WHEN b12_age_raw >= 0 AND b12_age_raw <= 1e300 THEN b12_age_raw END"),
    ]


def _rest_layer(d: Dialect) -> Layer:
    rest = "LOWER(b12_rest)"
    words = [w for word in _FLAG_WORDS for w in (word, f"({word}", f"{word})", f"({word})")]
    whole = ", ".join(f"'{w}'" for w in words)
    tails = " OR ".join(f"{rest} LIKE '% {w}'" for w in words)
    marks = " OR ".join(d.contains("b12_rest", m) for m in "*!↑↓")
    no_micro = "REPLACE(REPLACE(b12_rest, 'µ', ''), 'μ', '')"
    number = d.to_double("REPLACE(b12_num_raw, ',', '.')")
    symbols = "b12_rest"
    for mark in "*!↑↓":
        symbols = f"REPLACE({symbols}, '{mark}', '')"
    only_flag = f"{rest} IN ({whole}) OR (b12_rest <> '' AND {symbols} = '')"
    return [
        # a lab flag alone after the number ('250 H') leaves the unit to the unit column
        (
            "b12_has_rest",
            _flag(f"b12_rest IS NOT NULL AND b12_rest <> '' AND NOT ({only_flag})"),
        ),
        ("b12_rest_key", d.fold_unit("COALESCE(b12_rest, '')")),
        ("b12_rest_wide", _flag(d.non_ascii(no_micro))),
        ("b12_rest_flag", _flag(f"{rest} IN ({whole}) OR {tails} OR {marks}")),
        ("b12_number", f"CASE WHEN b12_num_ok = 1 THEN {number} END"),
    ]


_LOOKUP = """SELECT p.*, COALESCE(c.kind, n.kind) AS b12_kind, COALESCE(c.id, n.id) AS b12_id,
    c.reason AS b12_refused, t.name AS b12_test_name, t.canonical_unit AS b12_canonical,
    t.guideline AS b12_guideline, t.plausible_low AS b12_pl, t.plausible_low_in AS b12_pl_in,
    t.plausible_high AS b12_ph, t.plausible_high_in AS b12_ph_in,
    t.fraction_as_percent AS b12_fraction, t.bare_unit AS b12_bare_unit, t.units AS b12_units,
    t.skip_reason AS b12_skip_reason, ur.code AS b12_rest_code, uu.code AS b12_unit_code
  FROM {prev} p
  LEFT JOIN b12_codes c ON c.code = p.b12_code
  LEFT JOIN b12_names n ON p.b12_code IS NULL AND n.name_key = p.b12_name_key
  LEFT JOIN b12_tests t ON t.id = COALESCE(c.id, n.id)
  LEFT JOIN b12_units ur ON ur.unit_key = p.b12_rest_key
  LEFT JOIN b12_units uu ON uu.unit_key = p.b12_unit_key"""


def _unit_layer(d: Dialect) -> Layer:
    empty = "b12_has_rest = 0 AND b12_unit_key = ''"
    percent = f"b12_fraction = 1 AND {empty} AND b12_number <= 1"
    return [
        ("b12_unit_empty", _flag(empty)),
        ("b12_percent", _flag(percent)),
        ("b12_unit_chosen", "CASE WHEN b12_has_rest = 1 THEN b12_rest_code ELSE b12_unit_code END"),
        (
            "b12_x",
            f"CASE WHEN {percent} THEN {d.round_sig('b12_number * 100', 12)} ELSE b12_number END",
        ),
        (
            "b12_unit_final",
            f"CASE WHEN {empty} THEN (CASE WHEN {percent} THEN b12_canonical "
            "ELSE b12_bare_unit END) WHEN b12_has_rest = 1 THEN b12_rest_code "
            "ELSE b12_unit_code END",
        ),
    ]


_CONVERT = """SELECT p.*, f.factor AS b12_factor, COALESCE(f.by_prefix, 0) AS b12_by_prefix,
    CASE WHEN ABS(p.b12_x) <= f.max_number THEN p.b12_x * f.factor END AS b12_canon
  FROM {prev} p
  LEFT JOIN b12_factors f ON f.id = p.b12_id AND f.unit = p.b12_unit_final"""


def _problem_layer(d: Dialect) -> Layer:
    given = "CASE WHEN b12_has_rest = 1 THEN b12_rest ELSE " + d.trim("b12_unit") + " END"
    not_number = (
        f"CASE WHEN b12_value_wide = 1 THEN {_limit(d, 'non-ASCII text in the value')} "
        f"WHEN {d.trim('b12_value')} = '' THEN 'no result given' "
        f"WHEN b12_thousands = 1 THEN {_quoted(d, 'b12_num_raw')} || "
        f"{d.string(' is ambiguous: thousands separator or decimal comma?')} "
        f"ELSE {_quoted(d, d.trim('b12_value'))} || ' is not a number' END"
    )
    read = f"""CASE
      WHEN b12_kind IS NULL OR b12_kind <> 'analyte' THEN NULL
      WHEN b12_num_ok = 0 THEN {not_number}
      WHEN b12_has_rest = 1 AND (b12_rest_wide = 1 OR b12_rest_flag = 1)
        THEN {_limit(d, "a lab flag or non-ASCII text after the number")}
      WHEN b12_unit_given = 1 AND b12_unit_wide = 1 THEN {_limit(d, "a non-ASCII unit")}
      WHEN b12_percent = 1 AND NOT ({d.rounds_exactly("b12_num_raw")})
        THEN {_limit(d, "a fraction of more than 12 characters read as a percent")}
      WHEN b12_has_rest = 1 AND b12_unit_given = 1
        AND COALESCE(b12_rest_code, '') <> COALESCE(b12_unit_code, '')
        THEN 'the value says ' || {_quoted(d, "b12_rest")} || ' but the unit says '
          || {_quoted(d, "b12_unit")}
      WHEN b12_unit_empty = 1 AND b12_unit_final IS NULL
        THEN 'no unit given for ' || b12_test_name || '; add one (' || b12_units
          || ') or pass --units conventional|si'
      WHEN b12_by_prefix = 1 THEN {_limit(d, "a unit the core reads by its prefix")}
      WHEN b12_unit_empty = 0 AND b12_unit_chosen IS NULL
        THEN {_quoted(d, given)} || ' is an unknown unit; ' || b12_test_name
          || ' takes ' || b12_units
      WHEN b12_factor IS NULL THEN {_quoted(d, given)} || ' is not a unit of this test; '
        || b12_test_name || ' takes ' || b12_units
      WHEN b12_canon IS NULL THEN 'too large to convert to ' || b12_canonical || ' (it overflows)'
    END"""
    plausible = _within("b12_canon", "b12_pl", "b12_pl_in", "b12_ph", "b12_ph_in")
    late = f"""CASE
      WHEN NOT ({plausible}) THEN 'not a plausible ' || b12_test_name || ' result'
      WHEN b12_sex_wide = 1 THEN {_limit(d, "non-ASCII text in the sex column")}
    END"""
    return [("b12_read_problem", read), ("b12_late_problem", late)]


def _problem_total(d: Dialect) -> Layer:
    problem = f"""CASE
      WHEN b12_test_wide = 1 THEN {_limit(d, "a non-ASCII test name")}
      WHEN b12_kind = 'refused' THEN b12_refused
      WHEN b12_read_problem IS NOT NULL THEN b12_read_problem
      WHEN b12_kind = 'analyte' THEN b12_late_problem
    END"""
    return [("b12_problem", problem)]


_GROUPS = (
    """SELECT p.*, COALESCE(ga.age_group, 0) AS b12_group,
    COALESCE(ga.sex_specific, g0.sex_specific) AS b12_sex_specific,
    COALESCE(ga.band_count, g0.band_count) AS b12_band_count
  FROM {prev} p
  LEFT JOIN b12_groups ga ON p.b12_problem IS NULL AND ga.analyte = p.b12_id
    AND ga.guideline = p.b12_guideline AND ga.age_group > 0 AND p.b12_age IS NOT NULL
    AND """
    + _within("p.b12_age", "ga.age_low", "ga.age_low_in", "ga.age_high", "ga.age_high_in")
    + """
  LEFT JOIN b12_groups g0 ON p.b12_problem IS NULL AND g0.analyte = p.b12_id
    AND g0.guideline = p.b12_guideline AND g0.age_group = 0"""
)

_SEX_LAYER: Layer = [
    (
        "b12_sex_key",
        "CASE WHEN b12_sex_specific = 1 THEN COALESCE(b12_sex, 'female') ELSE 'any' END",
    ),
    ("b12_two", _flag("b12_sex_specific = 1 AND b12_sex IS NULL")),
]


def _place(b: str) -> str:
    """The band row a value reaches first, as core/bands.Scale bisects: '<' the band of the
    values just below it, '>' just above, else the band holding it."""
    x = "p.b12_x"
    low, high = f"{b}.cut_low", f"{b}.cut_high"
    below = f"({low} IS NULL OR {low} < {x}) AND ({high} IS NULL OR {x} <= {high})"
    above = f"({low} IS NULL OR {low} <= {x}) AND ({high} IS NULL OR {x} < {high})"
    holding = (
        f"({low} IS NULL OR {low} < {x} OR ({low} = {x} AND {b}.cut_low_in = 1)) AND "
        f"({high} IS NULL OR {x} < {high} OR ({x} = {high} AND {b}.cut_high_next = 0))"
    )
    return (
        f"((p.b12_cmp = '<' AND {below}) OR (p.b12_cmp = '>' AND {above})"
        f" OR (p.b12_cmp NOT IN ('<', '>') AND {holding}))"
    )


def _reading(b: str) -> str:
    """What the reached row says: exact, or the run of bands below (< <=) or above (> >=)."""
    below, above = "p.b12_cmp IN ('<', '<=')", "p.b12_cmp IN ('>', '>=')"
    return f"""CASE WHEN p.b12_cmp = '' THEN {b}.flag WHEN {below} THEN {b}.below_flag
      ELSE {b}.above_flag END AS b12_{b}_flag,
    CASE WHEN {below} THEN {b}.below_label ELSE {b}.label END AS b12_{b}_label,
    CASE WHEN {below} THEN {b}.below_interpretation ELSE {b}.interpretation END
      AS b12_{b}_interpretation,
    CASE WHEN {below} THEN {b}.below_source ELSE {b}.band_source END AS b12_{b}_source,
    CASE WHEN {below} THEN {b}.below_low ELSE {b}.band_low END AS b12_{b}_low,
    CASE WHEN {above} THEN {b}.above_high ELSE {b}.band_high END AS b12_{b}_high"""


_BANDS = (
    "SELECT p.*,\n    "
    + _reading("f")
    + ",\n    "
    + _reading("m")
    + """
  FROM {prev} p
  LEFT JOIN b12_bands f ON p.b12_problem IS NULL AND p.b12_kind = 'analyte'
    AND f.analyte = p.b12_id AND f.guideline = p.b12_guideline AND f.age_group = p.b12_group
    AND f.sex = p.b12_sex_key AND f.unit = p.b12_unit_final AND """
    + _place("f")
    + """
  LEFT JOIN b12_bands m ON p.b12_two = 1 AND p.b12_problem IS NULL AND p.b12_kind = 'analyte'
    AND m.analyte = p.b12_id AND m.guideline = p.b12_guideline AND m.age_group = p.b12_group
    AND m.sex = 'male' AND m.unit = p.b12_unit_final AND """
    + _place("m")
)

_OUTCOME: Layer = [
    (
        "b12_status",
        "CASE WHEN b12_problem IS NOT NULL THEN 'error' "
        "WHEN b12_kind IS NULL OR b12_kind <> 'analyte' THEN 'skipped' ELSE 'result' END",
    ),
    (
        "b12_flag",
        "CASE WHEN b12_band_count = 0 THEN 'unclassified' WHEN b12_two = 1 THEN "
        "(CASE WHEN b12_f_flag = b12_m_flag THEN b12_f_flag ELSE 'unclassified' END) "
        "ELSE COALESCE(b12_f_flag, 'unclassified') END",
    ),
]


def _final(d: Dialect, view_columns: tuple[str, ...]) -> str:
    classified = "b12_status = 'result' AND b12_flag <> 'unclassified'"
    two = "b12_two = 1"
    low = (
        f"CASE WHEN {two} AND (b12_f_low IS NULL OR b12_m_low > b12_f_low) THEN b12_m_low "
        "ELSE b12_f_low END"
    )
    high = (
        f"CASE WHEN {two} AND (b12_f_high IS NULL OR b12_m_high < b12_f_high) THEN b12_m_high "
        "ELSE b12_f_high END"
    )
    carried = "b12_kind = 'analyte' AND b12_read_problem IS NULL AND b12_test_wide = 0"
    companion = (
        "b12_kind = 'companion' AND b12_test_wide = 0 AND b12_cmp = '' AND b12_canon IS NOT NULL"
    )
    by_sex = (
        "'the flag depends on sex (female: ' || COALESCE(b12_f_flag, 'unclassified') || "
        "', male: ' || COALESCE(b12_m_flag, 'unclassified') || '); pass --sex to settle it'"
    )
    censored = d.string("the lab's censored value does not settle the band")
    fields = {
        "status": "b12_status",
        "analyte": "CASE WHEN b12_test_wide = 0 AND b12_kind <> 'refused' THEN b12_id END",
        "value": f"CASE WHEN {carried} OR {companion} THEN {d.round_sig('b12_canon', 6)} END",
        "comparator": f"CASE WHEN {carried} AND b12_cmp <> '' THEN b12_cmp END",
        "canonical_unit": (
            f"CASE WHEN b12_test_wide = 0 AND b12_kind = 'analyte' THEN b12_canonical "
            f"WHEN {companion} THEN b12_canonical END"
        ),
        "flag": "CASE WHEN b12_status = 'result' THEN b12_flag END",
        "band_label": f"CASE WHEN {classified} THEN b12_f_label END",
        "interpretation": f"CASE WHEN {classified} THEN b12_f_interpretation END",
        "band_low": f"CASE WHEN {classified} THEN {low} END",
        "band_high": f"CASE WHEN {classified} THEN {high} END",
        "band_source": f"CASE WHEN {classified} THEN b12_f_source END",
        "guideline": "CASE WHEN b12_status = 'result' THEN b12_guideline END",
        "reason": f"""CASE WHEN b12_problem IS NOT NULL THEN b12_problem
      WHEN b12_kind IS NULL THEN 'not a test b12check covers'
      WHEN b12_kind = 'companion' THEN b12_skip_reason
      WHEN b12_flag <> 'unclassified' THEN NULL
      WHEN b12_band_count = 0 AND b12_age IS NULL
        THEN 'the bands depend on age; give --age or an age column'
      WHEN b12_band_count = 0 THEN 'no band covers this age'
      WHEN {two} AND COALESCE(b12_f_flag, '') <> COALESCE(b12_m_flag, '') THEN {by_sex}
      ELSE {censored} END""",
    }
    kept = ", ".join(f"p.{column}" for column in view_columns)
    outputs = ",\n  ".join(f"{expr} AS {name}" for name, expr in fields.items())
    return f"SELECT {kept},\n  {outputs}\nFROM step_outcome p"


def view_body(d: Dialect, table: str, view_columns: tuple[str, ...]) -> str:
    """The SELECT behind the classifying view of ``table``."""
    start = (
        f"SELECT o.*, COALESCE({d.text('o.test')}, '') AS b12_test, "
        f"COALESCE({d.text('o.result')}, '') AS b12_value, {d.text('o.unit')} AS b12_unit, "
        f"{d.text('o.sex')} AS b12_sex_text, {d.age('o.age')} AS b12_age_raw\n  FROM {table} o"
    )
    steps: list[tuple[str, str | Layer]] = [("step_in", start)]
    layers = [*d.parse_layers("b12_value"), *d.name_key_layers("b12_test")]
    for number, layer in enumerate(layers):
        steps.append((f"step_parse{number}", layer))
    steps += [
        ("step_read", _read_layer(d)),
        ("step_rest", _rest_layer(d)),
        ("step_look", _LOOKUP),
        ("step_unit", _unit_layer(d)),
        ("step_conv", _CONVERT),
        ("step_problems", _problem_layer(d)),
        ("step_problem", _problem_total(d)),
        ("step_group", _GROUPS),
        ("step_sexes", _SEX_LAYER),
        ("step_placed", _BANDS),
        ("step_outcome", _OUTCOME),
    ]
    parts: list[str] = []
    previous = ""
    for name, step in steps:
        if isinstance(step, str):
            body = step.format(prev=previous)
        else:
            added = ",\n    ".join(f"{expr} AS {column}" for column, expr in step)
            body = f"SELECT p.*,\n    {added}\n  FROM {previous} p"
        parts.append(f"{name} AS {d.cte_hint}(\n  {body}\n)")
        previous = name
    return "WITH\n" + ",\n".join(parts) + "\n" + _final(d, view_columns)
