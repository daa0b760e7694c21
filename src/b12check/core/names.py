"""Folding analyte names and codes so that spelling, case and punctuation do not matter."""

import unicodedata

from b12check.core.lazyre import LazyPattern

_LOINC = LazyPattern(r"\s*([0-9]{1,7}-[0-9])\s*")


def name_key(text: str) -> str:
    """'25-OH Vitamin D' -> '25ohvitamind'; 'Transferrinsättigung' -> 'transferrinsattigung'."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def loinc_code(text: str) -> str | None:
    """The LOINC code in ``text`` if the whole text is one (``'2132-9'``), else None."""
    match = _LOINC.fullmatch(text)
    return match[1] if match else None
