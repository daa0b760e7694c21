"""Making input text harmless on the way out.

- Spreadsheets run a cell that starts with ``= + - @``, TAB or CR as a formula, even from a
  quoted CSV field, so such text cells get a leading apostrophe (also after leading spaces and
  on each line of a multi-line cell).
- Terminals act on control characters and escape sequences, bidi controls reorder what is
  shown, and zero-width, tag and filler characters make different text look the same. In
  human formats ``visible()`` shows every one of them as a visible placeholder.
"""

from typing import Final

from b12check.core.lazyre import LazyPattern

# compiled on first use: most cells and most runs need neither
_FORMULA_START: Final = LazyPattern(r"(?:^|(?<=[\n\r]))([ \u00a0]*)([=+\-@\t\r])")
_ASCII_CONTROLS: Final = LazyPattern("[\x00-\x1f\x7f]")


def _span(first: int, last: int) -> set[str]:
    return {chr(code) for code in range(first, last + 1)}


# Characters shown as placeholders whatever Python's Unicode tables say about them. Most are
# format characters (not printable, so caught anyway); the rest are printable but show nothing
# or change their neighbours unseen: fillers, joiners, variation selectors.
_ALWAYS_HIDDEN: Final = frozenset(
    {
        "\u00ad",  # soft hyphen
        "\u034f",  # combining grapheme joiner
        "\u061c",  # Arabic letter mark (bidi)
        "\u115f",  # Hangul fillers
        "\u1160",
        "\u3164",
        "\uffa0",
        "\u17b4",  # Khmer inherent vowels
        "\u17b5",
        "\u180e",  # Mongolian vowel separator
        "\u2800",  # braille blank
        "\ufeff",  # zero-width no-break space (BOM)
        "\U0001d159",  # musical null notehead
        "\U00016fe4",  # Khitan filler
    }
    | _span(0x180B, 0x180F)  # Mongolian free variation selectors
    | _span(0x200B, 0x200F)  # zero-width space, (non-)joiner, LRM, RLM
    | _span(0x2028, 0x202E)  # line/paragraph separators, bidi embeddings and overrides
    | _span(0x2060, 0x206F)  # word joiner, invisible operators, bidi isolates, deprecated
    | _span(0xFE00, 0xFE0F)  # variation selectors
    | _span(0xFFF9, 0xFFFB)  # interlinear annotation
    | _span(0xE0000, 0xE007F)  # tag characters
    | _span(0xE0100, 0xE01EF)  # variation selectors supplement
)
# Spaces other than U+0020 are not "printable" for Python, but they are seen as spaces.
_SPACES: Final = frozenset(
    {"\u00a0", "\u1680", "\u202f", "\u205f", "\u3000"} | _span(0x2000, 0x200A)
)


def neutralise_formula(text: str) -> str:
    """Prefix an apostrophe wherever a line of ``text`` could start a spreadsheet formula."""
    if not text or text == "-":  # a lone '-' (stdin's file name, a dash for "none") is no formula
        return text
    return _FORMULA_START.sub(lambda m: f"{m[1]}'{m[2]}", text)


def hidden(char: str) -> bool:
    """Whether a terminal could act on ``char`` or show it as nothing (or as something else)."""
    if char in _ALWAYS_HIDDEN:
        return True
    return not char.isprintable() and char not in _SPACES


def placeholder(char: str) -> str:
    """A visible stand-in for one hidden character; distinct characters get distinct ones."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02X}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """``text`` safe to show on a terminal: control characters (so every escape sequence),
    bidi controls, zero-width, tag, filler and variation characters and lone surrogates shown
    as visible placeholders; tabs and newlines become spaces. Plain text comes back as is."""
    if text.isprintable() and (text.isascii() or _ALWAYS_HIDDEN.isdisjoint(text)):
        return text
    text = text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    if text.isascii():  # only C0 controls and DEL can be hidden: one pass in C
        return _ASCII_CONTROLS.sub(lambda match: placeholder(match[0]), text)
    return "".join([placeholder(char) if hidden(char) else char for char in text])
