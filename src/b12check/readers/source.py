"""Low-level CSV reading: open a file or stdin, sniff encoding and delimiter, stream its rows.

``open_source`` reads only the first chunk (64 KiB) to recognise the file. A gzip, bzip2, xz
or zstd file (told by its magic bytes, so a pipe too) is read through a streaming decompressor
(``compressed.py``) and everything below applies to its plain bytes. Non-CSV formats by
their magic bytes (HL7 v2 by its ``MSH|`` start, ``kind`` "hl7"; FHIR JSON by its ``{``,
``kind`` "fhir"; a PDF by its ``%PDF``, ``kind`` "pdf"; each read by its own reader from the
same open file; text that is not delimited, ``kind`` "report", see ``report_text``), the
encoding (byte-order mark, else strict UTF-8, else cp1252 with a warning) and the delimiter.
``Source.rows`` then streams the rest chunk by chunk in constant memory and yields one ``Row``
per non-blank record, numbered by the **physical** line where it starts (as an editor counts:
CR, LF and CRLF each end a line; preamble, header and blank lines count).

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

This module opens the file and owns the ``Source``; the jobs live beside it, each in a module
named for it: ``sniff`` (what the first chunk says: not CSV, the encoding, the delimiter),
``text_stream`` (bytes to runs of whole lines, and the read sizes, which tests shrink there),
``csv_rows`` (lines to rows, and every row problem) and ``row`` (``Row``, ``FileProblem``).
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from b12check.readers import text_stream
from b12check.readers.compressed import compression_of, open_plain
from b12check.readers.csv_rows import FIELD_LIMIT, RowParser
from b12check.readers.fhir_detect import looks_like_fhir
from b12check.readers.hl7v2 import looks_like_hl7
from b12check.readers.report_text import looks_like_report, text_lines
from b12check.readers.row import FileProblem, Row
from b12check.readers.sniff import (
    DELIMITERS,
    ascii_compatible,
    bad_byte,
    blank,
    decode_prefix,
    detect,
    display_name,
    line_of,
    not_csv,
    records,
    sniff,
    split_sep_line,
    suggest,
)
from b12check.readers.text_stream import LINE_CAP, TextStream, read_prefix, reason

__all__ = ["DELIMITERS", "FIELD_LIMIT", "LINE_CAP", "FileProblem", "Row", "Source", "open_source"]


def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    stdin: BinaryIO | None = None,
) -> Source:
    """Open ``path`` ("-" = ``stdin``, default ``sys.stdin.buffer``) and recognise its format.

    Raises FileProblem (and nothing else) when the file cannot be opened, is a directory, is
    empty (0 bytes or only blank lines), is not CSV (xlsx/zip, PDF, tar ... by magic bytes),
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
            raise FileProblem(f"cannot open: {reason(exc)}") from None
    else:
        raw = stdin if stdin is not None else _stdin()
    try:
        return _open(path, raw, owned, info, delimiter)
    except BaseException as exc:
        if owned:
            raw.close()
        if isinstance(exc, FileProblem) or not isinstance(exc, Exception):
            raise
        raise FileProblem(f"cannot read: {reason(exc)}") from exc


def _stdin() -> IO[bytes]:
    """The binary standard input; Python leaves ``sys.stdin`` as None when fd 0 is closed."""
    text = sys.stdin
    if text is None:
        raise FileProblem("cannot read: standard input is closed")
    raw: IO[bytes] | None = getattr(text, "buffer", None)
    if raw is None:
        raise FileProblem("cannot read: standard input gives text, not bytes")
    return raw


def _skip_blank_start(
    raw: IO[bytes],
    dec: codecs.IncrementalDecoder,
    codec: str,
    text: str,
    consumed: int,
    delimiter: str | None,
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
    while (
        not at_eof and len(text) <= text_stream.LINE_BUFFER and blank(text, delimiter)
    ):  # one line may be kept
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        head = text[:cut]
        dropped += head.count("\n") + head.count("\r") - head.count("\r\n")
        text = text[cut:]
        data, at_eof = read_prefix(raw)
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
    if ascii_compatible(codec):
        before = tail.encode("ascii", "replace")  # white space: only CR and LF count here
        line = dropped + line_of(before + data, len(before) + max(rel, 0))
    return FileProblem(
        f"not valid {display_name(codec)} at byte offset {consumed + rel} (0x{byte:02X}), after "
        f"blank lines; rerun with --encoding {suggest(codec)}",
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
        prefix, at_eof = read_prefix(raw)
    except IsADirectoryError:
        raise FileProblem("is a directory, not a file") from None
    except OSError as exc:
        raise FileProblem(f"cannot read: {reason(exc)}") from None
    codec = compression_of(prefix)
    if codec is None:
        return _recognise(path, raw, owned, info, delimiter, prefix, at_eof)
    plain, prefix, at_eof = open_plain(codec, prefix, at_eof, raw)
    try:
        source = _recognise(path, plain, owned, info, delimiter, prefix, at_eof)
    except FileProblem as exc:
        if not str(exc).startswith("looks like"):
            raise
        raise FileProblem(f"{exc} (found inside a {codec}-compressed file)", exc.line) from None
    source.compressed = (codec, raw)
    return source


def _recognise(
    path: str,
    raw: IO[bytes],
    owned: bool,
    info: codecs.CodecInfo | None,
    delimiter: str | None,
    prefix: bytes,
    at_eof: bool,
) -> Source:
    """The Source for a file whose (plain) first chunk is ``prefix``."""
    if not prefix:
        raise FileProblem("empty file: no header")
    if looks_like_hl7(prefix):  # not CSV: its own reader takes the bytes (Source.chunks)
        head = (prefix, at_eof)
        return Source(path, info.name if info else "", "|", [], None, raw, owned, 0, "hl7", head)
    if looks_like_fhir(prefix):  # FHIR JSON: its reader takes the bytes (Source.stream)
        head = (prefix, at_eof)
        return Source(path, "utf-8", "", [], None, raw, owned, 0, "fhir", head)
    if prefix.startswith(b"%PDF"):  # a PDF report: its reader takes the bytes (Source.chunks)
        return Source(path, "", "", [], None, raw, owned, 0, "pdf", (prefix, at_eof))
    what = not_csv(prefix)
    if what is not None:
        raise FileProblem(what)
    if info is not None:
        codec = info.name
        if codec == "utf-8" and prefix.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            dec, text = decode_prefix(prefix, codec, at_eof)
        except UnicodeDecodeError as exc:
            where, line = bad_byte(prefix, exc, codec)
            raise FileProblem(f"cannot decode as {info.name}: {where}", line) from None
        warnings: list[str] = []
    else:
        codec, dec, text, warnings = detect(prefix, at_eof)
    consumed = len(prefix)
    blank_lines = 0
    if not at_eof and blank(text, delimiter):
        text, blank_lines, consumed, at_eof = _skip_blank_start(
            raw, dec, codec, text, consumed, delimiter
        )
    if blank_lines:
        sep, drop_lf = None, False  # Excel's sep= line is only ever the first line
    else:
        sep, text, drop_lf = split_sep_line(text, at_eof)
    chosen = delimiter or sep or sniff(text, at_eof)
    if at_eof and (blank(text, delimiter) or not records(text, chosen, 1)):
        raise FileProblem("empty file: no header")
    tx = TextStream(raw, dec, codec, text, consumed, at_eof, drop_lf)
    guessed = delimiter is None and sep is None
    return Source(
        path,
        codec,
        chosen,
        warnings,
        tx,
        raw,
        owned,
        line_offset=blank_lines + (0 if sep is None else 1),
        kind="report" if guessed and looks_like_report(text, chosen, at_eof) else "csv",
    )


class Source:
    """An opened CSV file. Iterate ``rows()`` once; ``close()`` when done.

    ``kind`` is ``"csv"``, or the format its first bytes showed (``"hl7"``: HL7 v2,
    ``"fhir"``: FHIR JSON, ``"pdf"``: a PDF), whose reader takes the bytes from ``chunks()``
    or ``stream()`` instead of rows; ``encoding`` is then the one ``--encoding`` forced
    (HL7), ``"utf-8"`` (FHIR) or ``""``. ``"report"`` is text that is not CSV (a lab report
    pasted or exported as text, ``report_text.looks_like_report``), read by ``lines()``."""

    name: str
    encoding: str
    delimiter: str
    warnings: list[str]
    kind: str

    def __init__(
        self,
        name: str,
        encoding: str,
        delimiter: str,
        warnings: list[str],
        text: TextStream | None,
        raw: IO[bytes],
        owned: bool,
        line_offset: int,
        kind: str = "csv",
        head: tuple[bytes, bool] | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self._head: tuple[bytes, bool] | None = head
        self.encoding = encoding
        self.delimiter = delimiter
        self.warnings = warnings
        self._text: TextStream | None = text
        self._raw = raw
        self._owned = owned
        self._line_offset = line_offset
        # a compressed file: its codec and the file itself (``_raw`` gives its plain bytes)
        self.compressed: tuple[str, IO[bytes]] | None = None

    def bytes_read(self) -> int:
        """How far into the file reading has got (0 where that cannot be told, e.g. a pipe);
        for a compressed file, how far into the compressed bytes."""
        try:
            if self.compressed is not None:
                return self.compressed[1].tell()
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[Row]:
        """Every non-blank row in file order, streamed. Never raises: problems are rows.
        A second call (or a call after ``close``) yields nothing."""
        tx = self._text
        self._text = None
        if tx is None:
            return iter(())
        csv.field_size_limit(FIELD_LIMIT)
        return RowParser(tx, self.delimiter, self._line_offset).run()

    def lines(self) -> Iterator[Row]:
        """The text of a report (``kind`` "report") line by line, as one-cell rows numbered by
        physical line, without their line ends; a problem that stops the text comes last."""
        tx = self._text
        self._text = None
        if tx is None:
            return
        yield from text_lines(tx, self._line_offset)

    def stream(self) -> IO[bytes]:
        """The file's bytes from the start as a buffered binary stream (``chunks`` read as a
        file: ``readline``, ``read``, iteration by lines)."""
        return io.BufferedReader(_ChunkReader(self.chunks()))

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes from the start, chunk by chunk (a format other than CSV). A
        read error ends them with an ``OSError``. A second call yields nothing."""
        head = self._head
        self._head = None
        if head is None:
            return
        data, at_eof = head
        if data:
            yield data
        if at_eof:
            return
        read = text_stream.reader(self._raw)
        while True:
            data = read(text_stream.CHUNK)
            if not data:
                return
            yield data

    def close(self) -> None:
        self._text = None
        self._head = None
        if self._owned:
            self._raw.close()
            if self.compressed is not None:
                self.compressed[1].close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Source(name={self.name!r}, encoding={self.encoding!r}, "
            f"delimiter={self.delimiter!r}, warnings={self.warnings!r})"
        )


class _ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = memoryview(b"")
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._chunk, self._at = memoryview(chunk), 0
        size = min(len(buffer), len(self._chunk) - self._at)
        buffer[:size] = self._chunk[self._at : self._at + size]
        self._at += size
        return size
