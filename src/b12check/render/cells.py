"""Turning record fields into text cells (shared by CSV, TSV and Markdown)."""

from typing import Any, Final

from b12check.core.lazyre import LazyPattern
from b12check.core.numbers import format_number
from b12check.core.records import NoteRef
from b12check.render.safe import placeholder

LIST_SEPARATOR = " | "
# Lone surrogates: how Python hands over bytes that are not UTF-8 (file names, arguments,
# environment variables decode with surrogateescape, byte 0xFF becoming U+DCFF).
_SURROGATE: Final = LazyPattern(r"[\ud800-\udfff]")


def escape_undecodable(text: str) -> str:
    """``text`` with each byte that was not UTF-8 written as the four characters ``\\xFF``
    (the terminal's convention; any other lone surrogate as ``<U+D800>``), so the output is
    always valid UTF-8."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda match: placeholder(match[0]), text)


def note_text(note: NoteRef) -> str:
    return f"{note.text} ({note.source})"


def cell(value: Any) -> str:
    """Plain text for one field: numbers without noise, lists joined with ' | '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return LIST_SEPARATOR.join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return LIST_SEPARATOR.join(
            note_text(v) if isinstance(v, NoteRef) else str(v) for v in value
        )
    return str(value)


def result_text(value_text: str | None, unit: str | None) -> str:
    """The result as given: '250 pg/mL' from either a glued value or a separate unit."""
    value = value_text or ""
    if not unit or unit in value:
        return value
    return f"{value} {unit}".strip()
