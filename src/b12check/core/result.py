"""An immutable result for the Python API, made from the record the core built.

A ``Record`` (records.py) is the slotted, mutable bag the readers and writers pass along, one
per input value. A ``Result`` is what a caller of ``b12check.Ranges.check`` keeps: frozen, its
fields typed with the vocabulary's enums, and ``as_dict()`` the very record a ``--format json``
run writes for the same input. Loaded only by the API, never on a command-line run.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from b12check.core.records import Record
from b12check.core.vocab import Flag, NoteKind, Sex, Status


class Note(NamedTuple):
    """A note on a result: its text, who says it, its kind, and whether the source is a
    reference work, the article, or the lab's own report."""

    text: str
    source: str
    kind: NoteKind
    source_type: str

    def as_dict(self) -> dict[str, str]:
        return {
            "text": self.text,
            "source": self.source,
            "kind": self.kind.value,
            "source_type": self.source_type,
        }


class BandRange(NamedTuple):
    """Where the value is known to lie, in the canonical unit: the band's edges (the lab's
    range under ``lab_ranges="prefer"``); None on an open side."""

    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Result:
    """One value read against the reference ranges. Frozen: fields cannot be reassigned, and
    notes, warnings and flag_by_sex are a tuple, a tuple and a read-only mapping."""

    status: Status
    flag: Flag | None  # None unless status is result
    label: str | None  # the band's label, e.g. "insufficient"
    analyte: str | None  # the test's id, e.g. "vitamin_d"
    value: float | None  # in the canonical unit (the bound, for a censored value)
    unit: str | None  # the canonical unit
    band: BandRange | None
    interpretation: str | None  # FHIR v3-ObservationInterpretation code: L, N, H, HU …
    guideline: str | None
    band_source: str | None
    notes: tuple[Note, ...]
    warnings: tuple[str, ...]
    reason: str | None  # why an error, a skip or an unclassified flag
    flag_by_sex: Mapping[Sex, Flag] | None = field(default=None, hash=False)
    # What was read, and where from, as given:
    test: str | None = None  # the test's name or code as given
    value_text: str | None = None
    given_unit: str | None = None
    comparator: str | None = None  # <, <=, > or >= of a censored value
    sex: Sex | str | None = None  # a Sex once the value was read; as given on other records
    age: float | None = None
    lab_range: str | None = None
    lab_flag: str | None = None
    patient: str | None = None
    date: str | None = None
    source: str | None = None
    line: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The record ``b12check check|scan --format json`` writes for this input (with
        ``source`` as its ``file``), field for field and in the same order."""
        out: dict[str, Any] = {
            "status": self.status.value,
            "file": self.source,
            "line": self.line,
            "column": self.column,
            "patient": self.patient,
            "date": self.date,
            "sex": None if self.sex is None else str(self.sex),
            "age": self.age,
            "analyte": self.analyte,
            "label": self.test,
            "value_text": self.value_text,
            "unit": self.given_unit,
            "comparator": self.comparator,
            "value": self.value,
            "canonical_unit": self.unit,
            "flag": None if self.flag is None else self.flag.value,
            "band_label": self.label,
            "interpretation": self.interpretation,
            "band_low": None if self.band is None else self.band.low,
            "band_high": None if self.band is None else self.band.high,
            "band_source": self.band_source,
            "guideline": self.guideline,
            "flag_by_sex": None
            if self.flag_by_sex is None
            else {sex.value: flag.value for sex, flag in self.flag_by_sex.items()},
            "lab_range": self.lab_range,
            "lab_flag": self.lab_flag,
            "warnings": list(self.warnings),
            "notes": [note.as_dict() for note in self.notes],
            "reason": self.reason,
        }
        return out


def result_from(
    record: Record, *, source: str | None, line: int | None, column: str | None = None
) -> Result:
    """The frozen result for a record the core built (``source``, ``line`` and ``column``
    as the caller gave them: a record always has a file and a line, a result may not)."""
    band = None
    if record.band_low is not None or record.band_high is not None:
        band = BandRange(record.band_low, record.band_high)
    by_sex = None
    if record.flag_by_sex is not None:
        by_sex = MappingProxyType({Sex(s): Flag(f) for s, f in record.flag_by_sex.items()})
    return Result(
        status=Status(record.status),
        flag=None if record.flag is None else Flag(record.flag),
        label=record.band_label,
        analyte=record.analyte,
        value=record.value,
        unit=record.canonical_unit,
        band=band,
        interpretation=record.interpretation,
        guideline=record.guideline,
        band_source=record.band_source,
        notes=tuple(Note(n.text, n.source, NoteKind(n.kind), n.source_type) for n in record.notes),
        warnings=tuple(record.warnings),
        reason=record.reason,
        flag_by_sex=by_sex,
        test=record.label,
        value_text=record.value_text,
        given_unit=record.unit,
        comparator=record.comparator,
        sex=_sex(record.sex),
        age=record.age,
        lab_range=record.lab_range,
        lab_flag=record.lab_flag,
        patient=record.patient,
        date=record.date,
        source=source,
        line=line,
        column=column if column is not None else record.column,
    )


def _sex(text: str | None) -> Sex | str | None:
    if text is None:
        return None
    try:
        return Sex(text)
    except ValueError:
        return text  # a record whose value was never read keeps the sex cell as given
