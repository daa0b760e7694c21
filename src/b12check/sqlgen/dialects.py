"""What differs between SQL engines: reading the value text, folding names and units,
trimming, casting and rounding. The classifying view (view.py) is one text for every dialect
and calls these for the few expressions engines spell differently; no transpiler guesses.

Whitespace is what Python's ``str.isspace`` calls whitespace among ASCII characters (tab to
carriage return, the four separators 0x1C-0x1F, space): values with other whitespace, or any
non-ASCII text outside the comparators and the micro signs, are left to ``b12check scan``
(the view reports them as errors it cannot read exactly).
"""

from typing import ClassVar

WS_CODES = (9, 10, 11, 12, 13, 28, 29, 30, 31, 32)
Layer = list[tuple[str, str]]  # (column, expression over the previous layer's columns)

# The value grammar of core/numbers.py: comparator, number, the rest (unit or lab flag).
NUMBER = r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?"
COMPARATOR = "<=|>=|=<|=>|<|>|≤|≥"


class Dialect:
    name: ClassVar[str]
    text_type: ClassVar[str]
    double_type: ClassVar[str] = "DOUBLE"
    int_type: ClassVar[str] = "INTEGER"
    ws_class: ClassVar[str] = r"[\t\n\x0b\f\r\x1c-\x1f ]"  # RE2 and Java spell it alike
    end: ClassVar[str] = r"\z"
    # Engines that fold a chain of CTEs into one expression tree copy each column's
    # expression into every use; MATERIALIZED keeps each layer's columns computed once.
    cte_hint: ClassVar[str] = ""

    def string(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.text_type})"

    def regex(self, pattern: str) -> str:
        return self.string(pattern)

    def value_pattern(self) -> str:
        ws = self.ws_class
        return f"^{ws}*({COMPARATOR})?{ws}*({NUMBER})((?s:.*)){self.end}"

    # -- each engine's spelling of the primitives
    def matches(self, expr: str, pattern: str) -> str:
        raise NotImplementedError

    def extract(self, expr: str, pattern: str, group: int) -> str:
        raise NotImplementedError

    def replace_all(self, expr: str, pattern: str) -> str:
        raise NotImplementedError

    def to_double(self, expr: str) -> str:
        raise NotImplementedError

    def round_sig(self, expr: str, digits: int) -> str:
        raise NotImplementedError

    # -- built from them
    def trim(self, expr: str) -> str:
        ws = self.ws_class
        return self.replace_all(expr, f"^{ws}+|{ws}+$")

    def non_ascii(self, expr: str) -> str:
        return self.matches(expr, r"[^\x01-\x7f]")

    def fold_name(self, expr: str) -> str:
        return self.replace_all(f"LOWER({expr})", "[^a-z0-9]")

    def fold_unit(self, expr: str) -> str:
        micro = f"REPLACE(REPLACE(REPLACE(LOWER({expr}), 'µ', 'u'), 'μ', 'u'), 'mc', 'u')"
        return self.replace_all(micro, self.ws_class)

    def contains(self, expr: str, text: str) -> str:
        return f"instr({expr}, {self.string(text)}) > 0"

    def rounds_exactly(self, number_text: str) -> str:
        """Whether round_sig(x, 12) rounds this number's x * 100 as Python would (a
        TSAT fraction read as a percent, which then meets the band edges)."""
        return "1 = 1"

    def name_key_layers(self, expr: str) -> list[Layer]:
        """Layers ending in the column b12_name_key: ``expr`` folded as core/names.name_key
        folds ASCII text (lower case, letters and digits only)."""
        return [[("b12_name_key", self.fold_name(expr))]]

    def is_code(self, expr: str) -> str:
        return self.matches(expr, "^[0-9]{1,7}-[0-9]$")

    def is_thousands(self, expr: str) -> str:
        return self.matches(expr, "^[+-]?[0-9]{1,3},[0-9]{3}$")

    def age(self, expr: str) -> str:
        number = self.to_double(self.trim(self.text(expr)))
        return number

    def parse_layers(self, value: str) -> list[Layer]:
        """Columns b12_cmp_raw, b12_num_raw (NULL unless the text is a number and a rest)
        and b12_rest_raw, from the value text column ``value``."""
        pattern = self.value_pattern()
        ok = self.matches(value, pattern)
        return [
            [
                ("b12_cmp_raw", f"CASE WHEN {ok} THEN {self.extract(value, pattern, 1)} END"),
                ("b12_num_raw", f"CASE WHEN {ok} THEN {self.extract(value, pattern, 2)} END"),
                ("b12_rest_raw", f"CASE WHEN {ok} THEN {self.extract(value, pattern, 3)} END"),
            ]
        ]


class DuckDB(Dialect):
    name = "duckdb"
    text_type = "VARCHAR"

    def matches(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.regex(pattern)})"

    def extract(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract({expr}, {self.regex(pattern)}, {group})"

    def replace_all(self, expr: str, pattern: str) -> str:
        return f"regexp_replace({expr}, {self.regex(pattern)}, '', 'g')"

    def to_double(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DOUBLE)"

    def round_sig(self, expr: str, digits: int) -> str:
        return f"CAST(printf('%.{digits - 1}e', {expr}) AS DOUBLE)"


class Spark(Dialect):
    """Spark SQL 3.4 or later (Java regular expressions; backslashes escaped in literals)."""

    name = "spark"
    text_type = "STRING"
    int_type = "INT"

    def rounds_exactly(self, number_text: str) -> str:
        # (its formatter rounds a 16-17 digit decimal, not the exact binary value: a long
        # fraction could round twice to the other side of a band edge)
        return f"length({number_text}) <= 12"

    def string(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def matches(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.regex(pattern)})"

    def extract(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract({expr}, {self.regex(pattern)}, {group})"

    def replace_all(self, expr: str, pattern: str) -> str:
        return f"regexp_replace({expr}, {self.regex(pattern)}, '')"

    def to_double(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DOUBLE)"

    def round_sig(self, expr: str, digits: int) -> str:
        return f"CAST(format_string('%.{digits - 1}e', {expr}) AS DOUBLE)"


class Postgres(Dialect):
    """PostgreSQL 16 or later (``pg_input_is_valid``); standard_conforming_strings on."""

    name = "postgres"
    text_type = "TEXT"
    double_type = "DOUBLE PRECISION"
    end = "$"
    cte_hint = "MATERIALIZED "

    def value_pattern(self) -> str:
        ws = self.ws_class
        return f"^{ws}*({COMPARATOR})?{ws}*({NUMBER})(.*)$"

    def matches(self, expr: str, pattern: str) -> str:
        return f"({expr} ~ {self.regex(pattern)})"

    def contains(self, expr: str, text: str) -> str:
        return f"strpos({expr}, {self.string(text)}) > 0"

    def extract(self, expr: str, pattern: str, group: int) -> str:
        return f"COALESCE((regexp_match({expr}, {self.regex(pattern)}))[{group}], '')"

    def replace_all(self, expr: str, pattern: str) -> str:
        return f"regexp_replace({expr}, {self.regex(pattern)}, '', 'g')"

    def to_double(self, expr: str) -> str:
        return f"CASE WHEN pg_input_is_valid({expr}, 'float8') THEN CAST({expr} AS float8) END"

    def round_sig(self, expr: str, digits: int) -> str:
        return f"CAST(to_char({expr}, 'FM9.{'9' * (digits - 1)}EEEE') AS float8)"


class SQLite(Dialect):
    """SQLite 3.35 or later, without extensions: no regular expressions, so the value text
    is read with GLOB patterns and ltrim; a unit right after the number is read when it
    does not start with e, E, + or -."""

    name = "sqlite"
    text_type = "TEXT"
    double_type = "REAL"
    cte_hint = "MATERIALIZED "

    _WS = "char(" + ", ".join(str(code) for code in WS_CODES) + ")"
    _NOT_ALNUM = tuple(c for c in range(1, 128) if not chr(c).isalnum() or not chr(c).isascii())

    def rounds_exactly(self, number_text: str) -> str:
        # (its formatter rounds a 16-17 digit decimal, not the exact binary value: a long
        # fraction could round twice to the other side of a band edge)
        return f"length({number_text}) <= 12"

    def trim(self, expr: str) -> str:
        return f"trim({expr}, {self._WS})"

    def non_ascii(self, expr: str) -> str:
        return f"(length(CAST({expr} AS BLOB)) <> length({expr}))"

    def _remove(self, expr: str, codes: tuple[int, ...]) -> str:
        for code in codes:
            expr = f"replace({expr}, char({code}), '')"
        return expr

    def fold_name(self, expr: str) -> str:
        return self._remove(f"lower({expr})", self._NOT_ALNUM)

    def name_key_layers(self, expr: str) -> list[Layer]:
        # (one expression of 65 nested replace() calls overflows SQLite's parser stack)
        codes = self._NOT_ALNUM
        chunks = [codes[start : start + 16] for start in range(0, len(codes), 16)]
        layers = [[("b12_nk0", f"lower({expr})")]]
        for number, chunk in enumerate(chunks, 1):
            name = "b12_name_key" if number == len(chunks) else f"b12_nk{number}"
            layers.append([(name, self._remove(f"b12_nk{number - 1}", chunk))])
        return layers

    def fold_unit(self, expr: str) -> str:
        micro = f"replace(replace(replace(lower({expr}), 'µ', 'u'), 'μ', 'u'), 'mc', 'u')"
        return self._remove(micro, WS_CODES)

    def is_code(self, expr: str) -> str:
        head = f"substr({expr}, 1, length({expr}) - 2)"
        return (
            f"(length({expr}) BETWEEN 3 AND 9 AND substr({expr}, -2, 1) = '-' "
            f"AND substr({expr}, -1) GLOB '[0-9]' AND {head} NOT GLOB '*[^0-9]*')"
        )

    def is_thousands(self, expr: str) -> str:
        bare = (
            f"(CASE WHEN substr({expr}, 1, 1) IN ('+', '-') THEN substr({expr}, 2) ELSE {expr} END)"
        )
        shapes = ("[0-9]", "[0-9][0-9]", "[0-9][0-9][0-9]")
        return "(" + " OR ".join(f"{bare} GLOB '{s},[0-9][0-9][0-9]'" for s in shapes) + ")"

    def to_double(self, expr: str) -> str:
        return f"CAST({expr} AS REAL)"

    def round_sig(self, expr: str, digits: int) -> str:
        return f"CAST(printf('%.{digits - 1}e', {expr}) AS REAL)"

    def age(self, expr: str) -> str:
        t = self.trim(self.text(expr))
        return (
            f"CASE WHEN typeof({expr}) IN ('integer', 'real') THEN CAST({expr} AS REAL) "
            f"WHEN {t} GLOB '[0-9]*' AND {t} NOT GLOB '*[^0-9.]*' AND {t} NOT GLOB '*.*.*' "
            f"AND {t} NOT GLOB '*.' THEN CAST({t} AS REAL) END"
        )

    def parse_layers(self, value: str) -> list[Layer]:
        ws = self._WS
        two = "substr(b12_s, 1, 2) IN ('<=', '>=', '=<', '=>')"
        one = "substr(b12_s, 1, 1) IN ('<', '>', '≤', '≥')"
        num_chars = "'0123456789+-.,eE'"
        return [
            [("b12_s", f"ltrim({value}, {ws})")],
            [
                (
                    "b12_cmp_raw",
                    f"CASE WHEN {two} THEN substr(b12_s, 1, 2) WHEN {one} THEN substr(b12_s, 1, 1) "
                    "ELSE '' END",
                )
            ],
            [("b12_t", f"ltrim(substr(b12_s, length(b12_cmp_raw) + 1), {ws})")],
            [("b12_rest_raw", f"ltrim(b12_t, {num_chars})")],
            [("b12_tok", "substr(b12_t, 1, length(b12_t) - length(b12_rest_raw))")],
            [
                (
                    "b12_u",
                    "CASE WHEN substr(b12_tok, 1, 1) IN ('+', '-') THEN substr(b12_tok, 2) "
                    "ELSE b12_tok END",
                )
            ],
            [("b12_ep", "instr(lower(b12_u), 'e')")],
            [
                (
                    "b12_mant",
                    "CASE WHEN b12_ep > 0 THEN substr(b12_u, 1, b12_ep - 1) ELSE b12_u END",
                ),
                ("b12_exp", "CASE WHEN b12_ep > 0 THEN substr(b12_u, b12_ep + 1) ELSE '0' END"),
            ],
            [
                (
                    "b12_exp_digits",
                    "CASE WHEN substr(b12_exp, 1, 1) IN ('+', '-') THEN substr(b12_exp, 2) "
                    "ELSE b12_exp END",
                )
            ],
            [
                (
                    "b12_num_raw",
                    "CASE WHEN b12_mant <> '' AND b12_mant NOT GLOB '*[^0-9.,]*' "
                    "AND length(b12_mant) - length(replace(replace(b12_mant, '.', ''), ',', '')) "
                    "<= 1 AND b12_mant NOT GLOB '*[.,]' AND b12_exp_digits <> '' "
                    "AND b12_exp_digits NOT GLOB '*[^0-9]*' THEN b12_tok END",
                )
            ],
        ]


DIALECTS: dict[str, Dialect] = {d.name: d for d in (DuckDB(), Spark(), Postgres(), SQLite())}
