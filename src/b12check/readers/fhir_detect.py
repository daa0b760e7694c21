"""Telling FHIR JSON by its first bytes, without loading the FHIR reader (every scan asks)."""

from typing import Final

BOM: Final = b"\xef\xbb\xbf"


def looks_like_fhir(first_bytes: bytes) -> bool:
    """Whether a file starting with these bytes is JSON to read as FHIR: a JSON object (its
    first character ``{``, after a byte-order mark and white space). CSV never starts so."""
    start = first_bytes.removeprefix(BOM).lstrip()
    return start.startswith(b"{")
