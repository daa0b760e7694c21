"""The decoded text of one file, handed out in runs of whole lines.

``TextStream`` turns the raw bytes into text chunk by chunk (``CHUNK`` bytes a read,
at most one system call each, so an empty read ends the input for good) and holds back the
unfinished last line, so that each piece it gives ends at a line end. What stops it early
(an undecodable byte, a read error, a line over ``LINE_BUFFER`` characters) is kept
as its ``event`` for the row parser to report.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import IO, Final

from b12check.readers.sniff import ascii_compatible, display_name, first_eol, suggest

LINE_CAP: Final = 4 << 20
"""Longest physical line buffered, in characters; a longer one is skipped (row problem)."""

# The sizes in force. Other modules read them as ``text_stream.PREFIX`` and so on at the moment
# of use, never by ``from`` import, so that a test shrinking them here reaches every reader.
PREFIX = 1 << 16  # bytes read when opening, to recognise the file
CHUNK = 1 << 16  # bytes asked for by each later read
LINE_BUFFER = LINE_CAP  # the line cap in force; also the size an over-long line's message names

MORE, EOF, ERROR = 0, 1, 2  # what follows a piece of decoded text


def reason(exc: BaseException) -> str:
    """An exception in the words a message shows: an OS error's text, else its own."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def reader(raw: IO[bytes]) -> Callable[[int], bytes]:
    """A read that makes at most one system call, so that an empty result means end of input.

    A buffered ``read(n)`` keeps reading until it has ``n`` bytes or sees an empty read; at a
    terminal each Ctrl-D gives one empty read, so a short result followed by another ``read``
    would wait for a second Ctrl-D. ``read1`` stops at the first; an unbuffered stream's
    ``read`` already does.
    """
    read1: Callable[[int], bytes] | None = getattr(raw, "read1", None)
    return read1 if read1 is not None else raw.read


def read_prefix(raw: IO[bytes]) -> tuple[bytes, bool]:
    """Up to ``PREFIX`` bytes, and whether the input ended before that many."""
    read = reader(raw)
    parts: list[bytes] = []
    size = 0
    while size < PREFIX:
        data = read(PREFIX - size)
        if not data:
            return b"".join(parts), True
        parts.append(data)
        size += len(data)
    return b"".join(parts), False


class Stop:
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


class TextStream:
    """Decoded text of one file, handed out in pieces that each end at a line end.

    A line longer than ``LINE_BUFFER`` is never joined: ``next_piece`` stops with an
    "overlong" event and the caller discards the line with ``discard_line``. ``first`` is the
    text decoded while opening; ``drop_lf`` says it ended in a CR, so that an LF starting
    the next read ends the same line.
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
        drop_lf: bool = False,
    ) -> None:
        self._raw = raw
        self._read = reader(raw)
        self._dec = dec
        self.codec = codec
        self._ascii = ascii_compatible(codec)
        self._consumed = consumed  # bytes fed to the decoder so far
        self._carry: list[str] = []  # an incomplete last line (parts)
        self._carry_len = 0
        self._pending: tuple[str, int] | None = (first, EOF if at_eof else MORE)
        self._pushed: str | None = None
        self._done = False
        self._drop_lf = drop_lf  # the last line ended with CR at a chunk end; skip a leading LF
        self.event: Stop | None = None

    # -- reading and decoding

    def _read_text(self) -> tuple[str, int]:
        try:
            data = self._read(CHUNK)
        except (OSError, ValueError) as exc:
            self.event = Stop("read", detail=reason(exc))
            return "", ERROR
        if not data:
            data = b""
        dec = self._dec
        old = len(dec.getstate()[0])
        try:
            text = dec.decode(data, not data)
        except UnicodeDecodeError as exc:
            return self._decode_failed(exc, data, old), ERROR
        self._consumed += len(data)
        if self._drop_lf and text:
            self._drop_lf = False
            if text[0] == "\n":
                text = text[1:]
        return text, (MORE if data else EOF)

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
        self.event = Stop("decode", offset=offset, byte=bad, rest=rest)
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
                chunk = self._read(CHUNK)
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
            if kind == MORE:
                piece = self._cut(text)
                if piece is not None:
                    return piece
                if self._carry_len > LINE_BUFFER:
                    self.event = Stop("overlong")
                    return None
                continue
            self._done = True
            carry = self._carry
            buf = "".join([*carry, text]) if carry else text
            self._carry = []
            self._carry_len = 0
            if kind == ERROR:  # keep complete lines only; the one with the bad byte is lost
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
            i = first_eol(text)
            if i < 0:
                if text.count('"') % 2:
                    odd = not odd
                if kind != MORE:
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
                elif kind == MORE:
                    self._drop_lf = True
            if j < len(text) or kind != MORE:
                self._pending = (text[j:], kind)
            return odd

    def stop_message(self, event: Stop, start: int, first_unread: int) -> str:
        """Message for a decode or read error; lines ``start`` .. end were not read."""
        if event.kind == "read":
            return f"cannot read the rest of the file: {event.detail}"
        msg = (
            f"not valid {display_name(self.codec)} at byte offset {event.offset} "
            f"(0x{event.byte:02X}); rerun with --encoding {suggest(self.codec)}"
        )
        if event.rest is None:
            return msg + "; the rest of the file not read"
        last = max(first_unread + event.rest - 1, start)
        return msg + (
            f"; line {start} not read" if last == start else f"; lines {start}-{last} not read"
        )
