"""Compressed input: gzip, bzip2, xz and zstd, told by their magic bytes and read as a stream.

``compression_of`` names the codec a file's first bytes show (never its name: a pipe has
none, and a ``.gz`` name on plain text means nothing). ``inflate`` turns the compressed bytes
(the first chunk the opener already read, then the rest of the file) into a stream of the
plain bytes, which the opener then reads as it reads any file: CSV, HL7 v2 and FHIR alike.

The plain bytes are made a bounded piece at a time (at most ``text_stream.CHUNK`` bytes per
piece from zlib, bz2 and lzma; zstd, whose decompressor has no output limit, is fed as many
compressed bytes as gave about that much the time before, at least ``ZSTD_FEED_MIN``: a few
MiB at most from the most compressible input), so memory stays flat whatever the size.
Several members (``cat a.gz b.gz``, or pigz's and bgzip's blocks) and several zstd frames or
xz and bzip2 streams are read one after another, as the command-line tools read them.

A damaged archive (corrupt data, or one that ends before its end marker: a truncated
download) raises ``Damaged``, an ``OSError``, once the plain bytes before the damage have been
handed out; from then on every read raises it again. The readers turn it into their usual
"cannot read the rest of the file" error record, after the records already read.

zstd needs the ``zstandard`` library (extra ``b12check[zstd]``), imported only when a zstd
file is met; without it such a file is refused with the command that installs it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any, Final

from b12check.readers import text_stream
from b12check.readers.row import FileProblem

# compressed bytes given to the zstd decompressor per call: as many as gave about a chunk of
# output last time, within these bounds (64 bytes of the most compressible data give ~2 MiB)
ZSTD_FEED_MIN: Final = 64
ZSTD_FEED_MAX: Final = 1 << 16
ZSTD_INSTALL: Final = "pip install 'b12check[zstd]'"


class Damaged(OSError):
    """The archive cannot be read on: its data is corrupt or it ends too early."""


def compression_of(prefix: bytes) -> str | None:
    """The codec ("gzip", "bzip2", "xz" or "zstd") the first bytes show, else None."""
    if prefix.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if (
        prefix.startswith(b"BZh")
        and prefix[3:4] in b"123456789"
        and prefix[4:10] in (b"1AY&SY", b"\x17rE8P\x90")  # a block, or an empty stream's end
    ):
        return "bzip2"
    if prefix.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if prefix.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def _zstd_maker() -> Callable[[], Any]:
    try:
        import zstandard
    except ImportError:
        raise FileProblem(
            f"a zstd-compressed file; reading it needs the zstandard library: {ZSTD_INSTALL}"
        ) from None
    decompressor = zstandard.ZstdDecompressor()
    return decompressor.decompressobj


def _maker(codec: str) -> Callable[[], Any]:
    # (each codec's module is imported when a file needs it: a plain CSV scan loads none)
    if codec == "gzip":
        import zlib

        return lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if codec == "bzip2":
        import bz2

        return bz2.BZ2Decompressor
    if codec == "xz":
        import lzma

        return lzma.LZMADecompressor
    return _zstd_maker()


def _damage_errors(codec: str) -> tuple[type[Exception], ...]:
    """What a decompressor of ``codec`` raises on damaged input."""
    errors: tuple[type[Exception], ...] = (OSError, EOFError, ValueError)
    if codec == "gzip":
        import zlib

        errors += (zlib.error,)
    elif codec == "xz":
        import lzma

        errors += (lzma.LZMAError,)
    return errors


def inflate(codec: str, prefix: bytes, at_eof: bool, raw: IO[bytes]) -> IO[bytes]:
    """The plain bytes of a ``codec`` file whose first bytes ``prefix`` were read from
    ``raw`` already (``at_eof``: they were all of it). Raises FileProblem when the codec's
    library is missing."""
    make = _maker(codec)
    read = (lambda size: b"") if at_eof else text_stream.reader(raw)
    return io.BufferedReader(_Inflating(codec, make, prefix, read), text_stream.CHUNK)


def open_plain(
    codec: str, prefix: bytes, at_eof: bool, raw: IO[bytes]
) -> tuple[IO[bytes], bytes, bool]:
    """The plain bytes of a ``codec`` file (``inflate``) and their first chunk (``read_head``).
    Raises FileProblem when that cannot be read or holds nothing."""
    plain = inflate(codec, prefix, at_eof, raw)
    try:
        head, at_end = read_head(plain)
    except OSError as exc:
        raise FileProblem(f"cannot read: {text_stream.reason(exc)}") from None
    if not head:
        raise FileProblem(f"empty file: no header (the {codec} archive holds no data)")
    return plain, head, at_end


def read_head(stream: IO[bytes]) -> tuple[bytes, bool]:
    """The first chunk of plain bytes, as ``text_stream.read_prefix`` reads it, except that
    damage found after some bytes ends the chunk there (the next read reports it)."""
    read = text_stream.reader(stream)
    parts: list[bytes] = []
    size = 0
    while size < text_stream.PREFIX:
        try:
            data = read(text_stream.PREFIX - size)
        except Damaged:
            if not parts:
                raise
            break
        if not data:
            return b"".join(parts), True
        parts.append(data)
        size += len(data)
    return b"".join(parts), False


class _Inflating(io.RawIOBase):
    """The plain bytes of one compressed input, a bounded piece per read."""

    def __init__(
        self, codec: str, make: Callable[[], Any], first: bytes, read: Callable[[int], bytes]
    ) -> None:
        self._codec = codec
        self._make = make
        self._dec = make()
        self._errors = _damage_errors(codec)
        self._input = first  # compressed bytes read but not yet given to the decompressor
        self._read = read
        self._out = memoryview(b"")
        self._failed: Damaged | None = None
        self._feed = ZSTD_FEED_MIN

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._out:
            if self._failed is not None:
                raise self._failed
            try:
                self._out = memoryview(self._pull())
            except Damaged as exc:
                self._failed = exc
                raise
            except Exception as exc:  # damaged input (zstandard's ZstdError, too)
                if not isinstance(exc, self._errors) and type(exc).__name__ != "ZstdError":
                    raise
                self._failed = self._damage(str(exc) or type(exc).__name__)
                raise self._failed from None
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        return size

    def _damage(self, detail: str) -> Damaged:
        return Damaged(f"the {self._codec} archive is damaged ({detail})")

    def _pull(self) -> bytes:
        """The next piece of plain bytes; b"" at the clean end of the last member."""
        while True:
            dec = self._dec
            if dec.eof:  # a member ended: another may follow
                rest = bytes(dec.unused_data) + self._input
                if self._codec == "gzip":
                    rest = rest.lstrip(b"\x00")  # padding after the last member, as gzip allows
                if rest:
                    self._dec, self._input = self._make(), rest
                    continue
                self._input = self._read(text_stream.CHUNK)
                if not self._input:
                    return b""
                continue  # (the padding test again, on the new bytes)
            if not self._input:
                if self._codec == "gzip":  # output held back by the size limit comes first
                    out = dec.decompress(b"", text_stream.CHUNK)
                    if out or dec.eof:
                        return out or self._pull()
                if getattr(dec, "needs_input", True):
                    self._input = self._read(text_stream.CHUNK)
                    if not self._input:
                        raise self._damage("it ends before its end marker: truncated?")
            out = self._step(dec)
            if out:
                return out

    def _step(self, dec: Any) -> bytes:
        data = self._input
        if self._codec == "gzip":
            out: bytes = dec.decompress(data, text_stream.CHUNK)
            self._input = dec.unconsumed_tail
            return out
        if self._codec == "zstd":  # no output limit: feed it what should give about a chunk
            feed = self._feed
            self._input = data[feed:]
            out = bytes(dec.decompress(data[:feed]))
            self._feed = max(
                ZSTD_FEED_MIN, min(ZSTD_FEED_MAX, feed * text_stream.CHUNK // max(len(out), 1))
            )
            return out
        self._input = b""
        return bytes(dec.decompress(data, text_stream.CHUNK))
