"""Machine and paste-able formats, written as records stream past (constant memory).

No colour, no markup, no wrapping; the schema is documented in README ("Output records").
"""

import csv
import json
from typing import IO, Protocol

from b12check.numbers import format_number
from b12check.records import FIELDS, Record, Summary
from b12check.refdata import Reference
from b12check.render.cells import cell, note_text, result_text
from b12check.render.safe import neutralise_formula, visible
from b12check.vocab import DISCLAIMER, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED

NUMERIC_FIELDS = frozenset({"line", "age", "value", "band_low", "band_high"})


class Writer(Protocol):
    def write(self, record: Record) -> None: ...

    def close(self, summary: Summary) -> None: ...


class JsonWriter:
    """One JSON object: ``records`` (streamed item by item), ``summary``, ``disclaimer``."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.first = True
        out.write('{"records": [')

    def write(self, record: Record) -> None:
        self.out.write("\n" if self.first else ",\n")
        self.first = False
        self.out.write(json.dumps(record.as_dict(), ensure_ascii=False))

    def close(self, summary: Summary) -> None:
        self.out.write("\n],\n")
        self.out.write(f'"summary": {json.dumps(summary.as_dict(), ensure_ascii=False)},\n')
        self.out.write(f'"disclaimer": {json.dumps(DISCLAIMER, ensure_ascii=False)}}}\n')


class NdjsonWriter:
    """One record per line and nothing else."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def write(self, record: Record) -> None:
        self.out.write(json.dumps(record.as_dict(), ensure_ascii=False))
        self.out.write("\n")

    def close(self, summary: Summary) -> None:
        return None


class DelimitedWriter:
    """CSV or TSV: a header row, then one row per record; text cells are formula-safe."""

    def __init__(self, out: IO[str], delimiter: str) -> None:
        self.writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        self.writer.writerow(FIELDS)

    def write(self, record: Record) -> None:
        row = []
        for name in FIELDS:
            text = cell(getattr(record, name))
            row.append(text if name in NUMERIC_FIELDS else neutralise_formula(text))
        self.writer.writerow(row)

    def close(self, summary: Summary) -> None:
        return None


def _md(text: str) -> str:
    return visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


class MarkdownWriter:
    """A table a person can paste into a message to a clinician, then notes and the disclaimer."""

    HEADER = ("Patient", "Date", "Test", "Result", "Flag", "Reference band", "Source")

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.notes: dict[str, list[str]] = {}
        self.problems: list[str] = []
        self.skipped: list[str] = []
        self.rows = 0

    def write(self, record: Record) -> None:
        if record.status == STATUS_ERROR:
            self.problems.append(f"{record.file}:{record.line}: {record.reason}")
            return
        if record.status == STATUS_SKIPPED:
            self.skipped.append(record.label or "?")
            return
        if self.rows == 0:
            self.out.write("| " + " | ".join(self.HEADER) + " |\n")
            self.out.write("|" + "---|" * len(self.HEADER) + "\n")
        self.rows += 1
        result = result_text(record.value_text, record.unit)
        flag = record.flag or ""
        if record.band_label and record.band_label != flag.replace("_", " "):
            flag = f"{flag} ({record.band_label})"
        cells = (
            record.patient or "",
            record.date or "",
            record.label or "",
            result,
            flag,
            band_text(record),
            record.band_source or record.reason or "",
        )
        self.out.write("| " + " | ".join(_md(c) for c in cells) + " |\n")
        key = f"{record.label} ({record.flag})"
        for note in record.notes:
            self.notes.setdefault(key, [])
            line = note_text(note)
            if line not in self.notes[key]:
                self.notes[key].append(line)

    def close(self, summary: Summary) -> None:
        out = self.out
        if self.rows == 0:
            out.write("No results.\n")
        if self.notes:
            out.write("\n**Notes**\n\n")
            for key, lines in self.notes.items():
                for line in lines:
                    out.write(f"- {_md(key)}: {_md(line)}\n")
        if self.problems:
            out.write("\n**Values that could not be read**\n\n")
            for line in self.problems:
                out.write(f"- {_md(line)}\n")
        if self.skipped:
            out.write(f"\nSkipped (not covered): {_md(', '.join(sorted(set(self.skipped))))}\n")
        out.write(f"\n{summary.one_line()}\n\n*{DISCLAIMER}*\n")


def band_text(record: Record) -> str:
    """'180–350 pg/mL', '< 12 ng/mL', '> 914 pg/mL'."""
    if record.status != STATUS_RESULT or (record.band_low is None and record.band_high is None):
        return ""
    unit = record.canonical_unit or ""
    if record.band_low is None:
        return f"< {format_number(record.band_high or 0)} {unit}".strip()
    if record.band_high is None:
        return f"> {format_number(record.band_low)} {unit}".strip()
    return f"{format_number(record.band_low)}–{format_number(record.band_high)} {unit}".strip()


def make_writer(fmt: str, out: IO[str], reference: Reference | None = None) -> Writer:
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt == "csv":
        return DelimitedWriter(out, ",")
    if fmt == "tsv":
        return DelimitedWriter(out, "\t")
    if fmt == "markdown":
        return MarkdownWriter(out)
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference)
