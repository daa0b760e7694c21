"""The HTML report's trend chart: one test of one person over time, as shapes for the SVG
the template draws (text in it is escaped there).

A real time axis (days apart are drawn apart), the bands shaded behind the points, censored
values (``< 5``) drawn open with an arrow, the reporting lab's own range drawn beside the
built-in bands and labelled as the lab's, and the person's own events as numbered lines.
"""

import math
from datetime import date
from typing import NamedTuple

from b12check.core.labfit import fit_range
from b12check.core.labrange import parse_lab_range
from b12check.core.records import Record
from b12check.core.refdata import Analyte, Reference
from b12check.readers.events import Event
from b12check.render.bandplace import gauge_scale
from b12check.render.cells import result_text
from b12check.render.safe import visible
from b12check.render.svg_gauge import display_unit, flag_class, short, unit_label

WIDTH, HEIGHT = 760.0, 250.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 160.0, 22.0, 34.0  # margins; the right one holds labels
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


class Zone(NamedTuple):
    y: float
    height: float
    css: str
    label: str


class Point(NamedTuple):
    x: float
    y: float
    css: str
    censored: str  # '', 'below' or 'above'
    text: str  # the value as written
    title: str


class AxisTick(NamedTuple):
    at: float
    text: str


class Marker(NamedTuple):
    x: float
    number: int
    title: str


class LabBand(NamedTuple):
    y: float
    height: float
    label: str


class Trend(NamedTuple):
    width: float
    height: float
    left: float
    right: float  # x of the plot's right edge
    top: float
    bottom: float  # y of the plot's bottom edge
    zones: list[Zone]
    points: list[Point]
    path: str  # the line through the points, as SVG path data
    x_ticks: list[AxisTick]
    y_ticks: list[AxisTick]
    lab: LabBand | None
    lab_note: str
    events: list[Marker]
    unit: str
    title: str
    label: str


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _nice_step(span: float) -> float:
    raw = span / 4
    magnitude = 10.0 ** int(f"{raw:e}".split("e")[1])
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _y_range(
    values: list[float], cuts: tuple[float, ...], lab: tuple[float, float] | None
) -> tuple[float, float]:
    """The value axis: the values, the lab's range, and the cut points near the values."""
    low, high = min(values), max(values)
    span = high - low or abs(high) * 0.2 or 1.0
    near = [c for c in cuts if low - span <= c <= high + span]
    ends = [low, high, *near, *(lab or ())]
    low, high = min(ends), max(ends)
    pad = (high - low) * 0.08 or 1.0
    bottom = low - pad
    if low >= 0 > bottom:
        bottom = 0.0
    return bottom, high + pad


def _x_ticks(first: int, last: int) -> list[tuple[int, str]]:
    """Month starts (every month, quarter or year, as the span allows) inside the axis."""
    start, end = date.fromordinal(first), date.fromordinal(last)
    months = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if months <= 8 else 3 if months <= 30 else 12
    ticks: list[tuple[int, str]] = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if (month - 1) % step:
            continue
        day = date(year, month, 1).toordinal()
        if day > last:
            return ticks
        text = str(year) if step == 12 else f"{MONTHS[month - 1]} {year}"
        ticks.append((day, text))


def lab_range_in(
    record: Record, analyte: Analyte, reference: Reference, unit: str
) -> tuple[float, float] | None:
    """The lab's own range of ``record`` in ``unit`` when the core would use it (both ends
    known, a unit to read it in); else None."""
    if not record.lab_range or not record.unit:
        return None
    parsed = parse_lab_range(record.lab_range)
    found = reference.unit_factor(analyte, record.unit)
    if parsed is None or found is None:
        return None
    fitted, _why = fit_range(parsed, analyte, reference, found[1], record.unit)
    if fitted is None or fitted.low is None or fitted.high is None:
        return None
    to_unit = found[1] / analyte.factors[unit]
    return fitted.low * to_unit, fitted.high * to_unit


def _lab(
    points: list[Record], analyte: Analyte, reference: Reference, unit: str, label_unit: str
) -> tuple[tuple[float, float] | None, str]:
    """The latest lab range of the series, and what to say about it."""
    ranges = [(r.date, lab_range_in(r, analyte, reference, unit)) for r in points]
    known = [(day, found) for day, found in ranges if found is not None]
    if not known:
        return None, ""
    day, found = known[-1]
    text = f"reporting lab's range: {short(found[0])}–{short(found[1])} {label_unit}"
    if len({found for _, found in known}) > 1:
        text += f" (as of {day}; it differs on other dates)"
    return found, text


def make_trend(
    test: str,
    records: list[Record],
    reference: Reference,
    events: list[tuple[int, Event]],
) -> Trend | None:
    """The chart of one test's results (ISO dates, values, oldest first) with the numbered
    ``events`` that fall near its dates; None unless there are two dates or more."""
    points = [r for r in records if r.value is not None and r.date]
    analyte = reference.analytes.get(points[0].analyte or "") if points else None
    if analyte is None or len({r.date for r in points}) < 2:
        return None
    latest = points[-1]
    unit = display_unit(reference, analyte, latest.unit)
    factor = analyte.factors[unit]
    values = [(r.value or 0.0) / factor for r in points]
    scale = gauge_scale(analyte, latest.sex, unit, latest.guideline, latest.age)
    label_unit = unit_label(reference, unit, latest.unit)
    lab, lab_note = _lab(points, analyte, reference, unit, label_unit)
    y_low, y_high = _y_range(values, scale.cuts, lab)
    first, last = _day(points[0].date or ""), _day(points[-1].date or "")
    span = last - first
    reach = max(30, span // 4)  # events this far outside the results' dates are drawn
    near = [(n, e) for n, e in events if first - reach <= _day(e.date) <= last + reach]
    days = [_day(e.date) for _, e in near]
    x_low, x_high = min([first, *days]), max([last, *days])
    x_low, x_high = x_low - max(3, (x_high - x_low) // 30), x_high + max(3, (x_high - x_low) // 30)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x_of(day: int) -> float:
        return round(LEFT + (day - x_low) / (x_high - x_low) * (right - LEFT), 2)

    def y_of(value: float) -> float:
        value = min(max(value, y_low), y_high)
        return round(bottom - (value - y_low) / (y_high - y_low) * (bottom - TOP), 2)

    zones = []
    bounds = (-math.inf, *scale.cuts, math.inf)
    for i, band in enumerate(scale.bands):
        low, high = max(bounds[i], y_low), min(bounds[i + 1], y_high)
        if high > low:
            top = y_of(high)
            zones.append(Zone(top, y_of(low) - top, flag_class(band.flag), visible(band.label)))
    drawn = []
    for record, value in zip(points, values, strict=True):
        censored = {"<": "below", "<=": "below", ">": "above", ">=": "above"}.get(
            record.comparator or "", ""
        )
        given = visible(result_text(record.value_text, record.unit))
        own = reference.unit_code((record.unit or "").strip()) == unit
        text = visible(record.value_text or "") if own and record.value_text else short(value)
        shown = (record.band_label or record.flag or "").replace("_", " ")
        title = f"{record.date}: {given} ({visible(shown)})"
        if not own:
            title += f", drawn as {short(value)} {label_unit}"
        if censored:
            title += f"; the lab reported the value only as {censored} this limit"
        drawn.append(
            Point(
                x_of(_day(record.date or "")),
                y_of(value),
                flag_class(record.flag),
                censored,
                text,
                title,
            )
        )
    path = "M" + " L".join(f"{p.x},{p.y}" for p in drawn)
    step = _nice_step(y_high - y_low)
    start = (y_low // step + 1) * step
    y_ticks = []
    tick = start
    while tick < y_high:
        y_ticks.append(AxisTick(y_of(tick), short(tick)))
        tick += step
    x_ticks = [AxisTick(x_of(day), text) for day, text in _x_ticks(x_low, x_high)]
    lab_band = None
    if lab is not None:
        lab_band = LabBand(y_of(lab[1]), y_of(lab[0]) - y_of(lab[1]), lab_note)
    markers = [Marker(x_of(_day(e.date)), n, f"{n}. {e.date}: {e.text}") for n, e in near]
    label = f"{test} in {label_unit} from {points[0].date} to {points[-1].date}: " + ", ".join(
        f"{r.date} {p.text}" for r, p in zip(points, drawn, strict=True)
    )
    return Trend(
        WIDTH,
        HEIGHT,
        LEFT,
        right,
        TOP,
        bottom,
        zones,
        drawn,
        path,
        x_ticks,
        y_ticks,
        lab_band,
        lab_note,
        markers,
        label_unit,
        test,
        label,
    )
