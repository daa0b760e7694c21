"""Telling FHIR JSON by its first bytes, without loading the FHIR reader (every scan asks)."""

from typing import IO, Final

PEEK: Final = 512  # bytes looked at to recognise FHIR JSON
BOM: Final = b"\xef\xbb\xbf"


def looks_like_fhir(first_bytes: bytes) -> bool:
    """Whether a file starting with these bytes is JSON to read as FHIR: a JSON object (its
    first character ``{``, after a byte-order mark and white space). CSV never starts so."""
    start = first_bytes.removeprefix(BOM).lstrip()
    return start.startswith(b"{")


def first_bytes(raw: IO[bytes]) -> bytes:
    """The first bytes of a stream, left unread: peeked, or read and sought back."""
    peek = getattr(raw, "peek", None)
    if peek is not None:
        return bytes(peek(PEEK)[:PEEK])
    if raw.seekable():
        position = raw.tell()
        head = raw.read(PEEK)
        raw.seek(position)
        return head
    return b""
