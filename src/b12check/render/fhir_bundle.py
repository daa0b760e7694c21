"""``--format fhir``: a FHIR R4 Bundle (type collection) of Observations, streamed.

One Observation per result and per error record (an error has no value, only a
``dataAbsentReason`` and the reason as a note); skipped records (tests b12check does not cover)
are left out, and counted on stderr as ever. Each Observation carries the input's test and
value, b12check's flag as a v3-ObservationInterpretation code (``core/vocab.py``), the band as a
``referenceRange`` with its text, and the notes, with their sources, as ``note``.

A band that is not the normal one (``deficient: < 180 pg/mL``) is written as text only: a FHIR
reader takes a ``referenceRange`` with low/high for the normal range, and would read a value
inside the deficient band as "in range".
"""

import uuid
from typing import IO, Any, Final

from b12check.core.lazyre import LazyPattern
from b12check.core.numbers import parse_value
from b12check.core.records import Record, Summary
from b12check.core.refdata import Reference
from b12check.core.vocab import (
    DISCLAIMER,
    FHIR_INTERPRETATION_DISPLAY,
    FHIR_INTERPRETATION_SYSTEM,
    PRELIMINARY_WARNING,
    STATUS_ERROR,
    STATUS_RESULT,
    Flag,
    fhir_interpretation,
)
from b12check.render.base import Writer, band_text
from b12check.render.json_lines import json_text

UCUM: Final = "http://unitsofmeasure.org"
LOINC: Final = "http://loinc.org"
CATEGORY: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory",
        }
    ]
}
RANGE_NORMAL: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/referencerange-meaning",
            "code": "normal",
        }
    ]
}
ABSENT_ERROR: Final = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}
    ]
}
_NAMESPACE: Final = uuid.UUID("6f1d3c2e-8a4b-5c7d-9e0f-b12c4ec4f41e")
_ISO_DATE: Final = LazyPattern(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LOINC: Final = LazyPattern(r"[0-9]{1,7}-[0-9]")


class FhirWriter(Writer):
    """Writes the Bundle's entries as records stream past, and closes it at the end."""

    def __init__(self, out: IO[str], reference: Reference | None = None) -> None:
        self.out = out
        self.reference = reference
        self.count = 0
        out.write('{"resourceType": "Bundle", "type": "collection", "entry": [')

    def write(self, record: Record) -> None:
        if record.status not in (STATUS_RESULT, STATUS_ERROR):
            return
        self.count += 1
        entry = {
            "fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, str(self.count))}",
            "resource": observation(record, self.reference),
        }
        self.out.write(",\n" if self.count > 1 else "\n")
        self.out.write(json_text(entry))

    def close(self, summary: Summary) -> None:
        self.out.write("\n]}\n")


def observation(record: Record, reference: Reference | None) -> dict[str, Any]:
    """The R4 Observation of one result or error record."""
    result = record.status == STATUS_RESULT
    preliminary = PRELIMINARY_WARNING in record.warnings
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": ("preliminary" if preliminary else "final") if result else "unknown",
        "category": [CATEGORY],
        "code": code(record, reference),
    }
    contained, subject = subject_of(record)
    if contained:
        resource["contained"] = contained
    if subject:
        resource["subject"] = subject
    if record.date and _ISO_DATE.fullmatch(record.date):
        resource["effectiveDateTime"] = record.date
    if result:
        resource["valueQuantity"] = quantity(record, reference)
        resource["interpretation"] = [interpretation(record)]
        resource["referenceRange"] = [band_range(record)]
    else:
        resource["dataAbsentReason"] = {**ABSENT_ERROR, "text": record.reason or "not read"}
    notes = [{"text": f"{n.text} (source: {n.source})"} for n in record.notes]
    notes.extend({"text": f"Warning: {w}"} for w in record.warnings)
    if result and record.flag == Flag.UNCLASSIFIED and record.reason:
        notes.append({"text": f"Not classified: {record.reason}"})
    notes.append({"text": DISCLAIMER})
    resource["note"] = notes
    return resource


def code(record: Record, reference: Reference | None) -> dict[str, Any]:
    """The test: the input's LOINC code when it gave one as the name, else the first LOINC
    code of the test in the ranges data; the input's name as the text."""
    label = record.label or record.analyte or "unknown test"
    loinc = label if _LOINC.fullmatch(label) else None
    if loinc is None and reference is not None and record.analyte in reference.analytes:
        codes = reference.analytes[record.analyte].loinc
        loinc = codes[0] if codes else None
    concept: dict[str, Any] = {"text": label}
    if loinc:
        concept["coding"] = [{"system": LOINC, "code": loinc}]
    return concept


def subject_of(record: Record) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(contained Patient for the sex, if known; the subject). A patient that is already a
    reference (``Patient/1``, ``urn:uuid:…``) stays one; an id becomes an identifier."""
    patient = record.patient
    if record.sex:
        subject: dict[str, Any] = {"reference": "#subject"}
        if patient:
            subject["identifier"] = {"value": patient}
        return [{"resourceType": "Patient", "id": "subject", "gender": record.sex}], subject
    if not patient:
        return [], None
    if "/" in patient or patient.startswith("urn:"):
        return [], {"reference": patient}
    return [], {"identifier": {"value": patient}}


def quantity(record: Record, reference: Reference | None) -> dict[str, Any]:
    """The value as the input gave it (number, comparator, unit); in the canonical unit when
    the input gave no unit (a bare number read in the unit ``--units`` chose)."""
    out: dict[str, Any] = {}
    number: float | int | None = None
    unit = record.unit
    if unit:
        try:
            parsed = parse_value(record.value_text or "", decimal_comma=True)
        except ValueError:
            pass
        else:  # as given: 250 stays 250, not 250.0
            digits = parsed.number_text.lstrip("+")
            number = int(digits) if digits.isdigit() else parsed.number
    if number is None:
        number, unit = record.value, record.canonical_unit
    out["value"] = number
    if record.comparator:
        out["comparator"] = record.comparator
    if unit:
        out["unit"] = unit
        ucum = reference.unit_code(unit) if reference is not None else None
        if ucum:
            out["system"] = UCUM
            out["code"] = ucum
    return out


def interpretation(record: Record) -> dict[str, Any]:
    flag = record.flag or Flag.UNCLASSIFIED
    fhir = fhir_interpretation(flag, record.interpretation)
    coding = {
        "system": FHIR_INTERPRETATION_SYSTEM,
        "code": fhir,
        "display": FHIR_INTERPRETATION_DISPLAY[fhir],
    }
    return {"coding": [coding], "text": flag.replace("_", " ")}


def band_range(record: Record) -> dict[str, Any]:
    """The band the value fell in, with its text; low and high only for the normal band."""
    band = band_text(record) or "no band chosen"
    label = record.band_label or (record.flag or "").replace("_", " ")
    source = f" ({record.band_source})" if record.band_source else ""
    out: dict[str, Any] = {"text": f"{label}: {band}{source}"}
    if record.flag == Flag.NORMAL:
        unit = record.canonical_unit or ""
        for side, edge in (("low", record.band_low), ("high", record.band_high)):
            if edge is not None:
                out[side] = {"value": edge, "unit": unit, "system": UCUM, "code": unit}
        out["type"] = RANGE_NORMAL
    return out
