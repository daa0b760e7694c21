"""Whether the lab's own range can be read against a value: in which unit, and whether it is
a range at all.

A range written with its own unit (``20-50 ng/mL`` beside a value in nmol/L) is converted to
the value's unit by the test's factors. A range is not used, and the record says why, when it
cannot tell low from high: its ends are equal (``0-0``), its top is not above zero, an end is
not a plausible result of the test (``0-9999`` for magnesium), it takes in the test's whole
usual span (``0-5`` mmol/L for magnesium), or it lies wholly outside that span (a range in
another unit).
"""

from b12check.core.analyte import Analyte
from b12check.core.labrange import LabRange, scaled
from b12check.core.numbers import Interval, format_interval, format_number
from b12check.core.reference import Reference


def fit_range(
    lab_range: LabRange, analyte: Analyte, reference: Reference, factor: float, unit: str
) -> tuple[LabRange | None, str | None]:
    """(the range in the value's unit, None) when it can be used; else (None, why not).

    ``factor`` turns the value's unit (``unit``, as written) into the canonical unit."""
    own = factor
    if lab_range.unit is not None:
        unit = lab_range.unit
        found = reference.unit_factor(analyte, lab_range.unit)
        if found is None:
            return None, _unused(lab_range, f"{lab_range.unit!r} is not a unit of this test")
        own = found[1]
    canonical = scaled(lab_range, own)
    problem = _problem(canonical, analyte, lab_range, unit)
    if problem is not None:
        return None, _unused(lab_range, problem)
    if own == factor:
        return lab_range, None
    return scaled(lab_range, own / factor, f"{lab_range} {lab_range.unit}"), None


def _unused(lab_range: LabRange, why: str) -> str:
    shown = f"{lab_range} {lab_range.unit}" if lab_range.unit else str(lab_range)
    return f"the lab's range ({shown}) was not used: {why}"


def _problem(
    canonical: LabRange, analyte: Analyte, written: LabRange, written_unit: str
) -> str | None:
    """Why a range (``canonical``: in the canonical unit) cannot tell low from high for this
    test, or None; ``written`` is the same range as written, in ``written_unit``."""
    unit = analyte.canonical_unit
    low, high = canonical.low, canonical.high
    if low is not None and high is not None and low == high:
        return "its low and high ends are the same"
    if high is not None and high <= 0:
        return "its top is not above zero"
    for end, as_written in ((low, written.low), (high, written.high)):
        if end is not None and end > 0 and not analyte.plausible.contains(end):
            return (
                f"{format_number(as_written or 0)} {written_unit} is not a plausible "
                f"{analyte.name} result (plausible: {format_interval(analyte.plausible)} {unit})"
            )
    usual = analyte.expected
    if low is not None and high is not None and _covers(low, high, usual):
        return (
            f"it takes in every usual {analyte.name} value "
            f"({format_interval(usual)} {unit}), so it cannot tell low from high"
        )
    if (high is not None and usual.low is not None and high < usual.low) or (
        low is not None and usual.high is not None and low > usual.high
    ):
        return (
            f"it lies outside the usual span for {analyte.name} ({format_interval(usual)} "
            f"{unit}); is it in another unit?"
        )
    return None


def _covers(low: float, high: float, usual: Interval) -> bool:
    """Whether [low, high] takes in the whole usual span (both of whose ends must be known)."""
    return (
        usual.low is not None and usual.high is not None and low <= usual.low and high >= usual.high
    )
