"""Text for people on a stream whose encoding is not UTF (``PYTHONIOENCODING=cp1252``, a
Latin-1 terminal): the characters b12check draws with get ASCII stand-ins, anything else the
encoding lacks a visible ``<U+XXXX>`` (``\\xFF`` for an undecodable byte), never an exception.

- ``for_people(stream)``: the same stream, set to replace what it cannot encode instead of
  raising (a safety net for everything written to it).
- ``fitter(encoding)``: the same replacement as a function on text, for text that is laid out
  (table cells) before it is written, so the columns are measured on what is really printed.
"""

import codecs
from collections.abc import Callable
from typing import IO, Final

from b12check.render.safe import placeholder

ERRORS: Final = "b12check-people"
_STAND_INS: Final = {
    "\u25cf": "*",  # ● the gauge's marker
    "\u25c0": "<",  # ◀ a censored value below the bands
    "\u25b6": ">",  # ▶ ... and above them
    "\u2192": "->",
    "\u2190": "<-",
    "\u2026": "...",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2014": "-",
    "\u2013": "-",
    "\u2212": "-",
    "\u00b7": "-",
    "\u2022": "*",
    "\u00d7": "x",
    "\u00b5": "u",
    "\u03bc": "u",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    **dict(zip("▁▂▃▄▅▆▇█", "_.-~=+*#", strict=True)),  # the sparkline, low to high
}
_HORIZONTAL: Final = frozenset("─━┄┅┈┉╌╍═╴╶╸╺╼╾")
_VERTICAL: Final = frozenset("│┃┆┇┊┋╎╏║╵╷╹╻╽╿")


def stand_in(char: str) -> str:
    """ASCII for one character an encoding lacks."""
    known = _STAND_INS.get(char)
    if known is not None:
        return known
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing (rich falls back to ASCII boxes itself)
        return "-" if char in _HORIZONTAL else "|" if char in _VERTICAL else "+"
    if 0x2400 <= code <= 0x241F:  # a control picture from visible(): name the control
        return f"<U+{code - 0x2400:04X}>"
    if code == 0x2421:
        return "<U+007F>"
    shown = placeholder(char)
    return shown if shown.isascii() else f"<U+{code:04X}>"


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(stand_in(char) for char in text), error.end


def _register() -> None:
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _replace)


def is_utf(encoding: str | None) -> bool:
    """Whether ``encoding`` can write every character (an unknown one is taken as not)."""
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def _same(text: str) -> str:
    return text


def fitter(encoding: str | None) -> Callable[[str], str]:
    """A function that gives text only characters ``encoding`` has (identity for UTF)."""
    if is_utf(encoding):
        return _same
    _register()
    name = encoding or "ascii"
    try:
        codecs.lookup(name)
    except LookupError:
        name = "ascii"

    def fit(text: str) -> str:
        if text.isascii():
            return text
        return text.encode(name, ERRORS).decode(name)

    return fit


def for_people(stream: IO[str]) -> IO[str]:
    """``stream``, set (in place) to write a stand-in for any character its encoding lacks.

    A UTF stream, or one without an encoding (``StringIO``), is returned untouched; so is a
    stream that cannot be reconfigured (anything but ``io.TextIOWrapper``)."""
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str) or is_utf(encoding):
        return stream
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return stream
    _register()
    reconfigure(errors=ERRORS)
    return stream
