"""Output records: one per input value, whatever happened to it.

The field names are part of the contract with scripts (README, "Output records").
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED, fails

FIELDS: Final = (
    "status",
    "file",
    "line",
    "column",
    "patient",
    "date",
    "sex",
    "age",
    "analyte",
    "label",
    "value_text",
    "unit",
    "comparator",
    "value",
    "canonical_unit",
    "flag",
    "band_label",
    "interpretation",
    "band_low",
    "band_high",
    "band_source",
    "guideline",
    "flag_by_sex",
    "lab_range",
    "lab_flag",
    "warnings",
    "notes",
    "reason",
)


class NoteRef(NamedTuple):
    text: str
    source: str
    kind: str = "finding"
    source_type: str = "reference"

    def as_dict(self) -> dict[str, str]:
        return {
            "text": self.text,
            "source": self.source,
            "kind": self.kind,
            "source_type": self.source_type,
        }


class FastLine(NamedTuple):
    """A result the scan cache rendered without building a Record (see run/rowcache.py),
    with what the summary and the pattern notes need."""

    text: str
    file: str
    flag: str
    analyte: str
    patient: str | None
    date: str | None
    value: float  # in the canonical unit (the bound, for a censored value)
    row: Any  # the source Row, kept to re-read it in full if a pattern note must be added
    comparator: str | None = None


class FastBatch(NamedTuple):
    """Consecutive records the scan cache rendered, written in one go: ``text`` holds their
    lines joined by the writer's separator, ``flags`` how many results of each flag, ``size``
    how many results in all, ``skipped`` how many skipped records; ``groups`` (for writers
    that observe results) each patient's results of one date: (patient, date, (analyte,
    flag, value, comparator) per result)."""

    text: str
    file: str
    flags: dict[str, int]
    size: int
    skipped: int = 0
    groups: Sequence[tuple[str | None, str | None, Sequence[tuple[str, str, Any, Any]]]] = ()


class Record:
    """One output record. A plain slotted class: one is built per input value."""

    __slots__ = (*FIELDS, "locator", "source_text")

    def __init__(
        self,
        status: str,
        file: str,
        line: int,
        column: str | None = None,
        patient: str | None = None,
        date: str | None = None,
        sex: str | None = None,
        age: float | None = None,
        analyte: str | None = None,
        label: str | None = None,
        value_text: str | None = None,
        unit: str | None = None,
        comparator: str | None = None,
        value: float | None = None,
        canonical_unit: str | None = None,
        flag: str | None = None,
        band_label: str | None = None,
        interpretation: str | None = None,
        band_low: float | None = None,
        band_high: float | None = None,
        band_source: str | None = None,
        guideline: str | None = None,
        flag_by_sex: dict[str, str] | None = None,
        lab_range: str | None = None,
        lab_flag: str | None = None,
        warnings: list[str] | None = None,
        notes: list[NoteRef] | None = None,
        reason: str | None = None,
        locator: str | None = None,
        source_text: str | None = None,
    ) -> None:
        self.status = status
        self.file = file
        self.line = line
        self.column = column
        self.patient = patient
        self.date = date
        self.sex = sex
        self.age = age
        self.analyte = analyte
        self.label = label
        self.value_text = value_text
        self.unit = unit
        self.comparator = comparator
        self.value = value
        self.canonical_unit = canonical_unit
        self.flag = flag
        self.band_label = band_label
        self.interpretation = interpretation
        self.band_low = band_low
        self.band_high = band_high
        self.band_source = band_source
        self.guideline = guideline
        self.flag_by_sex = flag_by_sex
        self.lab_range = lab_range
        self.lab_flag = lab_flag
        self.warnings: list[str] = [] if warnings is None else warnings
        self.notes: list[NoteRef] = [] if notes is None else notes
        self.reason = reason
        # where inside the file, for inputs without lines of their own (FHIR:
        # ``Bundle.entry[3].resource.component[0]``); None for CSV rows and typed values
        self.locator = locator
        # the text a value was read from, for inputs a person reads (a report's line)
        self.source_text = source_text

    def place(self) -> str:
        """``FILE:LINE`` where the value came from; ``FILE`` for a whole-file problem;
        ``FILE:LOCATOR`` or ``FILE:LINE:LOCATOR`` for a value found by a locator."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}:{self.locator}" if self.locator else where

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        out["notes"] = [note.as_dict() for note in self.notes]
        out["warnings"] = list(self.warnings)
        if self.locator is not None:  # (records of CSV rows keep their bytes)
            out["locator"] = self.locator
        if self.source_text is not None:
            out["source_text"] = self.source_text
        return out


class FileCount:
    __slots__ = ("records", "results", "errors", "skipped")

    def __init__(self) -> None:
        self.records = 0
        self.results = 0
        self.errors = 0
        self.skipped = 0


class Summary:
    """Counts kept while records stream past; nothing else is remembered."""

    def __init__(self, fail_on: str) -> None:
        self.fail_on = fail_on
        self.by_status: Counter[str] = Counter()
        self.by_flag: Counter[str] = Counter()
        self.files: dict[str, FileCount] = {}
        # data rows read per file, filled in by readers that know (scan); typed values: records
        self.data_rows: dict[str, int] = {}

    def _count(self, file: str) -> FileCount:
        count = self.files.get(file)
        if count is None:
            count = self.files[file] = FileCount()
        count.records += 1
        return count

    def add_result(self, file: str, flag: str) -> None:
        """Count a result that was rendered without building a Record (the scan cache)."""
        self.by_status[STATUS_RESULT] += 1
        self._count(file).results += 1
        self.by_flag[flag] += 1

    @property
    def failing(self) -> int:
        """Results flagged at or above --fail-on."""
        return sum(n for flag, n in self.by_flag.items() if fails(flag, self.fail_on))

    def add_results(self, file: str, flags: dict[str, int], count: int) -> None:
        """Count a batch of results the scan cache rendered."""
        self.by_status[STATUS_RESULT] += count
        file_count = self._count(file)
        file_count.records += count - 1  # _count added one already
        file_count.results += count
        self.by_flag.update(flags)

    def add_skipped(self, file: str, count: int) -> None:
        """Count skipped records the scan cache rendered."""
        self.by_status[STATUS_SKIPPED] += count
        file_count = self._count(file)
        file_count.records += count - 1  # _count added one already
        file_count.skipped += count

    def add(self, record: Record) -> None:
        if record.status == STATUS_RESULT:
            self.add_result(record.file, record.flag or "unclassified")
            return
        self.by_status[record.status] += 1
        count = self._count(record.file)
        if record.status == STATUS_ERROR:
            count.errors += 1
        elif record.status == STATUS_SKIPPED:
            count.skipped += 1

    def note_file(self, name: str) -> None:
        """Make a file appear in the summary even when it held no data rows."""
        self.files.setdefault(name, FileCount())

    @property
    def errors(self) -> int:
        return self.by_status[STATUS_ERROR]

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": sum(self.by_status.values()),
            "results": self.by_status[STATUS_RESULT],
            "errors": self.by_status[STATUS_ERROR],
            "skipped": self.by_status[STATUS_SKIPPED],
            "by_flag": dict(sorted(self.by_flag.items())),
            "files": {
                name: {
                    "rows": self.data_rows.get(name, c.records),
                    "records": c.records,
                    "results": c.results,
                    "errors": c.errors,
                    "skipped": c.skipped,
                }
                for name, c in self.files.items()
            },
            "fail_on": self.fail_on,
            "flagged_at_or_above_fail_on": self.failing,
        }

    def per_file_lines(self) -> list[tuple[str, str]]:
        """For each file read: its data rows and what they became."""
        lines = []
        for name, count in self.files.items():
            rows = self.data_rows.get(name, count.records)
            lines.append(
                (
                    name,
                    f"{rows} data rows → {count.results} results, {count.errors} errors, "
                    f"{count.skipped} skipped",
                )
            )
        return lines

    def one_line(self) -> str:
        parts = [
            f"{self.by_status[STATUS_RESULT]} results",
            f"{self.by_status[STATUS_ERROR]} errors",
            f"{self.by_status[STATUS_SKIPPED]} skipped",
        ]
        flags = ", ".join(f"{count} {flag}" for flag, count in sorted(self.by_flag.items()))
        text = ", ".join(parts)
        return f"{text} ({flags})" if flags else text
