"""A one-line gauge of where a value sits among its bands, readable without colour.

Each band gets an equal share of the bar, drawn with its flag's character; the marker ``●``
sits at the value's place inside its band (``◀``/``▶`` for a censored value at an open end).
"""

from typing import Final

from b12check.core.refdata import Analyte
from b12check.render.bandplace import band_place

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
    place = band_place(analyte, sex, value, comparator, guideline, age)
    if place is None:
        return []
    position = min(SEGMENT - 1, max(0, int(place.share * SEGMENT)))
    pieces: list[tuple[str, str]] = []
    for i, each in enumerate(place.bands):
        char = FLAG_CHARS.get(each.flag, "?")
        if i == place.band:
            pieces.append((char * position, each.flag))
            pieces.append((place.marker, "marker"))
            pieces.append((char * (SEGMENT - position - 1), each.flag))
        else:
            pieces.append((char * SEGMENT, each.flag))
    return [piece for piece in pieces if piece[0]]
