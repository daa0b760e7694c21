"""Output records: one per input value, whatever happened to it.

The field names are part of the contract with scripts (README, "Output records").
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from b12check.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED, fails

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
    "flag_by_sex",
    "lab_range",
    "lab_flag",
    "warnings",
    "notes",
    "reason",
)


@dataclass(slots=True)
class NoteRef:
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


@dataclass(slots=True)
class Record:
    status: str
    file: str
    line: int
    column: str | None = None
    patient: str | None = None
    date: str | None = None
    sex: str | None = None
    age: float | None = None
    analyte: str | None = None
    label: str | None = None
    value_text: str | None = None
    unit: str | None = None
    comparator: str | None = None
    value: float | None = None
    canonical_unit: str | None = None
    flag: str | None = None
    band_label: str | None = None
    interpretation: str | None = None
    band_low: float | None = None
    band_high: float | None = None
    band_source: str | None = None
    flag_by_sex: dict[str, str] | None = None
    lab_range: str | None = None
    lab_flag: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[NoteRef] = field(default_factory=list)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        out["notes"] = [note.as_dict() for note in self.notes]
        out["warnings"] = list(self.warnings)
        return out


@dataclass(slots=True)
class FileCount:
    rows: int = 0
    results: int = 0
    errors: int = 0
    skipped: int = 0


class Summary:
    """Counts kept while records stream past; nothing else is remembered."""

    def __init__(self, fail_on: str) -> None:
        self.fail_on = fail_on
        self.by_status: Counter[str] = Counter()
        self.by_flag: Counter[str] = Counter()
        self.files: dict[str, FileCount] = {}
        self.failing = 0
        self.skipped_tests: Counter[str] = Counter()

    def add(self, record: Record) -> None:
        self.by_status[record.status] += 1
        count = self.files.get(record.file)
        if count is None:
            count = self.files[record.file] = FileCount()
        count.rows += 1
        if record.status == STATUS_RESULT:
            count.results += 1
            flag = record.flag or "unclassified"
            self.by_flag[flag] += 1
            if fails(flag, self.fail_on):
                self.failing += 1
        elif record.status == STATUS_ERROR:
            count.errors += 1
        elif record.status == STATUS_SKIPPED:
            count.skipped += 1
            self.skipped_tests[record.label or "?"] += 1

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
                    "rows": c.rows,
                    "results": c.results,
                    "errors": c.errors,
                    "skipped": c.skipped,
                }
                for name, c in self.files.items()
            },
            "fail_on": self.fail_on,
            "flagged_at_or_above_fail_on": self.failing,
        }

    def one_line(self) -> str:
        parts = [
            f"{self.by_status[STATUS_RESULT]} results",
            f"{self.by_status[STATUS_ERROR]} errors",
            f"{self.by_status[STATUS_SKIPPED]} skipped",
        ]
        flags = ", ".join(f"{count} {flag}" for flag, count in sorted(self.by_flag.items()))
        text = ", ".join(parts)
        return f"{text} ({flags})" if flags else text
