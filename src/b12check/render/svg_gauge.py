"""The HTML report's gauge: where one result sits among its bands, as shapes for the SVG the
template draws (text in it is escaped there).

The bands get equal shares of the bar, the rule of the terminal gauge (bandplace.py); the
cut points are written in the unit the result was given in when it is one of the test's.
"""

from typing import NamedTuple

from b12check.core.numbers import format_number
from b12check.core.records import Record
from b12check.core.refdata import Analyte, Reference
from b12check.render.bandplace import band_place, drawn_sex
from b12check.render.safe import visible

WIDTH = 200.0
BAR_TOP = 14.0
BAR_HEIGHT = 12.0
HEIGHT = 44.0
KNOWN_FLAGS = frozenset(
    {"critical_low", "deficient", "low", "borderline", "normal", "high", "critical_high"}
)


def flag_class(flag: str | None) -> str:
    """The CSS class that colours a flag (one of a fixed set: no outside text in it)."""
    return f"f-{flag}" if flag in KNOWN_FLAGS else "f-other"


def short(value: float) -> str:
    """A cut point or tick as people read it: four significant digits at most."""
    return format_number(float(f"{value:.4g}"))


def display_unit(reference: Reference, analyte: Analyte, unit_text: str | None) -> str:
    """The unit to label a result's drawings in: its own when that is one of the test's
    units, else the canonical one (the unit of ``record.value``)."""
    code = reference.unit_code(unit_text.strip()) if unit_text else None
    return code if code is not None and code in analyte.factors else analyte.canonical_unit


def unit_label(reference: Reference, unit: str, unit_text: str | None) -> str:
    """``unit`` as the person's report writes it (mcg/dL for ug/dL) when it is their unit."""
    if unit_text and reference.unit_code(unit_text.strip()) == unit:
        return visible(unit_text.strip())
    return unit


class Segment(NamedTuple):
    x: float
    width: float
    css: str  # the flag's class
    title: str  # the band's label and range, shown on hover


class Tick(NamedTuple):
    x: float
    text: str


class Gauge(NamedTuple):
    width: float
    height: float
    bar_top: float
    bar_height: float
    segments: list[Segment]
    ticks: list[Tick]  # the cut points between the bands
    marker_x: float
    marker: str  # 'dot', 'left' or 'right' (a value censored at < or >), maybe ' unsure'

    unit: str
    label: str  # the whole gauge in words, for screen readers
    sex_note: str  # '' or why these bands are drawn


def make_gauge(record: Record, reference: Reference | None) -> Gauge | None:
    """The gauge of one result; None when it has no value or no band covers it."""
    if reference is None or record.value is None or not record.analyte:
        return None
    analyte = reference.analytes.get(record.analyte)
    if analyte is None:
        return None
    place = band_place(
        analyte, record.sex, record.value, record.comparator, record.guideline, record.age
    )
    if place is None:
        return None
    unit = display_unit(reference, analyte, record.unit)
    label_unit = unit_label(reference, unit, record.unit)
    share = WIDTH / len(place.bands)
    segments: list[Segment] = []
    ticks: list[Tick] = []
    for i, band in enumerate(place.bands):
        low, high = band.interval.low, band.interval.high
        ends = [analyte.edge_in(unit, x, record.guideline) for x in (low, high) if x is not None]
        if low is None:
            span = f"below {short(ends[0])}"
        elif high is None:
            span = f"above {short(ends[0])}"
        else:
            span = f"{short(ends[0])}–{short(ends[1])}"
        segments.append(
            Segment(
                i * share,
                share,
                flag_class(band.flag),
                f"{visible(band.label)}: {span} {label_unit}",
            )
        )
        if i and low is not None:
            ticks.append(Tick(i * share, short(analyte.edge_in(unit, low, record.guideline))))
    marker = {"◀": "left", "▶": "right"}.get(place.marker, "dot")
    shown = (record.band_label or record.flag or "").replace("_", " ")
    sex_note = ""
    if record.sex is None and drawn_sex(analyte, None, record.guideline, record.age):
        sex_note = "sex not given: the bands drawn are women's"
        if record.flag_by_sex:
            each = (f"{sex}: {flag.replace('_', ' ')}" for sex, flag in record.flag_by_sex.items())
            sex_note += f" ({', '.join(each)})"
    if record.flag == "unclassified":
        marker += " unsure"  # drawn open: the value's band is not settled
    label = (
        f"{analyte.short_name} {record.value_text or ''} {record.unit or ''}: {shown}; "
        f"gauge of {len(place.bands)} bands in {label_unit}"
    )
    return Gauge(
        WIDTH,
        HEIGHT,
        BAR_TOP,
        BAR_HEIGHT,
        segments,
        ticks,
        (place.band + place.share) * share,
        marker,
        label_unit,
        " ".join(label.split()),
        sex_note,
    )
