"""The lab's own reference range text, read into bounds for comparison with the built-in flag."""

import math
from typing import NamedTuple

from b12check.core.lazyre import LazyPattern
from b12check.core.numbers import format_number

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_BETWEEN = LazyPattern(rf"\s*({_NUMBER})\s*(?:-|–|—|to)\s*({_NUMBER})\s*(?P<unit>[^\d\s].*)?")
_ONE_SIDED = LazyPattern(
    rf"\s*(?P<op><=|>=|=<|=>|<|>|≤|≥)\s*(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s].*)?"
)


class LabRange(NamedTuple):
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    unit: str | None = None  # the unit written with the range ('30-100 ng/mL'), if any
    label: str | None = None  # how to show a range converted from its own unit

    def position(self, value: float) -> str:
        """'below', 'within' or 'above' the lab's range."""
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return "below"
        if self.high is not None and (
            value > self.high or (value == self.high and not self.high_inclusive)
        ):
            return "above"
        return "within"

    def __str__(self) -> str:
        if self.label is not None:
            return self.label
        if self.low is None:
            return f"{'≤' if self.high_inclusive else '<'} {format_number(self.high or 0)}"
        if self.high is None:
            return f"{'≥' if self.low_inclusive else '>'} {format_number(self.low)}"
        return f"{format_number(self.low)}–{format_number(self.high)}"


def _number(text: str) -> float:
    """An ASCII decimal (the patterns allow nothing else); one too long for a float is not a
    range bound, as ``inf`` would reach the records' band edges."""
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is too large")
    return number


def _unit(text: str | None) -> str | None:
    return text.strip() or None if text else None


def scaled(lab_range: LabRange, factor: float, label: str | None = None) -> LabRange:
    """The same range with its bounds times ``factor`` (into another unit; no unit kept),
    shown as ``label`` if given."""

    def times(bound: float | None) -> float | None:
        return None if bound is None else float(f"{bound * factor:.12g}")

    low, high = times(lab_range.low), times(lab_range.high)
    return LabRange(low, high, lab_range.low_inclusive, lab_range.high_inclusive, None, label)


def parse_lab_range(text: str) -> LabRange | None:
    """'180-914', '180 - 914 pg/mL', '<200', '>=30', '30-100 ng/mL', '0,70-1,00'; else None."""
    if not text or not text.strip():
        return None
    try:
        return _parse(text)
    except ValueError:
        return None


def _parse(text: str) -> LabRange | None:
    match = _BETWEEN.fullmatch(text)
    if match:
        low, high = _number(match[1]), _number(match[2])
        if low > high:
            return None
        return LabRange(low, high, True, True, _unit(match["unit"]))
    match = _ONE_SIDED.fullmatch(text)
    if match:
        number = _number(match["num"])
        op = match["op"]
        if op in ("<", "<=", "=<", "≤"):
            return LabRange(None, number, False, op != "<", _unit(match["unit"]))
        return LabRange(number, None, op != ">", False, _unit(match["unit"]))
    return None
