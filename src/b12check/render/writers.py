"""Machine and paste-able formats, written as records stream past (constant memory).

No colour, no markup, no wrapping; the schema is documented in README ("Output records").
"""

import csv
import io
import json
import re
from collections.abc import Sequence
from operator import attrgetter
from typing import IO, Any, Final, Protocol

from b12check.lazyre import LazyPattern
from b12check.numbers import format_number
from b12check.records import FIELDS, FastLine, Record, Summary
from b12check.refdata import Reference
from b12check.render.cells import cell, escape_undecodable, note_text, result_text
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
# Inside JSON text: characters that line-splitting readers take for line ends (NEL, U+2028,
# U+2029) and lone surrogates (bytes that were not UTF-8), which json.dumps leaves raw.
_JSON_UNSAFE: Final = LazyPattern(r"[\u0085\u2028\u2029\ud800-\udfff]")


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in "\u0085\u2028\u2029":
        return f"\\u{ord(char):04x}"
    return json.dumps(escape_undecodable(char))[1:-1]  # "\\xFF" inside the JSON string


def json_safe(text: str) -> str:
    """JSON text with line separators escaped and undecodable bytes written as ``\\xFF``,
    so that it is valid UTF-8 and one line stays one line for every reader."""
    if text.isascii() or _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(_json_escape, text)


def json_text(value: Any) -> str:
    """``value`` as one line of JSON: no NaN or Infinity (they raise), nothing unsafe raw."""
    return json_safe(json.dumps(value, ensure_ascii=False, allow_nan=False))


class JsonLinesBase:
    """Shared by json and ndjson: a record is one JSON object on one line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._texts: dict[str, str] = {}

    def render(self, record: Record) -> str:
        return json_text(record.as_dict())

    def placeholder(self, token: str) -> str:
        return json.dumps(token)

    def text(self, value: str | None) -> str:
        if value is None:
            return "null"
        if value.isalnum():
            return f'"{value}"'  # nothing to escape
        rendered = self._texts.get(value)
        if rendered is None:
            rendered = json_text(value)
            if len(self._texts) < CACHE_LIMIT:
                self._texts[value] = rendered
        return rendered

    def plain(self, value: str) -> str:
        return f'"{value}"'

    def number(self, value: float) -> str:
        text = repr(value)
        if text[-1] in "fn":  # 'inf', 'nan': never written as a JSON number
            raise ValueError(f"{text} is not a number JSON can hold")
        return text


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
        self.out.write(f'"summary": {json_text(summary.as_dict())},\n')
        # the series one at a time: up to 50,000 of them would be a large list to build
        self.out.write('"trends": {"series": [')
        for number, series in enumerate(self.trends.items()):
            self.out.write(", " if number else "")
            self.out.write(json_text(series))
        self.out.write(f'], "truncated": {json.dumps(self.trends.truncated)}}},\n')
        self.out.write(f'"disclaimer": {json_text(DISCLAIMER)}}}\n')


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
    """CSV or TSV: a header row, then one row per record; text cells are formula-safe.

    Subclasses say how a text cell is made safe (``text_cell``), how a row is joined
    (``join``) and which texts need neither (``plain_text``)."""

    plain_text: re.Pattern[str]

    def __init__(self, out: IO[str], header: Sequence[str] = FIELDS) -> None:
        self.out = out
        self._texts: dict[str, str] = {}
        out.write(self.join(header) + "\n")

    def text_cell(self, text: str) -> str:
        raise NotImplementedError

    def join(self, cells: Sequence[str]) -> str:
        """One row as one line, without its line end."""
        raise NotImplementedError

    def _row(self, record: Record) -> list[str]:
        row = []
        text_cell = self.text_cell
        for value, numeric in zip(_FIELD_VALUES(record), _NUMERIC, strict=True):
            if value is None:
                row.append("")
            else:
                text = value if type(value) is str else cell(value)
                row.append(text if numeric else text_cell(text))
        return row

    def write(self, record: Record) -> None:
        self.out.write(self.join(self._row(record)) + "\n")

    def write_cells(self, values: Sequence[Any]) -> None:
        """One row of other values than a record's (``check --compare``), all as text cells."""
        self.out.write(self.join([self.text_cell(cell(value)) for value in values]) + "\n")

    def render(self, record: Record) -> str:
        return self.join(self._row(record))

    def write_rendered(self, text: str) -> None:
        self.out.write(text)  # (not text + "\n": a batch is too long to copy)
        self.out.write("\n")

    def placeholder(self, token: str) -> str:
        return token

    def text(self, value: str | None) -> str:
        if not value:
            return ""
        if value.isalnum() or (
            value[0] not in _FORMULA_LEADERS and self.plain_text.fullmatch(value)
        ):
            return value  # nothing to quote, escape or neutralise
        rendered = self._texts.get(value)
        if rendered is None:
            rendered = self.join((self.text_cell(value),))
            if len(self._texts) < CACHE_LIMIT:
                self._texts[value] = rendered
        return rendered

    def plain(self, value: str) -> str:
        return value

    def number(self, value: float) -> str:
        return format_number(value)

    def close(self, summary: Summary) -> None:
        return None


class CsvWriter(DelimitedWriter):
    """RFC 4180 CSV: cells with a comma, quote or line break are quoted."""

    plain_text = re.compile(r'[^,"\r\n\ud800-\udfff]*')

    def __init__(self, out: IO[str], header: Sequence[str] = FIELDS) -> None:
        self._buffer = io.StringIO()
        self._buffer_writer = csv.writer(self._buffer, lineterminator="\n")
        self._writer = csv.writer(out, lineterminator="\n")
        super().__init__(out, header)

    def text_cell(self, text: str) -> str:
        return safe_text_cell(escape_undecodable(text))

    def join(self, cells: Sequence[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._buffer_writer.writerow(cells)
        return self._buffer.getvalue()[:-1]

    def write(self, record: Record) -> None:
        self._writer.writerow(self._row(record))


class TsvWriter(DelimitedWriter):
    """TSV as plain readers split it: one line per record, cells split at tabs, no quoting;
    a tab, line feed, carriage return or backslash inside a cell is written ``\\t``, ``\\n``,
    ``\\r``, ``\\\\``."""

    plain_text = re.compile(r"[^\t\r\n\\\ud800-\udfff]*")

    def text_cell(self, text: str) -> str:
        return tsv_text_cell(text)

    def join(self, cells: Sequence[str]) -> str:
        return "\t".join(cells)


LINE_FORMATS = (JsonWriter, NdjsonWriter, DelimitedWriter)


def safe_text_cell(text: str) -> str:
    """A text cell for CSV: line breaks inside it written as \\n (a lone CR would end
    the row for most readers, and csv does not quote it), formula leaders neutralised."""
    if not text or (text[0] not in _FORMULA_LEADERS and "\n" not in text and "\r" not in text):
        return text  # one line that starts with no formula leader: nothing to do
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise_formula(text)


_TSV_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def tsv_text_cell(text: str) -> str:
    """A text cell for TSV: formula leaders neutralised (on each line of the cell), then
    backslash, tab and line breaks written as two-character escapes."""
    if not text:
        return text
    text = escape_undecodable(text)
    if text[0] in _FORMULA_LEADERS or "\n" in text or "\r" in text:
        text = neutralise_formula(text)
    return text.translate(_TSV_ESCAPES)


# What Markdown (CommonMark and GitHub's extensions) could read as markup in text from input:
# emphasis, code, links and images (every one needs a '['), raw HTML and <autolinks> (need a
# '<'), entities ('&'), table cells ('|'), and the bare URLs GitHub links by itself ('http://',
# 'www.'). Each gets a backslash, which renders as nothing; '(' and ')' only make a link
# right after a ']', so they stay as they are and the text stays readable.
_MD_SPECIAL: Final = LazyPattern(r"[\\`*_\[\]<>|~#&!]|(?<=[A-Za-z]):(?=//)|(?<=[Ww]{3})\.")


def markdown_text(text: str) -> str:
    """A cell or line of Markdown output that shows ``text`` literally."""
    shown = visible(escape_undecodable(text))
    if shown.isalnum():
        return shown
    return _MD_SPECIAL.sub(r"\\\g<0>", shown)


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
            self.problems.append(f"{record.place()}: {record.reason}")
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
        self.out.write("| " + " | ".join(markdown_text(c) for c in cells) + " |\n")
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
                    out.write(f"- {markdown_text(key)}: {markdown_text(line)}\n")
        if self.problems:
            out.write("\n**Values that could not be read**\n\n")
            for line in self.problems:
                out.write(f"- {markdown_text(line)}\n")
        if self.skipped:
            out.write(
                f"\nSkipped (not covered): {markdown_text(', '.join(sorted(set(self.skipped))))}\n"
            )
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


def make_delimited(fmt: str, out: IO[str], header: Sequence[str] = FIELDS) -> DelimitedWriter:
    """The CSV or TSV writer, with its header row written."""
    return TsvWriter(out, header) if fmt == "tsv" else CsvWriter(out, header)


def make_writer(
    fmt: str, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
) -> Writer:
    """The writer for ``fmt``; ``only_flagged`` hides normal results in the human formats."""
    if fmt == "json":
        return JsonWriter(out, reference)
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt in ("csv", "tsv"):
        return make_delimited(fmt, out)
    if fmt == "markdown":
        return MarkdownWriter(out, only_flagged=only_flagged)
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference, only_flagged=only_flagged)
