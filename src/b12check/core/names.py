"""Folding analyte names and codes so that spelling, case and punctuation do not matter.

Every letter of every script is kept: text is NFKC-normalised and case-folded, accents come
off Latin letters only ("ä" -> "a", "й" stays "й"), and everything that is not a letter or
a digit separates words. So "D-димер" folds to the words ``("d", "димер")`` and can never be
taken for the vitamin D alias "D".
"""

import unicodedata
from functools import lru_cache

from b12check.core.lazyre import LazyPattern

_LOINC = LazyPattern(r"\s*([0-9]{1,7}-[0-9])\s*")
_ASCII_WORD = LazyPattern(r"[a-z0-9]+")
FOLD_CACHE = 8192  # distinct texts whose words are remembered (exports repeat a few labels)


def _latin_base(char: str) -> str:
    """``char`` without its accents when it is an accented Latin letter, else ``char``."""
    decomposed = unicodedata.normalize("NFD", char)
    base = decomposed[0]
    if base.isascii() and base.isalpha() and all(unicodedata.combining(c) for c in decomposed[1:]):
        return base
    return char


@lru_cache(maxsize=FOLD_CACHE)
def name_words(text: str) -> tuple[str, ...]:
    """The folded words of ``text``: '25-OH Vitamin D' -> ('25', 'oh', 'vitamin', 'd')."""
    if text.isascii():  # (NFKC leaves ASCII as it is, and casefolds it to lower case)
        return tuple(_ASCII_WORD.compiled.findall(text.lower()))
    folded = unicodedata.normalize("NFKC", text).casefold()
    words: list[str] = []
    current: list[str] = []
    for char in folded:
        if char.isascii():
            if char.isalnum():
                current.append(char)
                continue
        elif char.isalnum():
            current.append(_latin_base(char))
            continue
        elif unicodedata.combining(char):
            # A mark the normalisation left apart: part of the letter before it (dropped
            # after a Latin letter, as the accent of a composed one would be).
            if current and not current[-1].isascii():
                current.append(char)
            continue
        if current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return tuple(words)


def name_key(text: str) -> str:
    """'25-OH Vitamin D' -> '25ohvitamind'; 'Transferrinsättigung' -> 'transferrinsattigung';
    'Ферритин' -> 'ферритин'. Empty only for a text with no letter or digit at all."""
    return "".join(name_words(text))


def loinc_code(text: str) -> str | None:
    """The LOINC code in ``text`` if the whole text is one (``'2132-9'``), else None."""
    match = _LOINC.fullmatch(text)
    return match[1] if match else None
