"""The strict number grammar: nothing Python's float() would forgive may reach a band."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12check.core.errors import ValueProblem
from b12check.core.numbers import parse_interval, parse_value


@pytest.mark.parametrize(
    ("text", "comparator", "number", "rest"),
    [
        ("250", "", 250.0, ""),
        (" 250 ", "", 250.0, ""),
        ("250pg/mL", "", 250.0, "pg/mL"),
        ("45 nmol/L", "", 45.0, "nmol/L"),
        ("0,72", "", 0.72, ""),
        ("45,5", "", 45.5, ""),
        ("<5", "<", 5.0, ""),
        ("> 2000", ">", 2000.0, ""),
        ("<=0.5", "<=", 0.5, ""),
        (">=2000", ">=", 2000.0, ""),
        ("≤0.5", "<=", 0.5, ""),
        ("≥30", ">=", 30.0, ""),
        ("1e3", "", 1000.0, ""),
        (".5", "", 0.5, ""),
        ("12.5 H", "", 12.5, "H"),
        ("-3", "", -3.0, ""),
    ],
)
def test_values_that_read(text: str, comparator: str, number: float, rest: str) -> None:
    parsed = parse_value(text)
    assert (parsed.comparator, parsed.number, parsed.rest) == (comparator, number, rest)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("1_000", "digit separator"),
        ("١٢٣", "non-ASCII digits"),
        ("１２", "non-ASCII digits"),
        ("−5", "Unicode minus"),
        ("", "no result given"),
        ("pending", "is not a number"),
        ("1.2.3", "is not a number"),
        ("1,234.5", "pass --thousands ,"),
        ("1,450", "ambiguous"),
    ],
)
def test_values_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueProblem, match=reason):
        parse_value(text)


def test_decimal_comma_flag_settles_three_digits() -> None:
    assert parse_value("1,450", decimal_comma=True).number == 1.45


@given(st.text(max_size=20))
def test_any_text_either_reads_as_a_finite_number_or_is_refused(text: str) -> None:
    try:
        parsed = parse_value(text)
    except ValueProblem:
        return
    assert math.isfinite(parsed.number)
    assert parsed.number_text.isascii()


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.sampled_from(["", " ", "  "]))
def test_plain_decimals_round_trip(number: float, space: str) -> None:
    text = f"{number:.4f}"
    assert parse_value(f"{text}{space}ng/mL").number == float(text)


def test_interval_notation() -> None:
    assert parse_interval("[180, 350)") == (180.0, 350.0, True, False)
    assert parse_interval("(, 12)") == (None, 12.0, False, False)
    with pytest.raises(ValueError, match="unbounded end"):
        parse_interval("[, 12)")
    with pytest.raises(ValueError, match="not below"):
        parse_interval("[20, 12]")
