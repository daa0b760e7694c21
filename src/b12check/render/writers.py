"""Machine and paste-able formats, written as records stream past (constant memory).

No colour, no markup, no wrapping; the schema is documented in README ("Output records").
"""

import csv
import io
import json
import re
from operator import attrgetter
from typing import IO, Protocol

from b12check.numbers import format_number
from b12check.records import FIELDS, FastLine, Record, Summary
from b12check.refdata import Reference
from b12check.render.cells import cell, note_text, result_text
from b12check.render.safe import neutralise_formula, visible
from b12check.trends import Trends
from b12check.vocab import DISCLAIMER, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED

NUMERIC_FIELDS = frozenset({"line", "age", "value", "band_low", "band_high"})
_FIELD_VALUES = attrgetter(*FIELDS)  # a record's fields in output order, in one call
_NUMERIC = tuple(name in NUMERIC_FIELDS for name in FIELDS)


class Writer(Protocol):
    def write(self, record: Record) -> None: ...

    def observe(self, line: FastLine) -> None:
        """See a result the fast lane rendered (for writers that keep something per result)."""
        return None

    def write_rendered(self, text: str) -> None:
        """Write a record the scan fast lane rendered (only line formats are given any)."""
        raise TypeError(f"{type(self).__name__} takes records only, not rendered lines")

    def close(self, summary: Summary) -> None: ...


class LineFormat(Protocol):
    """A format whose records are independent pieces of text (csv, tsv, ndjson, json).

    The scan fast lane renders real records with placeholders in some fields, keeps the text
    around them, and fills in each later row's own cells with these same cell renderers, so its
    output is the same text the full path writes (scan/fastlane.py).
    """

    def render(self, record: Record) -> str: ...

    def write_rendered(self, text: str) -> None: ...

    def placeholder(self, token: str) -> str: ...

    def text(self, value: str | None) -> str: ...

    def plain(self, value: str) -> str: ...

    def number(self, value: float) -> str: ...


CACHE_LIMIT = 4096
_FORMULA_LEADERS = frozenset("=+-@\t\r \u00a0")


class JsonLinesBase:
    """Shared by json and ndjson: a record is one JSON object on one line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._texts: dict[str, str] = {}

    def render(self, record: Record) -> str:
        return json.dumps(record.as_dict(), ensure_ascii=False)

    def placeholder(self, token: str) -> str:
        return json.dumps(token)

    def text(self, value: str | None) -> str:
        if value is None:
            return "null"
        if value.isalnum():
            return f'"{value}"'  # nothing to escape
        rendered = self._texts.get(value)
        if rendered is None:
            rendered = json.dumps(value, ensure_ascii=False)
            if len(self._texts) < CACHE_LIMIT:
                self._texts[value] = rendered
        return rendered

    def plain(self, value: str) -> str:
        return f'"{value}"'

    def number(self, value: float) -> str:
        return repr(value)


class JsonWriter(JsonLinesBase, Writer):
    """One JSON object: ``records`` (streamed item by item), ``summary``, ``trends`` (first
    and last value of each test measured on several dates per patient), ``disclaimer``."""

    def __init__(self, out: IO[str], reference: Reference | None = None) -> None:
        super().__init__(out)
        self.first = True
        self.trends = Trends()
        self.units = (
            {a.id: a.canonical_unit for a in reference.analytes.values()} if reference else {}
        )
        out.write('{"records": [')

    def write(self, record: Record) -> None:
        if record.status == STATUS_RESULT and not record.comparator:
            self.trends.add(
                record.patient,
                record.analyte,
                record.date,
                record.value,
                record.flag,
                record.canonical_unit or "",
            )
        self.write_rendered(self.render(record))

    def observe(self, line: FastLine) -> None:
        if line.comparator:  # as in write(): trends leave censored values out
            return
        unit = self.units.get(line.analyte, "")
        self.trends.add(line.patient, line.analyte, line.date, line.value, line.flag, unit)

    def write_rendered(self, text: str) -> None:
        self.out.write("\n" if self.first else ",\n")
        self.first = False
        self.out.write(text)

    def close(self, summary: Summary) -> None:
        self.out.write("\n],\n")
        self.out.write(f'"summary": {json.dumps(summary.as_dict(), ensure_ascii=False)},\n')
        # the series one at a time: up to 50,000 of them would be a large list to build
        self.out.write('"trends": {"series": [')
        for number, series in enumerate(self.trends.items()):
            self.out.write(", " if number else "")
            self.out.write(json.dumps(series, ensure_ascii=False))
        self.out.write(f'], "truncated": {json.dumps(self.trends.truncated)}}},\n')
        self.out.write(f'"disclaimer": {json.dumps(DISCLAIMER, ensure_ascii=False)}}}\n')


class NdjsonWriter(JsonLinesBase, Writer):
    """One record per line and nothing else."""

    def write(self, record: Record) -> None:
        self.out.write(self.render(record) + "\n")

    def write_rendered(self, text: str) -> None:
        self.out.write(text)  # (not text + "\n": a batch is too long to copy)
        self.out.write("\n")

    def close(self, summary: Summary) -> None:
        return None


class DelimitedWriter(Writer):
    """CSV or TSV: a header row, then one row per record; text cells are formula-safe."""

    def __init__(self, out: IO[str], delimiter: str) -> None:
        self.out = out
        self.writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        self.writer.writerow(FIELDS)
        self._buffer = io.StringIO()
        self._buffer_writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator="\n")
        self._texts: dict[str, str] = {}
        self._plain = re.compile(f'[^{re.escape(delimiter)}"\\r\\n]*')

    def _row(self, record: Record) -> list[str]:
        row = []
        for value, numeric in zip(_FIELD_VALUES(record), _NUMERIC, strict=True):
            if value is None:
                row.append("")
            else:
                text = value if type(value) is str else cell(value)
                row.append(text if numeric else safe_text_cell(text))
        return row

    def write(self, record: Record) -> None:
        self.writer.writerow(self._row(record))

    def _render_row(self, row: list[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._buffer_writer.writerow(row)
        return self._buffer.getvalue()

    def render(self, record: Record) -> str:
        return self._render_row(self._row(record))[:-1]

    def write_rendered(self, text: str) -> None:
        self.out.write(text)  # (not text + "\n": a batch is too long to copy)
        self.out.write("\n")

    def placeholder(self, token: str) -> str:
        return token

    def text(self, value: str | None) -> str:
        if not value:
            return ""
        if value.isalnum() or (value[0] not in _FORMULA_LEADERS and self._plain.fullmatch(value)):
            return value  # nothing to quote or neutralise
        rendered = self._texts.get(value)
        if rendered is None:
            rendered = self._render_row([safe_text_cell(value), ""])[:-2]
            if len(self._texts) < CACHE_LIMIT:
                self._texts[value] = rendered
        return rendered

    def plain(self, value: str) -> str:
        return value

    def number(self, value: float) -> str:
        return format_number(value)

    def close(self, summary: Summary) -> None:
        return None


LINE_FORMATS = (JsonWriter, NdjsonWriter, DelimitedWriter)


def safe_text_cell(text: str) -> str:
    """A text cell for CSV/TSV: line breaks inside it written as \\n (a lone CR would end
    the row for most readers, and csv does not quote it), formula leaders neutralised."""
    if not text or (text[0] not in _FORMULA_LEADERS and "\n" not in text and "\r" not in text):
        return text  # one line that starts with no formula leader: nothing to do
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise_formula(text)


def _md(text: str) -> str:
    return visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


class MarkdownWriter(Writer):
    """A table a person can paste into a message to a clinician, then notes and the disclaimer."""

    HEADER = ("Patient", "Date", "Test", "Result", "Flag", "Reference band", "Source")

    def __init__(self, out: IO[str], *, only_flagged: bool = False) -> None:
        self.out = out
        self.only_flagged = only_flagged
        self.hidden_normal = 0
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
        if self.only_flagged and record.flag == "normal":
            self.hidden_normal += 1
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
        if self.hidden_normal:
            out.write(f"\n{self.hidden_normal} normal results not shown (--only-flagged).\n")
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


def make_writer(
    fmt: str, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
) -> Writer:
    """The writer for ``fmt``; ``only_flagged`` hides normal results in the human formats."""
    if fmt == "json":
        return JsonWriter(out, reference)
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt == "csv":
        return DelimitedWriter(out, ",")
    if fmt == "tsv":
        return DelimitedWriter(out, "\t")
    if fmt == "markdown":
        return MarkdownWriter(out, only_flagged=only_flagged)
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference, only_flagged=only_flagged)
