"""HL7 v2 text (ER7, the ``MSH|^~\\&|`` form): recognising it, and its segments, separators,
escapes and dates.

Segments end at CR, LF or CRLF (each counts one line, as an editor counts them); MLLP framing
(``0x0B`` before a message, ``0x1C 0x0D`` after it) is dropped wherever it stands; the field,
component, repetition, escape and subcomponent separators are those MSH-1 and MSH-2 declare
(FHS and BHS batch headers declare theirs the same way). The bytes are read chunk by chunk, so
memory stays flat however many messages a file holds. ``hl7_records`` turns the segments into
records.
"""

import codecs
from collections.abc import Iterable, Iterator
from datetime import date
from typing import NamedTuple

from b12check.core.lazyre import LazyPattern

HEADER_SEGMENTS = (b"MSH", b"FHS", b"BHS")  # segments that declare the separators
MLLP_BYTES = b"\x0b\x1c"  # start block and end block of MLLP framing
_NAME = LazyPattern(r"[A-Z][A-Z0-9]{2}")
# DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]
_DTM = LazyPattern(
    r"([0-9]{4})([0-9]{2})?([0-9]{2})?((?:[0-9]{2}){1,3}(?:\.[0-9]{1,4})?)?([+-][0-9]{4})?"
)
_CHARSETS = {  # MSH-18 (table 0211) to a Python codec
    "ascii": "ascii",
    "8859/1": "latin-1",
    "8859/2": "iso8859-2",
    "8859/15": "iso8859-15",
    "unicode utf-8": "utf-8",
    "utf-8": "utf-8",
}


def looks_like_hl7(first_bytes: bytes) -> bool:
    """Whether a file's first bytes are an HL7 v2 message (or batch) in ER7: ``MSH``,
    ``FHS`` or ``BHS`` then a field separator and the encoding characters, after an optional
    byte-order mark, MLLP start block or blank lines."""
    head = first_bytes[:512].removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n\x0b")
    if head[:3] not in HEADER_SEGMENTS or len(head) < 5:
        return False
    field, first_encoding = head[3:4], head[4:5]
    return _separator_byte(field) and _separator_byte(first_encoding) and field != first_encoding


def _separator_byte(byte: bytes) -> bool:
    return byte.isascii() and not byte.isalnum() and byte not in b" \t\r\n\x0b\x1c"


class Line(NamedTuple):
    """One physical line: its 1-based number and its bytes without the line end and MLLP
    framing (None for a line over the cap, which is not kept)."""

    number: int
    data: bytes | None
    start: bytes = b""  # for a line over the cap: its first bytes (the segment name)


def lines(chunks: Iterable[bytes], cap: int) -> Iterator[Line]:
    """The non-blank lines of a byte stream given in chunks; a line longer than ``cap`` bytes
    comes as ``Line(n, None)`` and is never held whole."""
    pending = b""
    number = 1
    skipping = False  # inside a line over the cap, dropping its bytes until its end
    for chunk in chunks:
        data = pending + chunk
        hold = 1 if data.endswith(b"\r") else 0  # maybe half of a CRLF: wait for the next
        ended = data[: len(data) - hold].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        parts = ended.split(b"\n")
        pending = parts.pop() + data[len(data) - hold :]
        for part in parts:
            if skipping:
                skipping = False
            elif len(part) > cap:  # whole in this chunk, but over the cap all the same
                yield _over(number, part)
            else:
                line = _line(number, part)
                if line is not None:
                    yield line
            number += 1
        if len(pending) > cap:
            if not skipping:
                yield _over(number, pending)
            skipping, pending = True, pending[-1:] if pending.endswith(b"\r") else b""
    if pending.endswith(b"\r"):
        pending = pending[:-1]
    if pending and not skipping:
        line = _over(number, pending) if len(pending) > cap else _line(number, pending)
        if line is not None:
            yield line


def segments(found: Iterable[Line]) -> Iterator[tuple[Line, list[int]]]:
    """Each segment's line with the numbers of the lines that continue it: lines that do not
    start with a segment name, as when a line break was written inside a field."""
    held: tuple[Line, list[int]] | None = None
    for line in found:
        if held is not None and line.data is not None and not starts_segment(line.data):
            held[1].append(line.number)
            continue
        if held is not None:
            yield held
        held = (line, [])
    if held is not None:
        yield held


def starts_segment(data: bytes) -> bool:
    """Whether a line starts with a segment name (``OBX|``, ``ZDS|``, a bare ``PV1``)."""
    name, after = data[:3], data[3:4]
    return (
        len(name) == 3
        and name.isascii()
        and name.isalnum()
        and name.isupper()
        and name[:1].isalpha()
        and not (after.isalnum() or after.isspace())
    )


def _over(number: int, data: bytes) -> Line:
    return Line(number, None, data[:8].lstrip(MLLP_BYTES)[:3])


def _line(number: int, data: bytes) -> Line | None:
    data = data.strip(MLLP_BYTES)
    if number == 1:
        data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        return None
    return Line(number, data.rstrip(b" \t"))


def codec_for(charset: str) -> str | None:
    """The codec of an MSH-18 character set (the first repetition), None if not known."""
    return _CHARSETS.get(charset.strip().casefold())


class Separators(NamedTuple):
    field: str
    component: str
    repetition: str
    escape: str
    subcomponent: str


def read_separators(segment: str) -> Separators | str:
    """The separators an MSH, FHS or BHS segment declares, or why they cannot be read."""
    if len(segment) < 5:
        return "too short to hold the field separator and encoding characters"
    field = segment[3]
    declared = segment[4:].split(field, 1)[0]
    if not declared:
        return "MSH-2 (encoding characters) is empty"
    chars = (declared + "\0\0\0\0")[:4]  # a missing one is never in the text
    if (
        any(c.isalnum() or c.isspace() for c in (field, *declared))
        or len(set(field + declared)) < len(declared) + 1
    ):
        return f"the separators {field + declared!r} are not distinct punctuation"
    return Separators(field, chars[0], chars[1], chars[2], chars[3])


def segment_name(segment: str) -> str | None:
    """The 3-character segment name (``OBX``), None when the text does not start with one."""
    name = segment[:3]
    return name if _NAME.fullmatch(name) else None


def fields(segment: str, separators: Separators) -> list[str]:
    """The fields of a segment, indexed as HL7 numbers them: ``fields(obx)[5]`` is OBX-5.
    For MSH (and FHS, BHS) item 1 is the field separator itself, as MSH-1 is."""
    parts = segment.split(separators.field)
    if parts[0] in ("MSH", "FHS", "BHS"):
        parts.insert(1, separators.field)
    return parts


def field(parts: list[str], number: int) -> str:
    """Field ``number`` (``''`` when the segment is shorter)."""
    return parts[number] if number < len(parts) else ""


def components(text: str, separators: Separators) -> list[str]:
    """The components of the first repetition of a field (escapes not yet resolved)."""
    return text.split(separators.repetition, 1)[0].split(separators.component)


def component(text: str, separators: Separators, number: int) -> str:
    """Component ``number`` (1-based) of the first repetition, its first subcomponent,
    unescaped and stripped; ``''`` when missing."""
    if (
        separators.component not in text
        and separators.repetition not in text
        and separators.subcomponent not in text
        and separators.escape not in text
    ):  # the common case: a plain value
        return text.strip() if number == 1 else ""
    parts = components(text, separators)
    if number > len(parts):
        return ""
    return unescape(parts[number - 1].split(separators.subcomponent, 1)[0], separators).strip()


def unescape(text: str, separators: Separators) -> str:
    """``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` as the separators they stand for, ``\\Xhh…\\`` as the
    UTF-8 (else Latin-1) text of those bytes, ``\\.br\\`` as a space and ``\\H\\ \\N\\``
    (highlighting) dropped. Any other escape, or an unterminated one, is kept as written."""
    escape = separators.escape
    if escape == "\0" or escape not in text:
        return text
    out: list[str] = []
    position = 0
    while True:
        start = text.find(escape, position)
        end = text.find(escape, start + 1) if start >= 0 else -1
        if end < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        replacement = _escaped(text[start + 1 : end], separators)
        if replacement is None:  # not an escape we know: keep it, read on after it
            out.append(text[start : end + 1])
        else:
            out.append(replacement)
        position = end + 1


def _escaped(code: str, separators: Separators) -> str | None:
    simple = {
        "F": separators.field,
        "S": separators.component,
        "T": separators.subcomponent,
        "R": separators.repetition,
        "E": separators.escape,
        ".br": " ",
        "H": "",
        "N": "",
    }
    if code in simple:
        return simple[code]
    if code[:1] == "X" and len(code) > 1 and len(code) % 2 == 1:
        try:
            data = bytes.fromhex(code[1:])
        except ValueError:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return None


def hl7_date(text: str) -> tuple[str | None, str | None]:
    """A DTM (``20250314``, ``202503140830``, ``20250314083000.0000+0100``) as (ISO date
    ``YYYY-MM-DD``, None); a date without its day keeps ``YYYY-MM`` or ``YYYY`` with a
    warning; an unreadable one gives (None, warning). ``''`` gives (None, None)."""
    stripped = text.strip()
    if not stripped:
        return None, None
    match = _DTM.fullmatch(stripped)
    if match is None:
        return None, f"date {stripped!r} is not an HL7 date (YYYYMMDD[HHMM[SS]])"
    year, month, day = match[1], match[2], match[3]
    if month is None or day is None:
        partial = year if month is None else f"{year}-{month}"
        if month is not None and not 1 <= int(month) <= 12:
            return None, f"date {stripped!r} is not a valid calendar date"
        return partial, f"date {stripped!r} gives no day"
    try:
        return date(int(year), int(month), int(day)).isoformat(), None
    except ValueError:
        return None, f"date {stripped!r} is not a valid calendar date"
