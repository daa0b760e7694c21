"""From one input value (name, result text, unit, context) to one output record.

Shared by ``check`` (typed values), ``scan`` (rows of exports) and the Python API: whatever
goes wrong with a value becomes an error record with a reason, never an exception. The lab's own
range and flag are weighed here too, by the settings' ``lab_ranges`` policy (labpolicy.py).
"""

import math
from collections.abc import Iterable
from typing import NamedTuple

from b12check.core.classify import classify
from b12check.core.errors import ValueProblem
from b12check.core.note_choice import notes_for
from b12check.core.numbers import format_interval, format_number, parse_value
from b12check.core.read_number import read_number, split_lab_flag
from b12check.core.records import Record
from b12check.core.refdata import Analyte, Companion, Reference
from b12check.core.settings import Settings
from b12check.core.units import per_volume
from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED, LabRangePolicy

__all__ = [  # Settings and notes_for live beside this module; their old home still works
    "Settings",
    "apply_patterns",
    "evaluate",
    "notes_for",
    "read_sex",
    "split_lab_flag",
]

_SEX_WORDS = {
    "f": "female",
    "female": "female",
    "w": "female",
    "woman": "female",
    "m": "male",
    "male": "male",
    "man": "male",
}


def read_sex(text: str | None) -> str | None:
    if text is None:
        return None
    return _SEX_WORDS.get(text.strip().casefold())


class UnitRead(NamedTuple):
    code: str  # one of the test's units (the canonical one for a unit read by its prefix)
    number: float  # the value in ``code``
    written: str  # the unit as written ("" when none was), for messages
    factor: float  # the written unit's factor to the canonical unit


def _unit_for(
    analyte: Analyte, unit_text: str, number: float, settings: Settings, record: Record
) -> UnitRead:
    """The unit code the number is in, and the number itself (a TSAT fraction becomes %; a
    unit of the right kind that the test does not list, such as ``ug/L`` for serum iron, is
    converted to the canonical unit by its prefix and the test's molar mass)."""
    reference = settings.reference
    if unit_text:
        found = reference.unit_factor(analyte, unit_text)
        if found is None:
            accepted = ", ".join(analyte.factors)
            code = reference.unit_code(unit_text)
            known = code is not None or per_volume(unit_text) is not None
            what = "not a unit of this test" if known else "an unknown unit"
            raise ValueProblem(f"{unit_text!r} is {what}; {analyte.name} takes {accepted}")
        code, factor = found
        if code in analyte.factors:
            return UnitRead(code, number, code, factor)
        return UnitRead(analyte.canonical_unit, number * factor, code, factor)
    if analyte.fraction_as_percent and number <= 1:
        percent = float(f"{number * 100:.12g}")
        record.warnings.append(
            f"no unit: {format_number(number)} read as a fraction, "
            f"{format_number(percent)} {analyte.canonical_unit}"
        )
        return _listed(analyte, analyte.canonical_unit, percent)
    if not analyte.unit_needed:
        return _listed(analyte, analyte.canonical_unit, number)
    if settings.units_system == "conventional":
        return _listed(analyte, analyte.conventional_unit, number)
    if settings.units_system == "si":
        return _listed(analyte, analyte.si_unit, number)
    accepted = ", ".join(analyte.factors)
    raise ValueProblem(
        f"no unit given for {analyte.name}; add one ({accepted}) or pass --units conventional|si"
    )


def _listed(analyte: Analyte, code: str, number: float) -> UnitRead:
    return UnitRead(code, number, code, analyte.factors[code])


def _unit_mistake_hint(analyte: Analyte, read: UnitRead, number: float) -> str:
    """Name another unit in which the same number would be a believable result."""
    candidates = [
        other
        for other, factor in analyte.factors.items()
        if factor != read.factor and analyte.plausible.contains(number * factor)
    ]
    candidates.sort(
        key=lambda other: not analyte.expected.contains(number * analyte.factors[other])
    )
    return f"; was it {format_number(number)} {candidates[0]}?" if candidates else ""


def _warnings(
    analyte: Analyte, unit: str, number: float, canonical: float, exact: bool
) -> list[str]:
    found: list[str] = []
    for check in analyte.unit_checks:
        if check.unit != unit:
            continue
        if (check.above is not None and number > check.above) or (
            check.below is not None and number < check.below
        ):
            other = number * analyte.factors[check.suggest]
            found.append(
                f"{format_number(number)} {unit} is unusual for {analyte.name}; "
                f"if the lab meant {check.suggest}, it would be "
                f"{format_number(round(other, 3))} {analyte.canonical_unit}"
            )
    if exact and not analyte.expected.contains(canonical) and not found:
        found.append(
            f"{format_number(round(canonical, 4))} {analyte.canonical_unit} is outside the usual "
            f"span {format_interval(analyte.expected)}; check the value and its unit"
        )
    return found


def evaluate(
    settings: Settings,
    *,
    file: str,
    line: int,
    name: str,
    value_text: str,
    unit_text: str | None = None,
    column: str | None = None,
    patient: str | None = None,
    date: str | None = None,
    sex: str | None = None,
    age: float | None = None,
    lab_range: str | None = None,
    lab_flag: str | None = None,
    unknown_is_skipped: bool = False,
) -> Record:
    record = Record(
        status=STATUS_RESULT,
        file=file,
        line=line,
        column=column,
        patient=patient,
        date=date,
        sex=sex or settings.sex,
        age=age if age is not None else settings.age,
        label=name,
        value_text=value_text,
        unit=unit_text,
        lab_range=lab_range,
        lab_flag=lab_flag,
    )
    found = settings.reference.identify(name)
    if found.refused:
        return _error(record, found.refused)
    analyte = found.analyte
    if analyte is None:
        if found.companion is not None:
            return _companion_record(settings, record, found.companion)
        if unknown_is_skipped:
            record.status = STATUS_SKIPPED
            record.reason = found.skip_reason
            return record
        return _error(record, settings.reference.unknown_message(name))
    record.analyte = analyte.id
    record.canonical_unit = analyte.canonical_unit
    try:
        given = _read_value(settings, analyte, record)
    except ValueProblem as exc:
        return _error(record, str(exc))
    if settings.lab_ranges is not LabRangePolicy.IGNORE:
        from b12check.core.labpolicy import apply_lab_policy  # (check never needs it)

        apply_lab_policy(
            record, settings.lab_ranges, settings.reference, settings.notes, given=given
        )
    return record


def _companion_record(settings: Settings, record: Record, companion: Companion) -> Record:
    """A test read only for derived values: skipped, but carrying its value when readable."""
    record.status = STATUS_SKIPPED
    record.analyte = companion.id
    record.reason = f"{companion.name} is read only to work out other values; it is not flagged"
    try:
        parsed = parse_value(record.value_text or "", style=settings.style)
    except ValueProblem:
        return record
    unit_text, _ = split_lab_flag(parsed.rest)
    unit = settings.reference.unit_code(unit_text or (record.unit or "").strip())
    if unit in companion.factors and not parsed.comparator:
        value = parsed.number * companion.factors[unit]
        if math.isfinite(value):  # an overflowing one is simply not carried
            record.value = float(f"{value:.6g}")
            record.canonical_unit = companion.canonical_unit
    return record


def _error(record: Record, reason: str) -> Record:
    record.status = STATUS_ERROR
    record.reason = reason
    record.flag = None
    return record


def _read_value(settings: Settings, analyte: Analyte, record: Record) -> tuple[float, float]:
    """Read the record's value into it; returns the number as written (a bare fraction as
    its percentage) and its unit's factor to the canonical unit, for the lab's range."""
    parsed = read_number(settings, analyte, record)
    rest_unit, glued_flag = split_lab_flag(parsed.rest)
    if glued_flag and not record.lab_flag:
        record.lab_flag = glued_flag
    if rest_unit and record.unit and not settings.reference.same_unit(rest_unit, record.unit):
        raise ValueProblem(f"the value says {rest_unit!r} but the unit says {record.unit!r}")
    unit_text = rest_unit or (record.unit or "").strip()
    if rest_unit and not record.unit:
        record.unit = rest_unit
    read = _unit_for(analyte, unit_text, parsed.number, settings, record)
    unit, number = read.code, read.number
    canonical = number * analyte.factors[unit]
    if not math.isfinite(canonical):  # a huge number times the factor: never a band
        raise ValueProblem(
            f"{parsed.number_text} {read.written} is too large to convert to "
            f"{analyte.canonical_unit} (it overflows)"
        )
    record.comparator = parsed.comparator or None
    record.value = float(f"{canonical:.6g}")
    shown = number if read.written == unit else parsed.number  # as written
    if not analyte.plausible.contains(canonical):
        raise ValueProblem(
            f"{parsed.comparator}{format_number(shown)} {read.written} is not a plausible "
            f"{analyte.name} result (plausible: {format_interval(analyte.plausible)} "
            f"{analyte.canonical_unit})" + _unit_mistake_hint(analyte, read, shown)
        )
    exact = not parsed.comparator
    record.warnings.extend(_warnings(analyte, read.written, shown, canonical, exact))
    sex_text = record.sex
    sex = read_sex(sex_text)
    if sex_text and sex is None:
        record.warnings.append(f"sex {sex_text!r} not understood (use female or male)")
    record.sex = sex
    guideline = settings.guideline_for(analyte)
    if record.age is not None and record.age < 18 and not analyte.age_specific_in(guideline):
        record.warnings.append("the built-in bands are for adults; children's ranges differ")
    outcome = classify(analyte, sex, unit, parsed.comparator, number, guideline, record.age)
    record.guideline = analyte.guideline(guideline).name
    record.flag = outcome.flag
    record.reason = outcome.reason
    record.flag_by_sex = outcome.flag_by_sex
    if outcome.band is not None:
        record.band_label = outcome.band.label
        record.interpretation = outcome.band.interpretation
        record.band_source = outcome.band.band_source
    if outcome.span is not None:
        record.band_low = outcome.span.low
        record.band_high = outcome.span.high
    band = None if outcome.band is None else outcome.band.interval
    edges = None if band is None else (band.low, band.high)
    record.notes = notes_for(settings.reference, analyte.id, outcome.flag, settings.notes, edges)
    return shown, read.factor


def apply_patterns(records: Iterable[Record], reference: Reference, mode: str) -> None:
    """Add pattern and derived-value notes to records of one patient on one date."""
    from b12check.core.patterns import group_notes

    if mode == "none":  # (NotesMode.NONE is equal to its text)
        return
    results = [
        r for r in records if r.analyte and (r.status == STATUS_RESULT or r.value is not None)
    ]
    summary = [(r.analyte or "", r.flag or "", r.value, r.comparator) for r in results]
    for analyte, note in group_notes(summary, reference):
        target = next(r for r in results if r.analyte == analyte)
        target.notes.append(note)
