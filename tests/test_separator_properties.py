"""Properties of the thousands rule: a grouped number is read as written once settled, and
never read any other way unsettled (issue 15, item 3)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12check.core.errors import ValueProblem
from b12check.core.numbers import parse_value
from b12check.core.separators import Style


def grouped(number: int, mark: str) -> str:
    return f"{number:,}".replace(",", mark)


@given(st.integers(1000, 10**9), st.sampled_from([".", ","]))
def test_settled_grouping_reads_the_whole_number(number: int, mark: str) -> None:
    assert parse_value(grouped(number, mark), style=Style(thousands=mark)).number == number


@given(st.integers(1000, 10**9), st.integers(1, 99), st.sampled_from([(".", ","), (",", ".")]))
def test_grouping_with_a_decimal_part(number: int, part: int, marks: tuple[str, str]) -> None:
    group, point = marks
    text = f"{grouped(number, group)}{point}{part}"
    assert parse_value(text, style=Style(thousands=group)).number == float(f"{number}.{part}")
    with pytest.raises(ValueProblem):  # unsettled: refused, never read some other way
        parse_value(text)


@given(st.integers(1000, 999_999), st.sampled_from([".", ","]))
def test_one_mark_in_threes_is_never_guessed_where_it_could_group(number: int, mark: str) -> None:
    text = grouped(number, mark)
    # a comma anywhere (outside a decimal-comma file), a dot in a decimal-comma file
    style = Style(comma_file=mark == ".")
    with pytest.raises(ValueProblem, match="ambiguous"):
        parse_value(text, style=style)
    assert parse_value(text, style=Style(thousands="none")).number == float(text.replace(mark, "."))
