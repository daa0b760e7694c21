"""A one-line gauge of where a value sits among its bands, readable without colour.

Each band gets an equal share of the bar, drawn with its flag's character; the marker ``●``
sits at the value's place inside its band (``◀``/``▶`` for a censored value at an open end).
"""

from typing import Final

from b12check.core.refdata import Analyte

FLAG_CHARS: Final = {
    "critical_low": "!",
    "deficient": "-",
    "low": "-",
    "borderline": "~",
    "normal": "=",
    "high": "+",
    "critical_high": "!",
}
FLAG_STYLES: Final = {
    "critical_low": "bold white on red",
    "deficient": "red",
    "low": "yellow",
    "borderline": "yellow",
    "normal": "green",
    "high": "magenta",
    "critical_high": "bold white on red",
    "unclassified": "cyan",
}
SEGMENT = 3


def gauge_segments(
    analyte: Analyte,
    sex: str | None,
    value: float,
    comparator: str | None,
    guideline: str | None = None,
    age: float | None = None,
) -> list[tuple[str, str]]:
    """Pieces of the gauge as (text, flag) pairs, in canonical units."""
    sexes = (sex,) if sex or not analyte.sex_specific_in(guideline, age) else ("female",)
    scale = analyte.scale(sexes[0], analyte.canonical_unit, guideline, age)
    if not scale.bands:
        return []
    index = scale.index(value)
    band = scale.bands[index].interval
    if band.low is not None and band.high is not None and band.high > band.low:
        share = (value - band.low) / (band.high - band.low)
    elif band.low is None:
        share = 0.75
    else:
        share = 0.25
    position = min(SEGMENT - 1, max(0, int(share * SEGMENT)))
    marker = "●"
    if comparator in ("<", "<="):
        marker = "◀"
    elif comparator in (">", ">="):
        marker = "▶"
    pieces: list[tuple[str, str]] = []
    for i, each in enumerate(scale.bands):
        char = FLAG_CHARS.get(each.flag, "?")
        if i == index:
            pieces.append((char * position, each.flag))
            pieces.append((marker, "marker"))
            pieces.append((char * (SEGMENT - position - 1), each.flag))
        else:
            pieces.append((char * SEGMENT, each.flag))
    return [piece for piece in pieces if piece[0]]
