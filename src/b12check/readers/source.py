"""Low-level CSV reading: open a file or stdin, sniff encoding and delimiter, stream its rows.

``open_source`` reads only the first chunk (64 KiB) to recognise the file: non-CSV formats by
their magic bytes, the encoding (byte-order mark, else strict UTF-8, else cp1252 with a warning)
and the delimiter. ``Source.rows`` then streams the rest chunk by chunk in constant memory and
yields one ``Row`` per non-blank record, numbered by the **physical** line where it starts (as
an editor counts: CR, LF and CRLF each end a line; preamble, header and blank lines count).

Everything that goes wrong after opening becomes a ``Row`` with ``problem`` set; ``rows()``
itself never raises. Problems that stop the file produce one last such row:

* ``unterminated quote starting at line N; M lines after it not read``
* ``not valid UTF-8 at byte offset B (0xXX); rerun with --encoding cp1252; lines N-T not read``
  (a decoding error after a valid first chunk: the rows before line N were yielded; lines N
  to the end of the file T were not read; they are counted by scanning the remaining bytes,
  which is possible for ASCII-compatible encodings only, otherwise the message says "the rest
  of the file not read")
* ``cannot read the rest of the file: REASON`` (an I/O error while streaming)

Row problems after which reading goes on:

* ``NUL byte in column K`` (cells kept)
* ``field over 1 MiB in column K``: a field longer than ``FIELD_LIMIT`` characters. The row's
  cells are kept when the record is a single line; for a multi-line record the cells are not
  kept (``[]``) and the column is not named. Reading resumes after the end of the record.
* ``bad quoting: ...`` (strict-mode csv errors such as ``',' expected after '"'``)
* ``line N is over 4 MiB long``: a physical line longer than ``LINE_CAP`` characters is never
  buffered whole; it is skipped (``field over 1 MiB`` if its first 4 MiB already hold such a
  field) and reading resumes after it.

Where a record ends after a bad row is found by counting quote characters (an odd count
flips "inside a quoted field"), which matches csv for well-formed quoting.

Notes: a ``sep=X`` first line (Excel) sets the delimiter and is not yielded; blank rows (all
cells empty or whitespace) are skipped but still counted. ``csv.field_size_limit`` is a
process-wide setting; ``rows()`` sets it to ``FIELD_LIMIT``. A file of nothing but blank lines
(white space or bare delimiters) is an "empty file" whatever its size: when the first chunk is
blank, opening reads on, dropping blank lines as it goes, until data or the end of the input.

Every read makes at most one system call (``read1``) and an empty read ends the input for
good, so one Ctrl-D at a terminal is enough.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Generator, Iterator
from itertools import chain, repeat
from operator import length_hint
from typing import IO, BinaryIO, Final

__all__ = ["DELIMITERS", "FIELD_LIMIT", "LINE_CAP", "FileProblem", "Row", "Source", "open_source"]

FIELD_LIMIT: Final = 1 << 20
"""Longest field accepted, in characters (1 MiB); a longer one is a row problem."""
LINE_CAP: Final = 4 << 20
"""Longest physical line buffered, in characters; a longer one is skipped (row problem)."""
DELIMITERS: Final = (",", ";", "\t", "|")

# Read sizes in bytes; module globals (not defaults) so tests can shrink them.
_PREFIX = 1 << 16
_CHUNK = 1 << 16
_LINE_CAP = LINE_CAP
_SNIFF_RECORDS = 20

_MORE, _EOF, _ERROR = 0, 1, 2  # what follows a piece of decoded text


class FileProblem(Exception):
    """The whole file cannot be read; ``str(exc)`` is one line without the file name."""

    line: int | None

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Row:
    """One record: ``line`` is the 1-based physical line where it starts; ``cells`` are the
    raw cell texts (not stripped); ``problem`` is set when the row could not be read cleanly.
    (A plain slotted class: the dataclasses module alone costs more start-up than it saves.)"""

    __slots__ = ("line", "cells", "problem")

    def __init__(self, line: int, cells: list[str], problem: str | None = None) -> None:
        self.line = line
        self.cells = cells
        self.problem = problem

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return (self.line, self.cells, self.problem) == (other.line, other.cells, other.problem)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Row(line={self.line!r}, cells={self.cells!r}, problem={self.problem!r})"


# Building a frozen dataclass through its __init__ costs twice as much as the csv parsing of a
# short row; the hot loops set the slots directly instead (same result, same type).
_new_row = object.__new__
_set_line: Callable[[Row, int], None] = Row.__dict__["line"].__set__
_set_cells: Callable[[Row, list[str]], None] = Row.__dict__["cells"].__set__
_set_problem: Callable[[Row, str | None], None] = Row.__dict__["problem"].__set__


# --------------------------------------------------------------------------------------------
# small helpers


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _lines(n: int) -> str:
    return "1 line" if n == 1 else f"{n} lines"


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n} characters"


def _first_eol(text: str) -> int:
    i = text.find("\n")
    j = text.find("\r")
    if i < 0:
        return j
    if j < 0:
        return i
    return min(i, j)


def _line_of(data: bytes, offset: int) -> int:
    """Physical line (1-based) of byte ``offset`` in ASCII-compatible ``data``."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


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


def _display(codec: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}.get(
        codec, codec
    )


def _suggest(codec: str) -> str:
    if codec in ("utf-8", "utf-8-sig"):
        return "cp1252"
    if codec == "cp1252":
        return "latin-1"
    return "ENCODING (the file's real encoding)"


def _ascii_compatible(codec: str) -> bool:
    if codec == "utf-8-sig":
        return True
    try:
        return '\r\n",a'.encode(codec) == b'\r\n",a'
    except (UnicodeError, LookupError):
        return False


# --------------------------------------------------------------------------------------------
# the decoded text stream


class _Event:
    """Why the text stream stopped early: "decode", "read" or "overlong"."""

    __slots__ = ("kind", "offset", "byte", "rest", "detail")

    def __init__(
        self,
        kind: str,
        *,
        offset: int = 0,
        byte: int = 0,
        rest: int | None = None,
        detail: str = "",
    ) -> None:
        self.kind = kind
        self.offset = offset  # decode: byte offset of the first undecodable byte
        self.byte = byte
        self.rest = rest  # decode: lines from the bad byte's line to the end, if countable
        self.detail = detail


class _Text:
    """Decoded text of one file, handed out in pieces that each end at a line end.

    A line longer than ``_LINE_CAP`` is never joined: ``next_piece`` stops with an "overlong"
    event and the caller discards the line with ``discard_line``.
    """

    __slots__ = (
        "_raw",
        "_read",
        "_dec",
        "codec",
        "_ascii",
        "_consumed",
        "_carry",
        "_carry_len",
        "_pending",
        "_pushed",
        "_done",
        "_drop_lf",
        "event",
    )

    def __init__(
        self,
        raw: IO[bytes],
        dec: codecs.IncrementalDecoder,
        codec: str,
        first: str,
        consumed: int,
        at_eof: bool,
    ) -> None:
        self._raw = raw
        self._read = _reader(raw)
        self._dec = dec
        self.codec = codec
        self._ascii = _ascii_compatible(codec)
        self._consumed = consumed  # bytes fed to the decoder so far
        self._carry: list[str] = []  # an incomplete last line (parts)
        self._carry_len = 0
        self._pending: tuple[str, int] | None = (first, _EOF if at_eof else _MORE)
        self._pushed: str | None = None
        self._done = False
        self._drop_lf = False  # the last line ended with CR at a chunk end; skip a leading LF
        self.event: _Event | None = None

    # -- reading and decoding

    def _read_text(self) -> tuple[str, int]:
        try:
            data = self._read(_CHUNK)
        except (OSError, ValueError) as exc:
            self.event = _Event("read", detail=_reason(exc))
            return "", _ERROR
        if not data:
            data = b""
        dec = self._dec
        old = len(dec.getstate()[0])
        try:
            text = dec.decode(data, not data)
        except UnicodeDecodeError as exc:
            return self._decode_failed(exc, data, old), _ERROR
        self._consumed += len(data)
        if self._drop_lf and text:
            self._drop_lf = False
            if text[0] == "\n":
                text = text[1:]
        return text, (_MORE if data else _EOF)

    def _decode_failed(self, exc: UnicodeDecodeError, data: bytes, old: int) -> str:
        rel = exc.start - old
        offset = self._consumed + rel
        obj = exc.object if isinstance(exc.object, bytes) else bytes(exc.object)
        bad = obj[exc.start] if exc.start < len(obj) else 0
        text = ""
        if rel > 0:
            try:
                text = self._dec.decode(data[:rel], False)
            except UnicodeDecodeError:
                text = ""
        if self._drop_lf and text:
            self._drop_lf = False
            if text[0] == "\n":
                text = text[1:]
        self._consumed += len(data)
        rest = self._count_rest(obj[exc.start :])
        self.event = _Event("decode", offset=offset, byte=bad, rest=rest)
        return text

    def _count_rest(self, first: bytes) -> int | None:
        """Physical lines from the line holding ``first[0]`` to the end of the file."""
        if not self._ascii:
            return None
        terms = 0
        prev_cr = False
        last = b""
        chunk = first
        while chunk:
            terms += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if prev_cr and chunk[:1] == b"\n":
                terms -= 1
            last = chunk[-1:]
            prev_cr = last == b"\r"
            try:
                chunk = self._read(_CHUNK)
            except (OSError, ValueError):
                break
        return terms + (0 if last in (b"\n", b"\r") else 1)

    def _next_text(self) -> tuple[str, int]:
        pending = self._pending
        if pending is not None:
            self._pending = None
            return pending
        return self._read_text()

    # -- pieces

    def pushback(self, text: str) -> None:
        """Hand ``text`` (whole lines) out again before anything else."""
        self._pushed = text if self._pushed is None else text + self._pushed

    def next_piece(self) -> str | None:
        """The next run of complete lines, or None at the end or on an event."""
        pushed = self._pushed
        if pushed is not None:
            self._pushed = None
            return pushed
        while True:
            if self._done or self.event is not None:
                return None
            text, kind = self._next_text()
            if kind == _MORE:
                piece = self._cut(text)
                if piece is not None:
                    return piece
                if self._carry_len > _LINE_CAP:
                    self.event = _Event("overlong")
                    return None
                continue
            self._done = True
            carry = self._carry
            buf = "".join([*carry, text]) if carry else text
            self._carry = []
            self._carry_len = 0
            if kind == _ERROR:  # keep complete lines only; the one with the bad byte is lost
                buf = buf[: max(buf.rfind("\n"), buf.rfind("\r")) + 1]
            return buf or None

    def _cut(self, t: str) -> str | None:
        n = len(t)
        if t[-1:] == "\n":
            cut = n
        else:
            end = n - 1 if t[-1:] == "\r" else n  # a final CR may be half of a CRLF
            cut = max(t.rfind("\n", 0, end), t.rfind("\r", 0, end)) + 1
        carry = self._carry
        if cut == 0:
            if not t:
                return None
            if carry and carry[-1][-1:] == "\r":  # the held-back CR was a line end after all
                piece = "".join(carry)
                self._carry = [t]
                self._carry_len = n
                return piece
            carry.append(t)
            self._carry_len += n
            return None
        head = t if cut == n else t[:cut]
        if carry:
            piece = carry[0] + head if len(carry) == 1 else "".join([*carry, head])
        else:
            piece = head
        self._carry = [] if cut == n else [t[cut:]]
        self._carry_len = n - cut
        return piece

    def carry_text(self) -> str:
        return "".join(self._carry)

    def discard_line(self) -> bool:
        """Drop the rest of an over-long line; True if it held an odd number of quotes."""
        self.event = None
        carry = self._carry
        self._carry = []
        self._carry_len = 0
        odd = sum(part.count('"') for part in carry) % 2 == 1
        if carry and carry[-1][-1:] == "\r":
            self._drop_lf = True
            return odd
        while True:
            text, kind = self._next_text()
            i = _first_eol(text)
            if i < 0:
                if text.count('"') % 2:
                    odd = not odd
                if kind != _MORE:
                    self._done = True
                    return odd
                continue
            if text.count('"', 0, i) % 2:
                odd = not odd
            j = i + 1
            if text[i] == "\r":
                if j < len(text):
                    if text[j] == "\n":
                        j += 1
                elif kind == _MORE:
                    self._drop_lf = True
            if j < len(text) or kind != _MORE:
                self._pending = (text[j:], kind)
            return odd

    def stop_message(self, event: _Event, start: int, first_unread: int) -> str:
        """Message for a decode or read error; lines ``start`` .. end were not read."""
        if event.kind == "read":
            return f"cannot read the rest of the file: {event.detail}"
        msg = (
            f"not valid {_display(self.codec)} at byte offset {event.offset} "
            f"(0x{event.byte:02X}); rerun with --encoding {_suggest(self.codec)}"
        )
        if event.rest is None:
            return msg + "; the rest of the file not read"
        last = max(first_unread + event.rest - 1, start)
        return msg + (
            f"; line {start} not read" if last == start else f"; lines {start}-{last} not read"
        )


class _Feed:
    """Lists of lines for one csv.reader, starting with one piece and pulling more on demand;
    remembers the current list so that error recovery knows where the reader stopped."""

    __slots__ = ("tx", "first", "lines", "it", "fed", "nul")

    def __init__(self, tx: _Text, first: str) -> None:
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


# --------------------------------------------------------------------------------------------
# rows


class _Rows:
    """The state of one pass over a file: ``base`` is the last physical line consumed."""

    def __init__(self, tx: _Text, delimiter: str, base: int) -> None:
        self.tx = tx
        self.delim = delimiter
        self.base = base

    def run(self) -> Iterator[Row]:
        tx = self.tx
        split = str.split
        rep = repeat(self.delim)
        new = _new_row
        set_line, set_cells, set_problem = _set_line, _set_cells, _set_problem
        row_type = Row
        limit = FIELD_LIMIT
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
                    set_line(row, line)
                    set_cells(row, cells)
                    set_problem(row, None)
                    yield row
                self.base += len(lines)
            elif not (yield from self._slow(text)):
                return

    def _slow(self, text: str) -> Generator[Row, None, bool]:
        """csv.reader from this piece on, until a record ends at a piece end; False = stop."""
        base = self.base
        feed = _Feed(self.tx, text)
        reader = csv.reader(chain.from_iterable(feed), delimiter=self.delim, strict=True)
        new = _new_row
        set_line, set_cells, set_problem = _set_line, _set_cells, _set_problem
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
                set_line(row, start)
                set_cells(row, cells)
                set_problem(row, _nul_problem(cells) if feed.nul else None)
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
            problem = f"line {line} is over {_size(_LINE_CAP)} long"
        yield Row(start, [], problem)
        if rest:
            tx.pushback("".join(rest))
        self.base = end
        return True


class Source:
    """An opened CSV file. Iterate ``rows()`` once; ``close()`` when done."""

    name: str
    encoding: str
    delimiter: str
    warnings: list[str]

    def __init__(
        self,
        name: str,
        encoding: str,
        delimiter: str,
        warnings: list[str],
        text: _Text,
        raw: IO[bytes],
        owned: bool,
        line_offset: int,
    ) -> None:
        self.name = name
        self.encoding = encoding
        self.delimiter = delimiter
        self.warnings = warnings
        self._text: _Text | None = text
        self._raw = raw
        self._owned = owned
        self._line_offset = line_offset

    def bytes_read(self) -> int:
        """How far into the file reading has got (0 where that cannot be told, e.g. a pipe)."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[Row]:
        """Every non-blank row in file order, streamed. Never raises: problems are rows.
        A second call (or a call after ``close``) yields nothing."""
        tx = self._text
        self._text = None
        if tx is None:
            return
        csv.field_size_limit(FIELD_LIMIT)
        state = _Rows(tx, self.delimiter, self._line_offset)
        try:
            yield from state.run()
        except Exception as exc:  # a bug or an unexpected failure must not end in a traceback
            yield Row(
                state.base + 1,
                [],
                f"cannot read the rest of the file: {type(exc).__name__}: {exc}",
            )

    def close(self) -> None:
        self._text = None
        if self._owned:
            self._raw.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Source(name={self.name!r}, encoding={self.encoding!r}, "
            f"delimiter={self.delimiter!r}, warnings={self.warnings!r})"
        )


# --------------------------------------------------------------------------------------------
# opening


def _magic(prefix: bytes) -> str | None:
    """What a non-CSV file looks like, judged by its first bytes."""
    if prefix.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if b"xl/" in prefix or b"[Content_Types].xml" in prefix:
            return "looks like an Excel workbook (.xlsx), not CSV; export it as CSV first"
        if b"opendocument.spreadsheet" in prefix:
            return "looks like an OpenDocument spreadsheet (.ods), not CSV; export it as CSV first"
        return "looks like a zip archive, not CSV; unzip it (or export the workbook as CSV) first"
    if prefix.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "looks like an old Excel workbook (.xls), not CSV; export it as CSV first"
    if prefix.startswith(b"%PDF"):
        return "looks like a PDF document, not CSV; export the results as CSV instead"
    if prefix.startswith(b"\x1f\x8b"):
        return "looks like a gzip-compressed file, not plain CSV; decompress it first (gunzip)"
    if prefix.startswith(b"BZh") and prefix[4:10] == b"1AY&SY":
        return "looks like a bzip2-compressed file, not plain CSV; decompress it first (bunzip2)"
    if prefix.startswith(b"\xfd7zXZ\x00"):
        return "looks like an xz-compressed file, not plain CSV; decompress it first (unxz)"
    if prefix.startswith(b"\x28\xb5\x2f\xfd"):
        return "looks like a zstd-compressed file, not plain CSV; decompress it first (unzstd)"
    if prefix.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "looks like a 7-Zip archive, not CSV; extract the CSV file first"
    start = prefix[:512].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "looks like a web page (HTML), not CSV; download the CSV export instead"
    return None


_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


def _looks_binary(prefix: bytes) -> bool:
    sample = prefix[:8192]
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls >= 4 and controls * 10 > len(sample)


def _utf16_guess(prefix: bytes) -> str | None:
    """BOM-less UTF-16: text whose every other byte is NUL."""
    sample = prefix[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : 2 * pairs : 2].count(0)
    odd = sample[1 : 2 * pairs : 2].count(0)
    if odd * 10 >= pairs * 4 and even * 20 <= pairs:
        return "utf-16-le"
    if even * 10 >= pairs * 4 and odd * 20 <= pairs:
        return "utf-16-be"
    return None


def _reader(raw: IO[bytes]) -> Callable[[int], bytes]:
    """A read that makes at most one system call, so that an empty result means end of input.

    A buffered ``read(n)`` keeps reading until it has ``n`` bytes or sees an empty read; at a
    terminal each Ctrl-D gives one empty read, so a short result followed by another ``read``
    would wait for a second Ctrl-D. ``read1`` stops at the first; an unbuffered stream's
    ``read`` already does.
    """
    read1: Callable[[int], bytes] | None = getattr(raw, "read1", None)
    return read1 if read1 is not None else raw.read


def _read_prefix(raw: IO[bytes]) -> tuple[bytes, bool]:
    read = _reader(raw)
    parts: list[bytes] = []
    size = 0
    while size < _PREFIX:
        data = read(_PREFIX - size)
        if not data:
            return b"".join(parts), True
        parts.append(data)
        size += len(data)
    return b"".join(parts), False


def _decode_prefix(
    prefix: bytes, codec: str, at_eof: bool
) -> tuple[codecs.IncrementalDecoder, str]:
    dec = codecs.getincrementaldecoder(codec)("strict")
    return dec, dec.decode(prefix, at_eof)


def _bad_byte(prefix: bytes, exc: UnicodeDecodeError, codec: str) -> tuple[str, int | None]:
    """'byte 0xB5 at byte offset 145', and the line, for a decoding error in the prefix."""
    base = "utf-8" if codec == "utf-8-sig" else codec
    offset = exc.start
    try:  # a non-incremental decode gives offsets relative to the whole prefix
        prefix.decode(base)
    except UnicodeDecodeError as whole:
        offset = whole.start
    except LookupError:
        pass
    byte = prefix[offset] if offset < len(prefix) else 0
    line = _line_of(prefix, offset) if _ascii_compatible(codec) else None
    where = f"byte 0x{byte:02X} at byte offset {offset}"
    return (where + f", line {line}" if line is not None else where), line


def _detect(prefix: bytes, at_eof: bool) -> tuple[str, codecs.IncrementalDecoder, str, list[str]]:
    warnings: list[str] = []
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if prefix.startswith(bom):
            try:
                dec, text = _decode_prefix(prefix, codec, at_eof)
            except UnicodeDecodeError as exc:
                where, line = _bad_byte(prefix, exc, codec)
                raise FileProblem(
                    f"not valid {_display(codec)} despite its byte-order mark ({where}); "
                    "rerun with --encoding ENCODING",
                    line,
                ) from None
            return codec, dec, text, warnings
    guess = _utf16_guess(prefix)
    if guess is not None:
        try:
            dec, text = _decode_prefix(prefix, guess, at_eof)
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"no byte-order mark, but looks like UTF-16; read as {guess}")
            return guess, dec, text, warnings
    if _looks_binary(prefix):
        raise FileProblem("looks like a binary file, not CSV text")
    try:
        dec, text = _decode_prefix(prefix, "utf-8", at_eof)
    except UnicodeDecodeError as exc:
        where, line = _bad_byte(prefix, exc, "utf-8")
    else:
        return "utf-8", dec, text, warnings
    try:
        dec, text = _decode_prefix(prefix, "cp1252", at_eof)
    except UnicodeDecodeError as exc:
        where2, _ = _bad_byte(prefix, exc, "cp1252")
        raise FileProblem(
            f"not valid UTF-8 ({where}) nor cp1252 ({where2}); rerun with --encoding ENCODING",
            line,
        ) from None
    warnings.append(f"not valid UTF-8; read as cp1252 (first non-UTF-8 {where})")
    return "cp1252", dec, text, warnings


def _split_sep_line(text: str, at_eof: bool) -> tuple[str | None, str, bool]:
    """Excel's ``sep=X`` first line: (X, text without that line, LF still to drop)."""
    if text[:4].lower() != "sep=":
        return None, text, False
    i = _first_eol(text)
    if i < 0 and not at_eof:
        return None, text, False
    first = text if i < 0 else text[:i]
    value = first[4:].rstrip(" ")
    if value not in DELIMITERS:
        return None, text, False
    if i < 0:
        return value, "", False
    j = i + 1
    drop_lf = False
    if text[i] == "\r":
        if j < len(text):
            if text[j] == "\n":
                j += 1
        elif not at_eof:
            drop_lf = True
    return value, text[j:], drop_lf


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    """Up to ``limit`` non-blank records of ``text`` (lenient parsing, for sniffing)."""
    out: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in rec):
                out.append(rec)
                if len(out) >= limit:
                    break
    except csv.Error:
        pass
    return out


_SEPARATORS = " \t\r\n" + "".join(DELIMITERS)


def _sniff(text: str, at_eof: bool) -> str:
    """The delimiter giving the most records with one column count >= 2 (ties: more columns,
    then the order of DELIMITERS). Preamble lines without delimiters do not count, nor do
    blank rows (cells holding nothing but spaces and other delimiters, like ``,,,,<TAB>``)."""
    sample = text
    if not at_eof:
        cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        if cut:
            sample = text[:cut]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        freq: dict[int, int] = {}
        for rec in _records(sample, delimiter, _SNIFF_RECORDS):
            if len(rec) >= 2 and any(cell.strip(_SEPARATORS) for cell in rec):
                freq[len(rec)] = freq.get(len(rec), 0) + 1
        if freq:
            score = max((count, width) for width, count in freq.items())
            if score > best_score:
                best, best_score = delimiter, score
    return best


def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    stdin: BinaryIO | None = None,
) -> Source:
    """Open ``path`` ("-" = ``stdin``, default ``sys.stdin.buffer``) and recognise its format.

    Raises FileProblem (and nothing else) when the file cannot be opened, is a directory, is
    empty (0 bytes or only blank lines), is not CSV (xlsx/zip, PDF, gzip ... by magic bytes),
    cannot be decoded in its first chunk with the forced ``encoding`` (or despite its BOM).
    ``encoding`` forces a codec; ``delimiter`` forces the delimiter (else sniffed).
    """
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise FileProblem(
            f"invalid delimiter {delimiter!r}: give one character such as , ; | or a tab"
        )
    info: codecs.CodecInfo | None = None
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise FileProblem(f"unknown encoding {encoding!r}") from None
        if not getattr(info, "_is_text_encoding", True):
            raise FileProblem(f"{encoding!r} is not a text encoding")
    owned = path != "-"
    raw: IO[bytes]
    if owned:
        try:
            raw = open(path, "rb")  # closed by Source.close
        except IsADirectoryError:
            raise FileProblem("is a directory, not a file") from None
        except (OSError, ValueError) as exc:
            raise FileProblem(f"cannot open: {_reason(exc)}") from None
    else:
        raw = stdin if stdin is not None else _stdin()
    try:
        return _open(path, raw, owned, info, delimiter)
    except BaseException as exc:
        if owned:
            raw.close()
        if isinstance(exc, FileProblem) or not isinstance(exc, Exception):
            raise
        raise FileProblem(f"cannot read: {_reason(exc)}") from exc


def _stdin() -> IO[bytes]:
    """The binary standard input; Python leaves ``sys.stdin`` as None when fd 0 is closed."""
    text = sys.stdin
    if text is None:
        raise FileProblem("cannot read: standard input is closed")
    raw: IO[bytes] | None = getattr(text, "buffer", None)
    if raw is None:
        raise FileProblem("cannot read: standard input gives text, not bytes")
    return raw


_NO_DELIMITERS: Final = str.maketrans(dict.fromkeys(DELIMITERS, " "))


def _blank(text: str) -> bool:
    """Only blank lines: white space, or rows of nothing but delimiters (Excel's empty
    ``,,,,`` rows). Such text holds no data whatever the file's delimiter turns out to be."""
    first = text[:1]
    if not first:
        return True
    if not first.isspace() and first not in DELIMITERS:
        return False  # the usual case, told without looking further
    return text.isspace() or text.translate(_NO_DELIMITERS).isspace()


def _skip_blank_start(
    raw: IO[bytes], dec: codecs.IncrementalDecoder, codec: str, text: str, consumed: int
) -> tuple[str, int, int, bool]:
    """Read on past a first chunk that holds only blank lines, dropping them as they go.

    Returns the text from the last dropped line on (whole chunks, enough to sniff from),
    the number of lines dropped, the bytes read in all and whether the input ended. A final
    CR is kept, as it may be half of a CRLF split between two reads, and so is a last line
    without its end (its delimiters place the cells of any data that follows on it) unless
    it grows past the line cap: ``rows()`` then reports it as over-long.
    """
    dropped = 0
    at_eof = False
    while not at_eof and len(text) <= _LINE_CAP and _blank(text):  # one line may be kept
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        head = text[:cut]
        dropped += head.count("\n") + head.count("\r") - head.count("\r\n")
        text = text[cut:]
        data, at_eof = _read_prefix(raw)
        try:
            text += dec.decode(data, at_eof)
        except UnicodeDecodeError as exc:
            raise _blank_then_undecodable(exc, text, data, consumed, dropped, codec) from None
        consumed += len(data)
    return text, dropped, consumed, at_eof


def _blank_then_undecodable(
    exc: UnicodeDecodeError, tail: str, data: bytes, consumed: int, dropped: int, codec: str
) -> FileProblem:
    """The first bytes after the blank lines cannot be decoded: say where, and what to do.
    ``exc`` counts from the bytes the decoder still held from before ``data``."""
    whole = bytes(exc.object)
    rel = exc.start - (len(whole) - len(data))  # < 0: the bad sequence began before data
    byte = whole[exc.start] if exc.start < len(whole) else 0
    line = None
    if _ascii_compatible(codec):
        before = tail.encode("ascii", "replace")  # white space: only CR and LF count here
        line = dropped + _line_of(before + data, len(before) + max(rel, 0))
    return FileProblem(
        f"not valid {_display(codec)} at byte offset {consumed + rel} (0x{byte:02X}), after "
        f"blank lines; rerun with --encoding {_suggest(codec)}",
        line,
    )


def _open(
    path: str,
    raw: IO[bytes],
    owned: bool,
    info: codecs.CodecInfo | None,
    delimiter: str | None,
) -> Source:
    try:
        prefix, at_eof = _read_prefix(raw)
    except IsADirectoryError:
        raise FileProblem("is a directory, not a file") from None
    except OSError as exc:
        raise FileProblem(f"cannot read: {_reason(exc)}") from None
    if not prefix:
        raise FileProblem("empty file: no header")
    what = _magic(prefix)
    if what is not None:
        raise FileProblem(what)
    if info is not None:
        codec = info.name
        if codec == "utf-8" and prefix.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            dec, text = _decode_prefix(prefix, codec, at_eof)
        except UnicodeDecodeError as exc:
            where, line = _bad_byte(prefix, exc, codec)
            raise FileProblem(f"cannot decode as {info.name}: {where}", line) from None
        warnings: list[str] = []
    else:
        codec, dec, text, warnings = _detect(prefix, at_eof)
    consumed = len(prefix)
    blank_lines = 0
    if not at_eof and _blank(text):
        text, blank_lines, consumed, at_eof = _skip_blank_start(raw, dec, codec, text, consumed)
    if blank_lines:
        sep, drop_lf = None, False  # Excel's sep= line is only ever the first line
    else:
        sep, text, drop_lf = _split_sep_line(text, at_eof)
    chosen = delimiter or sep or _sniff(text, at_eof)
    if at_eof and (_blank(text) or not _records(text, chosen, 1)):
        raise FileProblem("empty file: no header")
    tx = _Text(raw, dec, codec, text, consumed, at_eof)
    tx._drop_lf = drop_lf
    return Source(
        path,
        codec,
        chosen,
        warnings,
        tx,
        raw,
        owned,
        line_offset=blank_lines + (0 if sep is None else 1),
    )
