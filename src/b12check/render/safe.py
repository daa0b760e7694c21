"""Making input text harmless on the way out.

- Spreadsheets run a cell that starts with ``= + - @``, TAB or CR as a formula, even from a
  quoted CSV field, so such text cells get a leading apostrophe (also after leading spaces and
  on each line of a multi-line cell).
- Terminals act on control characters and escape sequences, and bidi overrides reorder what is
  shown; in human formats they are replaced by visible placeholders.
"""

import re
from typing import Final

from b12check.lazyre import LazyPattern

# compiled on first use: most cells and most runs need neither
_FORMULA_START: Final = LazyPattern(r"(?:^|(?<=[\n\r]))([ \u00a0]*)([=+\-@\t\r])")
_CONTROLS: Final = LazyPattern(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def neutralise_formula(text: str) -> str:
    """Prefix an apostrophe wherever a line of ``text`` could start a spreadsheet formula."""
    if not text or text == "-":  # a lone '-' (stdin's file name, a dash for "none") is no formula
        return text
    return _FORMULA_START.sub(lambda m: f"{m[1]}'{m[2]}", text)


def _placeholder(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """Show control characters and bidi overrides as visible placeholders (tabs and newlines
    become spaces)."""
    text = text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    return _CONTROLS.sub(_placeholder, text)
