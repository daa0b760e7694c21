"""Bands, the scales built from them, and the guidelines that group them.

A band is one stretch of the number line with its flag, words and citation. A guideline is a
complete set of bands for one test from one authority; every test has exactly one guideline
marked ``default`` (the bands read when no ``--guideline`` picks another). A scale is the
bands of one guideline for one sex and age group with its cut points in one unit, so placing
a value is a bisect.
"""

from bisect import bisect_left, bisect_right
from typing import NamedTuple

from b12check.core.numbers import Interval

DEFAULT_TITLE = "default bands"  # the title the default guideline goes by (check --compare)


def joined_source(source: str, year: int | None, evidence: str | None) -> str:
    """The citation as one text, as records and tables show it: ``NICE NG239 (2024) [S]``.

    The year is left out when the source already names it; the evidence grade (V, S, M, D or
    C, see the ranges file) is added in brackets.
    """
    text = source
    if year and str(year) not in text:
        text = f"{text} ({year})"
    if evidence:
        text = f"{text} [{evidence}]"
    return text


class Band(NamedTuple):
    flag: str
    label: str
    interpretation: str
    interval: Interval
    sex: str | None
    source_name: str  # who publishes the limit, as the ranges file gives it
    age: Interval | None = None  # the ages (years) the band is for; None: any age
    origin: str | None = None  # the overlay file it came from; None: built in
    year: int | None = None  # when the source was published
    evidence: str | None = None  # how the limit was checked: V, S, M, D or C

    @property
    def band_source(self) -> str:
        """Source, year and evidence joined (the ``band_source`` field of a record)."""
        return joined_source(self.source_name, self.year, self.evidence)


class Guideline(NamedTuple):
    """One authority's complete bands for a test; exactly one per test is the default."""

    title: str
    bands: tuple[Band, ...]
    paired_edges: dict[str, dict[float, float]]  # unit -> band edge -> the edge printed in it
    name: str
    default: bool = False


class Scale:
    """Bands of one analyte for one sex, with cut points in one unit."""

    __slots__ = ("cuts", "upper_inclusive", "bands")

    def __init__(
        self, cuts: tuple[float, ...], upper_inclusive: tuple[bool, ...], bands: tuple[Band, ...]
    ) -> None:
        self.cuts = cuts
        self.upper_inclusive = upper_inclusive  # a value equal to cuts[i] is in bands[i + 1]
        self.bands = bands

    def index(self, value: float) -> int:
        i = bisect_left(self.cuts, value)
        if i < len(self.cuts) and self.cuts[i] == value and self.upper_inclusive[i]:
            i += 1
        return i

    def index_below(self, value: float) -> int:
        """Band of the values just below ``value``."""
        return bisect_left(self.cuts, value)

    def index_above(self, value: float) -> int:
        """Band of the values just above ``value``."""
        return bisect_right(self.cuts, value)
