"""``--format csv`` (RFC 4180 quoting) and ``--format tsv`` (the TSV escapes ``\\t \\n \\r \\\\``).

Text cells a spreadsheet would run as a formula get a leading apostrophe; numbers stay numbers.
"""

import csv
import io
from collections.abc import Sequence
from operator import attrgetter
from typing import IO, Any, Final

from b12check.core.lazyre import LazyPattern
from b12check.core.numbers import format_number
from b12check.core.records import FIELDS, Record, Summary
from b12check.render.base import CACHE_LIMIT, FORMULA_LEADERS, Writer
from b12check.render.cells import cell, escape_undecodable
from b12check.render.safe import neutralise_formula

NUMERIC_FIELDS = frozenset({"line", "age", "value", "band_low", "band_high"})
_FIELD_VALUES = attrgetter(*FIELDS)  # a record's fields in output order, in one call
_NUMERIC = tuple(name in NUMERIC_FIELDS for name in FIELDS)
_COLUMN = FIELDS.index("column")


class DelimitedWriter(Writer):
    """CSV or TSV: a header row, then one row per record; text cells are formula-safe.

    Subclasses say how a text cell is made safe (``text_cell``), how a row is joined
    (``join``) and which texts need neither (``plain_text``)."""

    line_format = True

    plain_text: LazyPattern

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
        values = _FIELD_VALUES(record)
        if record.locator is not None:  # the header is fixed: a locator goes in "column"
            where = record.locator
            if record.source_text is not None:  # a report's line: shown after its place
                where = f"{where}: {record.source_text}"
            values = (*values[:_COLUMN], where, *values[_COLUMN + 1 :])
        for value, numeric in zip(values, _NUMERIC, strict=True):
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

    def cells(self, record: Record) -> list[str]:
        """The record's cells as text, before they are joined into a line."""
        return self._row(record)

    def write_rendered(self, text: str) -> None:
        self.out.write(text)  # (not text + "\n": a batch is too long to copy)
        self.out.write("\n")

    def placeholder(self, token: str) -> str:
        return token

    def text(self, value: str | None) -> str:
        if not value:
            return ""
        if value.isalnum() or (
            value[0] not in FORMULA_LEADERS and self.plain_text.fullmatch(value)
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

    plain_text = LazyPattern(r'[^,"\r\n\ud800-\udfff]*')

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

    plain_text = LazyPattern(r"[^\t\r\n\\\ud800-\udfff]*")

    def text_cell(self, text: str) -> str:
        return tsv_text_cell(text)

    def join(self, cells: Sequence[str]) -> str:
        return "\t".join(cells)


def safe_text_cell(text: str) -> str:
    """A text cell for CSV: line breaks inside it written as \\n (a lone CR would end
    the row for most readers, and csv does not quote it), formula leaders neutralised."""
    if not text or (text[0] not in FORMULA_LEADERS and "\n" not in text and "\r" not in text):
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
    if text[0] in FORMULA_LEADERS or "\n" in text or "\r" in text:
        text = neutralise_formula(text)
    return text.translate(_TSV_ESCAPES)


# What Markdown (CommonMark and GitHub's extensions) could read as markup in text from input:
# emphasis, code, links and images (every one needs a '['), raw HTML and <autolinks> (need a
# '<'), entities ('&'), table cells ('|'), and the bare URLs GitHub links by itself ('http://',
# 'www.'). Each gets a backslash, which renders as nothing; '(' and ')' only make a link
# right after a ']', so they stay as they are and the text stays readable.
def make_delimited(fmt: str, out: IO[str], header: Sequence[str] = FIELDS) -> DelimitedWriter:
    """The CSV or TSV writer, with its header row written."""
    return TsvWriter(out, header) if fmt == "tsv" else CsvWriter(out, header)
