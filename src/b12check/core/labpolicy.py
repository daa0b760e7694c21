"""The lab's own reference range and flag against the built-in band (``--lab-ranges``).

``show``: a note where the lab's range (else its flag) reads the value differently from the
built-in band. ``prefer``: the lab's range decides low / normal / high; where the two agree the
built-in band keeps its finer flag. ``ignore``: nothing. Applied by ``evaluate`` to every result,
whatever reader it came from.
"""

from b12check.core.analyte import Analyte
from b12check.core.labrange import LabRange, parse_lab_range
from b12check.core.note_choice import notes_for
from b12check.core.numbers import parse_value
from b12check.core.records import NoteRef, Record
from b12check.core.refdata import Reference
from b12check.core.reference import CACHE_LIMIT
from b12check.core.separators import Style
from b12check.core.vocab import (
    LAB_FLAG_READINGS,
    STATUS_RESULT,
    Flag,
    LabRangePolicy,
    NoteKind,
    NotesMode,
)

LAB_SOURCE = "the lab's report"
_POSITION_READING = {"below": Flag.LOW, "within": Flag.NORMAL, "above": Flag.HIGH}


Given = tuple[float, float]  # the number as written, and its unit's factor to the canonical


def apply_lab_policy(
    record: Record,
    policy: LabRangePolicy,
    reference: Reference,
    notes: NotesMode,
    given: Given | None = None,
) -> None:
    """Apply ``policy`` to a result record (records of other statuses are left alone).
    ``given``: the value as written and its unit's factor (else read from the record)."""
    if record.status != STATUS_RESULT or policy is LabRangePolicy.IGNORE:
        return
    lab_range, number = usable_range(record, reference, given)
    if policy is LabRangePolicy.PREFER:
        prefer_lab_range(record, reference, notes, lab_range, number)
    elif notes is not NotesMode.NONE:
        compare_with_lab(record, lab_range, number)


def usable_range(
    record: Record, reference: Reference, given: Given | None
) -> tuple[LabRange | None, float | None]:
    """The lab's range in the unit the value was written in (None when there is none, or it
    cannot be used: the record's warnings say why), and the value as written."""
    analyte = reference.analytes.get(record.analyte or "")
    if given is None:
        number = number_as_given(record)
        found = reference.unit_factor(analyte, record.unit) if analyte and record.unit else None
        factor = record.value / number if number and record.value is not None else 1.0
        factor = found[1] if found is not None else factor
    else:
        number, factor = given
    text = record.lab_range or ""
    if analyte is None or not text.strip():
        return parse_lab_range(text), number
    shown_unit = (record.unit or "").strip() or analyte.canonical_unit
    key = (text, analyte.id, factor, shown_unit)
    known = reference.lab_fits.get(key)
    if known is None:
        known = _fit(text, analyte, reference, factor, shown_unit)
        if len(reference.lab_fits) < CACHE_LIMIT:
            reference.lab_fits[key] = known
    fitted, why = known
    if why is not None:
        record.warnings.append(why)
    return fitted, number


def _fit(
    text: str, analyte: Analyte, reference: Reference, factor: float, unit: str
) -> tuple[LabRange | None, str | None]:
    from b12check.core.labfit import fit_range

    lab_range = parse_lab_range(text)
    if lab_range is None:
        return None, None
    return fit_range(lab_range, analyte, reference, factor, unit)


def reading(flag: str) -> Flag:
    """A flag as the coarse reading a lab gives: low, normal or high."""
    try:
        return Flag(flag).reading or Flag.NORMAL
    except ValueError:
        return Flag.NORMAL


def prefer_lab_range(
    record: Record,
    reference: Reference,
    notes: NotesMode,
    lab_range: LabRange | None,
    number: float | None,
) -> None:
    """The record's own lab range (in the value's unit) decides low / normal / high where it
    reads the value differently from the built-in band (or that band could not flag it)."""
    if lab_range is None or record.comparator or number is None or record.value is None:
        # (a flag note even under --notes none: as scan has always written it)
        compare_with_lab(record, lab_range, number)
        return
    theirs = _POSITION_READING[lab_range.position(number)]
    flag = record.flag or ""
    if flag != Flag.UNCLASSIFIED and theirs == reading(flag):
        return
    _take_lab_band(record, lab_range, theirs, record.value / number if number else 1.0)
    lab_band = (record.band_low, record.band_high)  # only notes that fit the lab's band
    record.notes = notes_for(reference, record.analyte or "", theirs.value, notes, lab_band)
    if notes is not NotesMode.NONE:
        built_in = flag.replace("_", " ")
        record.notes.append(
            _lab_note(
                f"Read against the lab's own range ({lab_range}) as asked; the built-in "
                f"band would say {built_in}."
            )
        )


def _take_lab_band(record: Record, lab_range: LabRange, flag: Flag, factor: float) -> None:
    """The lab's range as the record's band, its edges in the canonical unit."""
    record.flag = flag.value
    record.interpretation = flag.interpretation
    record.band_label = f"{flag} by the lab's range"
    record.band_low = None if lab_range.low is None else round(lab_range.low * factor, 6)
    record.band_high = None if lab_range.high is None else round(lab_range.high * factor, 6)
    record.band_source = f"the lab's reference range ({lab_range})"
    record.reason = None
    record.flag_by_sex = None


def compare_with_lab(record: Record, lab_range: LabRange | None, number: float | None) -> None:
    """A note when the lab's own range (in the value's unit), or failing that its flag, reads
    the value differently from the built-in band."""
    flag = record.flag or ""
    if flag == Flag.UNCLASSIFIED:
        return
    ours = reading(flag)
    if lab_range is not None and not record.comparator:
        if number is not None:
            theirs = _POSITION_READING[lab_range.position(number)]
            if theirs != ours:
                record.notes.append(
                    _lab_note(
                        f"The lab's own range ({lab_range}) reads this value as {theirs}; "
                        f"the built-in band says {flag.replace('_', ' ')}. Ranges differ "
                        "between labs and guidelines: ask which applies to you."
                    )
                )
                return
    lab_flag = (record.lab_flag or "").strip().casefold()
    lab_reads = LAB_FLAG_READINGS.get(lab_flag)
    if lab_reads is not None and lab_reads != ours:
        record.notes.append(
            _lab_note(
                f"The lab flagged this value {record.lab_flag!r} ({lab_reads}); the "
                f"built-in band says {flag.replace('_', ' ')}."
            )
        )


def _lab_note(text: str) -> NoteRef:
    return NoteRef(text, LAB_SOURCE, NoteKind.LAB_DISAGREEMENT.value, "lab")


def number_as_given(record: Record) -> float | None:
    """The record's number in the unit it was given in (the lab's range is in that unit)."""
    try:
        # (any single mark as a decimal one, as this has always read them)
        return parse_value(record.value_text or "", style=Style(thousands="none")).number
    except ValueError:
        return None
