"""Where a value sits among its bands when every band gets an equal share of a gauge.

One rule for the terminal gauge (gauge.py) and the SVG gauge of the HTML report
(svg_gauge.py): the bands of the scale that applies, side by side with equal widths, and the
value's share of the way through its own band (a censored or open-ended value sits towards
the open end).
"""

from typing import NamedTuple

from b12check.core.bands import Band, Scale
from b12check.core.refdata import Analyte

OPEN_LOW_SHARE = 0.75  # a value in a band open below: three quarters of the way up
OPEN_HIGH_SHARE = 0.25  # a value in a band open above: a quarter of the way up


class BandPlace(NamedTuple):
    bands: tuple[Band, ...]  # the bands of the gauge, low to high
    band: int  # the index of the band the value is in
    share: float  # 0..1, how far through that band
    marker: str  # '●', or '◀' / '▶' for a value censored at '<' / '>'


def drawn_sex(
    analyte: Analyte, sex: str | None, guideline: str | None, age: float | None
) -> str | None:
    """The sex whose bands are drawn: the person's, or female for a test with sex-specific
    bands when the sex is not known (the record's flag says when the sexes would differ)."""
    if sex or not analyte.sex_specific_in(guideline, age):
        return sex
    return "female"


def gauge_scale(
    analyte: Analyte, sex: str | None, unit: str, guideline: str | None, age: float | None
) -> Scale:
    """The scale a gauge or chart draws, with its cut points in ``unit``."""
    return analyte.scale(drawn_sex(analyte, sex, guideline, age), unit, guideline, age)


def band_place(
    analyte: Analyte,
    sex: str | None,
    value: float,
    comparator: str | None,
    guideline: str | None = None,
    age: float | None = None,
) -> BandPlace | None:
    """The place of ``value`` (canonical unit) on the gauge; None when no band covers it."""
    scale = gauge_scale(analyte, sex, analyte.canonical_unit, guideline, age)
    if not scale.bands:
        return None
    index = scale.index(value)
    band = scale.bands[index].interval
    if band.low is not None and band.high is not None and band.high > band.low:
        share = min(1.0, max(0.0, (value - band.low) / (band.high - band.low)))
    elif band.low is None:
        share = OPEN_LOW_SHARE
    else:
        share = OPEN_HIGH_SHARE
    marker = "●"
    if comparator in ("<", "<="):
        marker = "◀"
    elif comparator in (">", ">="):
        marker = "▶"
    return BandPlace(scale.bands, index, share, marker)
