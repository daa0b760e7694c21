"""Telling FHIR JSON by its first bytes, without loading the FHIR reader (every scan asks)."""

from typing import Final

BOM: Final = b"\xef\xbb\xbf"


def looks_like_fhir(first_bytes: bytes) -> bool:
    """Whether a file starting with these bytes is JSON to read as FHIR: a JSON object, that is
    ``{`` and then a quoted name or ``}`` (after a byte-order mark and white space). A CSV
    whose first cell merely starts with a brace (``{``, ``{a}``) is read as CSV."""
    start = first_bytes.removeprefix(BOM).lstrip()
    return start.startswith(b"{") and start[1:].lstrip()[:1] in (b'"', b"}")
