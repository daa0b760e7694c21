"""A result's number read by the run's number style, refused where its separators leave a doubt.

Where a mark could be a decimal or group thousands and nothing settles it (separators.py), the
error says which reading is plausible for the test in the value's unit. A dot in threes in a
file that does not write decimal commas (``1.250``) is read as a decimal point, unless that
reading is outside the test's usual span while the grouped one is inside it: then it is
refused the same way, never read as the unusual value.
"""

import re

from b12check.core.analyte import Analyte
from b12check.core.errors import ValueProblem
from b12check.core.lazyre import LazyPattern
from b12check.core.numbers import Interval, ParsedValue, format_interval, format_number, parse_value
from b12check.core.records import Record
from b12check.core.separators import AmbiguousNumber, Reading, dot_hint
from b12check.core.settings import Settings

_DOT_GROUPED = LazyPattern(r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}")
_LAB_FLAG = LazyPattern(
    r"(?:\(?(?:HH|LL|H|L|A|AA|N|CH|CL|High|Low|Critical|Abnormal|Normal)\)?|[*!↑↓]+)",
    re.IGNORECASE,
)


def split_lab_flag(rest: str) -> tuple[str, str | None]:
    """'pg/mL H' -> ('pg/mL', 'H'); '*' -> ('', '*'); 'ng/mL' -> ('ng/mL', None)."""
    text = rest.strip()
    if not text:
        return "", None
    if _LAB_FLAG.fullmatch(text):
        return "", text
    head, _, tail = text.rpartition(" ")
    if head and _LAB_FLAG.fullmatch(tail):
        return head.strip(), tail
    for mark in ("*", "!"):
        if text.endswith(mark):
            return text.rstrip(mark).strip(), mark
    return text, None


def read_number(settings: Settings, analyte: Analyte, record: Record) -> ParsedValue:
    """The record's value text read; a number whose separators are unsettled is refused
    with the reading that is plausible for this test, where its unit says."""
    try:
        parsed = parse_value(record.value_text or "", style=settings.style)
    except AmbiguousNumber as exc:
        plausible = _plausible_readings(settings, analyte, record, exc)
        raise ValueProblem(exc.describe(plausible)) from None
    if settings.thousands is None and not settings.decimal_comma:
        _doubt_a_dot(settings, analyte, record, parsed)
    return parsed


def _doubt_a_dot(settings: Settings, analyte: Analyte, record: Record, parsed: ParsedValue) -> None:
    """Refuse ``1.250`` read as 1.25 when only 1250 is a usual result of the test."""
    text = parsed.number_text
    if len(text) < 5 or not _DOT_GROUPED.fullmatch(text):
        return
    grouped = float(text.replace(".", ""))
    readings = (
        Reading(parsed.number, "'.' as a decimal"),
        Reading(grouped, "'.' groups thousands"),
    )
    exc = AmbiguousNumber(text.lstrip("+-"), readings, dot_hint())
    found = _unit(settings, analyte, record, exc)
    if found is None:
        return
    factor = analyte.factors[found]
    if not analyte.expected.contains(parsed.number * factor) and analyte.expected.contains(
        grouped * factor
    ):
        raise ValueProblem(exc.describe(_plausible_readings(settings, analyte, record, exc)))


def _unit(settings: Settings, analyte: Analyte, record: Record, exc: AmbiguousNumber) -> str | None:
    """The unit code of the record's value (text or unit column), if the test lists it."""
    text = (record.value_text or "").strip()
    unit_text = split_lab_flag(text[text.find(exc.text) + len(exc.text) :])[0]
    unit_text = unit_text or (record.unit or "").strip()
    unit = settings.reference.unit_code(unit_text) if unit_text else analyte.canonical_unit
    if unit is None or unit not in analyte.factors or (not unit_text and analyte.unit_needed):
        return None
    return unit


def _plausible_readings(
    settings: Settings, analyte: Analyte, record: Record, exc: AmbiguousNumber
) -> str:
    unit = _unit(settings, analyte, record, exc)
    if unit is None:
        return ""
    factor, name = analyte.factors[unit], analyte.name
    possible = [r for r in exc.readings if analyte.plausible.contains(r.number * factor)]
    usual = [r for r in possible if analyte.expected.contains(r.number * factor)]
    span = f"{format_interval(_in_unit(analyte.expected, factor))} {unit}"
    if len(exc.readings) == 1:
        (only,) = exc.readings
        if not possible:
            return f"that is not a plausible {name} result in {unit} either"
        where = "within" if usual else "outside"
        return f"{format_number(only.number)} {unit} is {where} the usual {name} span ({span})"
    if not possible:
        return f"neither is a plausible {name} result in {unit}"
    if len(possible) == 1:
        return f"only {format_number(possible[0].number)} {unit} is a plausible {name} result"
    if len(usual) == 1:
        return (
            f"only {format_number(usual[0].number)} {unit} is within the usual {name} span ({span})"
        )
    return f"both are possible {name} results in {unit}"


def _in_unit(span: Interval, factor: float) -> Interval:
    """A span in the canonical unit, in a unit of that factor (to 4 significant digits)."""

    def end(bound: float | None) -> float | None:
        return None if bound is None else float(f"{bound / factor:.4g}")

    return Interval(end(span.low), end(span.high), span.low_inclusive, span.high_inclusive)
