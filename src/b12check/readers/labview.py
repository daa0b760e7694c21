"""The lab's own range and flag beside the built-in band (``--lab-ranges show|prefer``).

Applied to a result record after ``evaluate``: ``show`` adds a note where the lab reads the
value differently; ``prefer`` lets the row's own range decide low / normal / high.
"""

from b12check.core.evaluate import notes_for
from b12check.core.labrange import parse_lab_range
from b12check.core.numbers import parse_value
from b12check.core.records import NoteRef, Record
from b12check.core.refdata import Reference

LOW_FLAGS = frozenset({"critical_low", "deficient", "low", "borderline"})
HIGH_FLAGS = frozenset({"high", "critical_high"})
LAB_LOW = frozenset({"l", "ll", "low", "cl", "(l)", "↓", "critical low"})
LAB_HIGH = frozenset({"h", "hh", "high", "ch", "(h)", "↑", "critical high"})


def prefer_lab_range(record: Record, reference: Reference, notes: str) -> None:
    """--lab-ranges prefer: the row's own range decides low / normal / high; the built-in
    band keeps its finer flag where the two agree (and where the lab gives no range)."""
    lab_range = parse_lab_range(record.lab_range or "")
    number = _number_in_given_unit(record)
    if lab_range is None or record.comparator or number is None or record.value is None:
        compare_with_lab(record)
        return
    theirs = _lab_reading(lab_range.position(number))
    flag = record.flag or ""
    ours = _reading(flag)
    if flag != "unclassified" and theirs == ours:
        return
    factor = record.value / number if number else 1.0
    record.flag = theirs
    record.interpretation = {"low": "L", "normal": "N", "high": "H"}[theirs]
    record.band_label = f"{theirs} by the lab's range"
    record.band_low = None if lab_range.low is None else round(lab_range.low * factor, 6)
    record.band_high = None if lab_range.high is None else round(lab_range.high * factor, 6)
    record.band_source = f"the lab's reference range ({lab_range})"
    record.reason = None
    record.flag_by_sex = None
    record.notes = notes_for(reference, record.analyte or "", theirs, notes)
    if notes != "none":
        built_in = flag.replace("_", " ")
        record.notes.append(
            NoteRef(
                f"Read against the lab's own range ({lab_range}) as asked; the built-in "
                f"band would say {built_in}.",
                "the lab's report",
                "lab_disagreement",
                "lab",
            )
        )


def compare_with_lab(record: Record) -> None:
    """Say so in a note when the lab's own range or flag reads the value differently."""
    flag = record.flag or ""
    ours = _reading(flag)
    if flag == "unclassified":
        return
    lab_range = parse_lab_range(record.lab_range or "")
    if lab_range is not None and not record.comparator:
        number = _number_in_given_unit(record)
        if number is not None:
            position = lab_range.position(number)
            theirs = _lab_reading(position)
            if theirs != ours:
                record.notes.append(
                    NoteRef(
                        f"The lab's own range ({lab_range}) reads this value as {theirs}; "
                        f"the built-in band says {flag.replace('_', ' ')}. Ranges differ "
                        "between labs and guidelines: ask which applies to you.",
                        "the lab's report",
                        "lab_disagreement",
                        "lab",
                    )
                )
                return
    lab_flag = (record.lab_flag or "").strip().casefold()
    if lab_flag:
        lab_reads = "low" if lab_flag in LAB_LOW else "high" if lab_flag in LAB_HIGH else None
        if lab_flag in ("n", "normal"):
            lab_reads = "normal"
        if lab_reads is not None and lab_reads != ours:
            record.notes.append(
                NoteRef(
                    f"The lab flagged this value {record.lab_flag!r} ({lab_reads}); the "
                    f"built-in band says {flag.replace('_', ' ')}.",
                    "the lab's report",
                    "lab_disagreement",
                    "lab",
                )
            )


def _reading(flag: str) -> str:
    """A flag as the lab's coarse reading: 'low', 'normal' or 'high'."""
    return "low" if flag in LOW_FLAGS else "high" if flag in HIGH_FLAGS else "normal"


def _lab_reading(position: str) -> str:
    """Where a value sits in the lab's range ('below', 'within', 'above') as a reading."""
    return {"below": "low", "above": "high"}.get(position, "normal")


def _number_in_given_unit(record: Record) -> float | None:
    try:
        return parse_value(record.value_text or "", decimal_comma=True).number
    except ValueError:
        return None
