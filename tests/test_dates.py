"""Ages from birth dates: exact on birthdays, never decreasing, never negative."""

import math
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from b12check.readers.dates import age_on

BORN = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


def birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 2, 28)


@given(BORN, st.integers(0, 100))
def test_a_birthday_starts_the_next_year_exactly(born: date, years: int) -> None:
    day = birthday(born, years)
    assert age_on(born.isoformat(), day.isoformat()) == years
    if day > born:
        before = age_on(born.isoformat(), (day - timedelta(days=1)).isoformat())
        assert before is not None and years - 1 <= before < years


@given(BORN, st.integers(0, 40_000), st.integers(0, 400))
def test_age_never_decreases_as_the_date_moves_on(born: date, days: int, more: int) -> None:
    first = age_on(born.isoformat(), (born + timedelta(days=days)).isoformat())
    later = age_on(born.isoformat(), (born + timedelta(days=days + more)).isoformat())
    assert first is not None and later is not None
    assert 0 <= first <= later


@given(BORN, st.integers(0, 40_000))
def test_an_age_is_the_years_completed_and_the_share_of_the_current_one(
    born: date, days: int
) -> None:
    on = born + timedelta(days=days)
    years = max(y for y in range(0, 111) if birthday(born, y) <= on)
    last, following = birthday(born, years), birthday(born, years + 1)
    share = (on - last).days / (following - last).days
    assert age_on(born.isoformat(), on.isoformat()) == math.floor((years + share) * 100) / 100


def test_no_age_before_the_birth() -> None:
    assert age_on("2020-05-01", "2020-04-30") is None
