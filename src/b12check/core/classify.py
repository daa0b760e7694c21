"""Placing a value in its bands: pure functions, no input or output."""

from typing import NamedTuple

from b12check.core.analyte import Analyte
from b12check.core.bands import Band
from b12check.core.numbers import Interval, format_number
from b12check.core.vocab import SEXES, UNCLASSIFIED


class Outcome(NamedTuple):
    flag: str
    band: Band | None  # the band that decided, None when unclassified
    span: Interval | None  # the range the value is known to lie in, in canonical units
    reason: str | None = None
    flag_by_sex: dict[str, str] | None = None


def _bands_reached(
    analyte: Analyte,
    sex: str | None,
    unit: str,
    comparator: str,
    number: float,
    guideline: str | None,
    age: float | None,
) -> tuple[Band, ...]:
    scale = analyte.scale(sex, unit, guideline, age)
    last = len(scale.bands) - 1
    if comparator == "":
        first = top = scale.index(number)
    elif comparator == "<":
        first, top = 0, scale.index_below(number)
    elif comparator == "<=":
        first, top = 0, scale.index(number)
    elif comparator == ">":
        first, top = scale.index_above(number), last
    else:  # ">="
        first, top = scale.index(number), last
    return scale.bands[first : top + 1]


def _merged_span(bands: tuple[Band, ...]) -> Interval:
    low, high = bands[0].interval, bands[-1].interval
    return Interval(low.low, high.high, low.low_inclusive, high.high_inclusive)


def _intersect(a: Interval, b: Interval) -> Interval:
    if a.low is None or (b.low is not None and b.low > a.low):
        low, low_inc = b.low, b.low_inclusive
    else:
        low, low_inc = a.low, a.low_inclusive
    if a.high is None or (b.high is not None and b.high < a.high):
        high, high_inc = b.high, b.high_inclusive
    else:
        high, high_inc = a.high, a.high_inclusive
    return Interval(low, high, low_inc, high_inc)


def _one_sex(
    analyte: Analyte,
    sex: str | None,
    unit: str,
    comparator: str,
    number: float,
    guideline: str | None,
    age: float | None,
) -> Outcome:
    bands = _bands_reached(analyte, sex, unit, comparator, number, guideline, age)
    flags = list(dict.fromkeys(band.flag for band in bands))
    if len(flags) == 1:
        return Outcome(flags[0], bands[0], _merged_span(bands))
    shown = f"{comparator}{format_number(number)} {unit}"
    listed = ", ".join(flags[:-1]) + f" or {flags[-1]}"
    return Outcome(
        UNCLASSIFIED,
        None,
        None,
        reason=f"{shown} could be {listed}; the lab's censored value does not settle the band",
    )


def classify(
    analyte: Analyte,
    sex: str | None,
    unit: str,
    comparator: str,
    number: float,
    guideline: str | None = None,
    age: float | None = None,
) -> Outcome:
    """Flag a value given in ``unit`` (one of the analyte's units), exact or censored, under
    the named ``guideline``'s bands (the default guideline's for ``None`` or a name the test
    does not have), for the person's age group."""
    guideline = analyte.guideline(guideline).name
    if not analyte.bands_for(guideline, age):
        reason = (
            "the bands depend on age; give --age or an age column"
            if age is None
            else f"no band covers age {format_number(age)}"
        )
        return Outcome(UNCLASSIFIED, None, None, reason=reason)
    if sex is not None or not analyte.sex_specific_in(guideline, age):
        return _one_sex(analyte, sex, unit, comparator, number, guideline, age)
    outcomes = {s: _one_sex(analyte, s, unit, comparator, number, guideline, age) for s in SEXES}
    flags = {s: o.flag for s, o in outcomes.items()}
    first = outcomes[SEXES[0]]
    if len(set(flags.values())) == 1:
        if first.flag == UNCLASSIFIED:
            return first
        span = first.span
        for other in list(outcomes.values())[1:]:
            if span is not None and other.span is not None:
                span = _intersect(span, other.span)
        return Outcome(first.flag, first.band, span)
    described = ", ".join(f"{s}: {f}" for s, f in flags.items())
    return Outcome(
        UNCLASSIFIED,
        None,
        None,
        reason=f"the flag depends on sex ({described}); pass --sex to settle it",
        flag_by_sex=flags,
    )
