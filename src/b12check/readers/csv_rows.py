"""Records out of the decoded text: a ``RowParser`` turns the pieces of a ``TextStream``
into ``Row`` objects, numbered by the physical line where each starts.

A piece without quotes or NULs, no longer than ``FIELD_LIMIT`` and with no line break that
csv would not see is split with ``str.split`` (each line is one record); anything else goes
through ``csv.reader`` in strict mode until a record ends at a piece end. Bad quoting,
fields over ``FIELD_LIMIT``, over-long lines and the stream's own stops become rows with a
``problem``; where a bad record ends is found by counting quote characters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator
from itertools import chain, repeat
from operator import length_hint
from typing import Final

from b12check.readers import text_stream
from b12check.readers.row import Row, new_row, set_cells, set_line, set_problem
from b12check.readers.text_stream import TextStream

FIELD_LIMIT: Final = 1 << 20
"""Longest field accepted, in characters (1 MiB); a longer one is a row problem."""


def _lines(n: int) -> str:
    return "1 line" if n == 1 else f"{n} lines"


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n} characters"


def _plain(text: str) -> bool:
    """True if str.splitlines() splits ``text`` only where csv sees line ends."""
    return (
        "\x0b" not in text
        and "\x0c" not in text
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and (
            text.isascii() or ("\x85" not in text and "\u2028" not in text and "\u2029" not in text)
        )
    )


def _keep_lines(text: str) -> list[str]:
    """Split at CR, LF and CRLF only, keeping the line ends (what csv needs)."""
    if _plain(text):
        return text.splitlines(True)
    return io.StringIO(text, newline="").readlines()


def _nul_problem(cells: list[str]) -> str | None:
    for k, cell in enumerate(cells, 1):
        if "\x00" in cell:
            return f"NUL byte in column {k}"
    return None


def _reparse(line: str, delimiter: str) -> list[str] | None:
    """Cells of one physical line, ignoring the field limit (error path only)."""
    csv.field_size_limit(2**31 - 1)
    try:
        return next(csv.reader([line], delimiter=delimiter), None)
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(FIELD_LIMIT)


def _has_huge_field(head: str, delimiter: str, inside: bool) -> bool:
    try:
        for _ in csv.reader([('"' if inside else "") + head], delimiter=delimiter):
            pass
    except csv.Error:
        return True
    return False


class _Feed:
    """Lists of lines for one csv.reader, starting with one piece and pulling more on demand;
    remembers the current list so that error recovery knows where the reader stopped."""

    __slots__ = ("tx", "first", "lines", "it", "fed", "nul")

    def __init__(self, tx: TextStream, first: str) -> None:
        self.tx = tx
        self.first: str | None = first
        self.lines: list[str] = []
        self.it: Iterator[str] = iter(self.lines)
        self.fed = 0  # lines handed to the reader so far
        self.nul = False

    def __iter__(self) -> Iterator[Iterator[str]]:
        text = self.first
        self.first = None
        while text is not None:
            lines = _keep_lines(text)
            if "\x00" in text:
                self.nul = True
            it = iter(lines)
            self.lines = lines
            self.it = it
            self.fed += len(lines)
            yield it
            text = self.tx.next_piece()


class RowParser:
    """The state of one pass over a file: ``base`` is the last physical line consumed."""

    def __init__(self, tx: TextStream, delimiter: str, base: int) -> None:
        self.tx = tx
        self.delim = delimiter
        self.base = base

    def run(self) -> Iterator[Row]:
        """Every row of the pass. Never raises: an unexpected failure (a bug) ends the rows
        with a row that says so (caught here, where the rows are made: no generator
        around this one, which would cost every row)."""
        tx = self.tx
        split = str.split
        rep = repeat(self.delim)
        new = new_row
        put_line, put_cells, put_problem = set_line, set_cells, set_problem
        row_type = Row
        limit = FIELD_LIMIT
        try:
            while True:
                text = tx.next_piece()
                if text is None:
                    event = tx.event
                    if event is None:
                        return
                    start = self.base + 1
                    if event.kind == "overlong":
                        if not (yield from self._overlong(start, start, False)):
                            return
                        continue
                    yield Row(start, [], tx.stop_message(event, start, start))
                    return
                if '"' not in text and "\x00" not in text and len(text) <= limit and _plain(text):
                    # Fast path: no quotes, so each line is one record and csv parsing is a split.
                    lines = text.splitlines()
                    for line, cells in enumerate(map(split, lines, rep), self.base + 1):
                        if not cells[0].strip() and not "".join(cells).strip():
                            continue  # blank row
                        row = new(row_type)
                        put_line(row, line)
                        put_cells(row, cells)
                        put_problem(row, None)
                        yield row
                    self.base += len(lines)
                elif not (yield from self._slow(text)):
                    return
        except Exception as exc:  # a bug or an unexpected failure must not end in a traceback
            yield Row(
                self.base + 1,
                [],
                f"cannot read the rest of the file: {type(exc).__name__}: {exc}",
            )

    def _slow(self, text: str) -> Generator[Row, None, bool]:
        """csv.reader from this piece on, until a record ends at a piece end; False = stop."""
        base = self.base
        feed = _Feed(self.tx, text)
        reader = csv.reader(chain.from_iterable(feed), delimiter=self.delim, strict=True)
        new = new_row
        put_line, put_cells, put_problem = set_line, set_cells, set_problem
        row_type = Row
        prev = 0
        try:
            for cells in reader:
                end = reader.line_num
                start = base + prev + 1
                prev = end
                if (not cells or not cells[0].strip()) and not "".join(cells).strip():
                    if end == feed.fed:
                        break
                    continue
                row = new(row_type)
                put_line(row, start)
                put_cells(row, cells)
                put_problem(row, _nul_problem(cells) if feed.nul else None)
                yield row
                if end == feed.fed:
                    break
            self.base = base + reader.line_num
            return True
        except csv.Error as exc:
            start = base + prev + 1
            last = base + reader.line_num  # the line on which csv gave up
            reason = str(exc)
            if reason.startswith("unexpected end of data"):
                return (yield from self._ended_inside(start, last))
            lines = feed.lines
            idx = len(lines) - length_hint(feed.it)  # index of the line after `last`
            line_text = lines[idx - 1] if idx > 0 else ""
            inside = (last > start) != (line_text.count('"') % 2 == 1)
            rest: list[str] | None = lines[idx:]
            end = last
            if inside:
                n, rest = self._skip(lines[idx:], True)
                end = last + n
                if rest is None:
                    return (yield from self._ended_inside(start, end))
            got: list[str] = []
            if end == start:
                got = _reparse(line_text, self.delim) or []
            if "field larger than field limit" in reason:
                column = next((k for k, c in enumerate(got, 1) if len(c) > FIELD_LIMIT), 0)
                problem = f"field over {_size(FIELD_LIMIT)}"
                if column:
                    problem += f" in column {column}"
            else:
                problem = f"bad quoting: {reason}"
            yield Row(start, got, problem)
            if rest:
                self.tx.pushback("".join(rest))
            self.base = end
            return True

    def _skip(self, lines: list[str], inside: bool) -> tuple[int, list[str] | None]:
        """Consume lines until one ends outside quotes: (lines consumed, the lines after it
        in the current piece), or (lines consumed, None) if the input ended first."""
        tx = self.tx
        n = 0
        while True:
            for i, line in enumerate(lines):
                n += 1
                if line.count('"') % 2:
                    inside = not inside
                if not inside:
                    return n, lines[i + 1 :]
            text = tx.next_piece()
            if text is None:
                event = tx.event
                if event is None or event.kind != "overlong":
                    return n, None
                odd = tx.discard_line()
                if tx.event is not None:
                    return n, None
                n += 1
                if odd:
                    inside = not inside
                if not inside:
                    return n, []
                lines = []
                continue
            lines = _keep_lines(text)

    def _ended_inside(self, start: int, last: int) -> Generator[Row, None, bool]:
        """The input stopped inside the quoted record that starts at ``start``; lines up to
        ``last`` were consumed."""
        tx = self.tx
        event = tx.event
        if event is None:
            yield Row(
                start,
                [],
                f"unterminated quote starting at line {start}; "
                f"{_lines(last - start)} after it not read",
            )
            return False
        if event.kind == "overlong":
            return (yield from self._overlong(start, last + 1, True))
        yield Row(start, [], tx.stop_message(event, start, last + 1))
        return False

    def _overlong(self, start: int, line: int, inside: bool) -> Generator[Row, None, bool]:
        """Line ``line`` is too long to buffer: drop it (and the rest of its record)."""
        tx = self.tx
        huge = _has_huge_field(tx.carry_text(), self.delim, inside)
        odd = tx.discard_line()
        if tx.event is not None:  # a decode or read error inside the long line
            return (yield from self._ended_inside(start, line - 1))
        end = line
        rest: list[str] | None = []
        if inside != odd:
            n, rest = self._skip([], True)
            end = line + n
            if rest is None:
                return (yield from self._ended_inside(start, end))
        if huge:
            problem = f"field over {_size(FIELD_LIMIT)}"
        else:
            problem = f"line {line} is over {_size(text_stream.LINE_BUFFER)} long"
        yield Row(start, [], problem)
        if rest:
            tx.pushback("".join(rest))
        self.base = end
        return True
