"""Report text: telling it from CSV by its first chunk, and reading it line by line.

Text is a report, not CSV, only when its delimiter was guessed (no ``--delimiter``, no
``sep=`` line) and one of these holds for its first lines:

* a Markdown or grid table: a ruling such as ``|---|---|`` among ``| … |`` rows, or
  ``+----+----+``;
* half of them or more are ``Name: number`` pairs with at most two delimiters;
* the first line with two tab-separated cells holds a number (no header row: a table
  copied from a portal page);
* no line has two cells under the delimiter, or more lines are aligned by spaces than
  delimited. A line is aligned when it has runs of spaces between words (outside quotes,
  not padding a delimiter) or tabs (when tab is not the delimiter), at least as many as
  delimiters: ``Iron, serum    80    ug/dL``.

A form feed (``pdftotext`` writes one between pages) starts a new page.
"""

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from b12check.core.lazyre import LazyPattern
from b12check.readers.row import Row
from b12check.readers.sniff import SNIFF_RECORDS, records
from b12check.readers.text_stream import Stop, TextStream

SAMPLE_LINES = 60  # first non-blank lines looked at
_TABLE_RULE = LazyPattern(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*")
_GRID_RULE = LazyPattern(r"\s*\+(?:[-=:]{3,}\+){2,}\s*")
_LINE_END = LazyPattern(r"\r\n|\r|\n")
_ALIGNED = LazyPattern(r"(?<=\S) {2,}(?=\S)")  # a gap inside a cell: columns aligned by spaces
_TAB_GAP = LazyPattern(r"(?<=\S)\t+(?=\S)")  # a tab between words, where tab is not the delimiter
_QUOTED = LazyPattern(r'"(?:[^"]|"")*"')  # (a quoted cell may hold any spaces)
_NUMBER_CELL = LazyPattern(r"(?:<=|>=|<|>)?\s*[0-9]+(?:[.,][0-9]+)?(?:\s.*)?")
_KEY_VALUE = LazyPattern(r"[^\W\d_)\]]:[ \t]+(?:<=|>=|<|>)?\s?[0-9]")  # 'Iron: 80' (not 08:30)
TAB = 8  # tab stops every 8 characters


class ReportLine(NamedTuple):
    page: int
    line: int  # on its page
    number: int  # in the whole text (for a text file, its physical line)
    text: str


def looks_like_report(text: str, delimiter: str, at_eof: bool) -> bool:
    """Whether the first chunk of a text file is a report rather than delimited data."""
    if not at_eof:
        cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        text = text[:cut] if cut else text
    lines = [line for line in _LINE_END.split(text) if line.strip()][:SAMPLE_LINES]
    if not lines:
        return False
    bars = sum(1 for line in lines if line.strip()[:1] == "|")
    for line in lines:
        if (bars >= 2 and _TABLE_RULE.fullmatch(line)) or _GRID_RULE.fullmatch(line):
            return True
    pairs = sum(1 for line in lines if line.count(delimiter) <= 2 and _KEY_VALUE.search(line))
    if 2 * pairs >= len(lines):
        return True  # 'Ferritin, serum: 45 ng/mL' lines, whatever comma or two they hold
    delimited = aligned = 0
    for line in lines:
        if _aligned(line, delimiter):
            aligned += 1
        elif len([c for c in line.split(delimiter) if c.strip()]) >= 2:
            delimited += 1
    sample = "\n".join(lines)
    if delimiter == "\t" and _starts_with_values(sample, "\t"):
        return True  # no header row: results pasted from a portal's table (tab-separated)
    return delimited == 0 or aligned > delimited


def _aligned(line: str, delimiter: str) -> bool:
    """As many runs of spaces or tabs between words (outside quotes, not padding a delimiter)
    as delimiters, or more: columns aligned by spaces or tabs, with a comma or two in the text."""
    parts = _QUOTED.sub("", line).split(delimiter)
    gaps = sum(len(_ALIGNED.compiled.findall(part)) for part in parts)
    if delimiter != "\t":
        gaps += sum(len(_TAB_GAP.compiled.findall(part)) for part in parts)
    return gaps > 0 and gaps >= len(parts) - 1


def _starts_with_values(sample: str, delimiter: str) -> bool:
    """Whether the first line with two cells or more holds a number in one: a data row
    where a header row would be."""
    for record in records(sample, delimiter, SNIFF_RECORDS):
        if len(record) >= 2:
            return any(_NUMBER_CELL.fullmatch(cell.strip()) for cell in record)
    return False


def text_lines(tx: TextStream, offset: int) -> Iterator[Row]:
    """Each physical line of the text as a one-cell row (blank ones too), numbered from
    ``offset + 1``; a problem that stops the text is a last row with no cells."""
    number = offset
    while True:
        piece = tx.next_piece()
        if piece is None:
            break
        parts = _LINE_END.split(piece)
        if parts and parts[-1] == "":
            parts.pop()  # the piece ended with a line end
        for part in parts:
            number += 1
            yield Row(number, [part])
    event = tx.event
    if isinstance(event, Stop):
        if event.kind == "overlong":
            yield Row(number + 1, [], f"line {number + 1} is too long for a report line; not read")
        else:
            yield Row(number + 1, [], tx.stop_message(event, number + 1, number + 1))


def expand_tabs(text: str) -> str:
    """Tabs as spaces to the next tab stop, and never fewer than two, so that a tab always
    keeps two cells apart."""
    if "\t" not in text:
        return text
    out: list[str] = []
    width = 0
    for part in text.split("\t")[:-1]:
        out.append(part)
        width += len(part)
        pad = TAB - width % TAB
        pad += TAB if pad < 2 else 0
        out.append(" " * pad)
        width += pad
    out.append(text.rsplit("\t", 1)[1])
    return "".join(out)


def report_lines(rows: Iterable[Row]) -> Iterator[ReportLine | Row]:
    """Rows of report text as lines on pages (a form feed starts a page); a row with a
    problem is passed on as it is."""
    page, first = 1, 0  # first: the number of the line before the page's first line
    for row in rows:
        if row.problem or not row.cells:
            yield row
            continue
        text = expand_tabs(row.cells[0])
        while "\f" in text:
            before, text = text.split("\f", 1)
            if before.strip():
                yield ReportLine(page, row.line - first, row.line, before)
            page, first = page + 1, row.line - 1
        yield ReportLine(page, row.line - first, row.line, text)
