"""What the first chunk of a file says, before any row is read.

In the order the opener asks: is it CSV text at all (``not_csv``: workbooks, archives and
web pages by their magic bytes; a PDF is not refused here: the opener gives it to the report
reader); which encoding (``detect``: a byte-order mark; BOM-less
UTF-16, whose every other byte is NUL; refuse other binary data; strict UTF-8; else cp1252
with a warning); and which delimiter (Excel's ``sep=X`` first line, else ``sniff``). A forced
``--encoding`` or ``--delimiter`` skips the matching guess. Also here: how codecs are named in
messages, and what counts as blank text (no data under any delimiter).
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Final

from b12check.readers.row import FileProblem

DELIMITERS: Final = (",", ";", "\t", "|")
SNIFF_RECORDS = 20  # records looked at per candidate delimiter

# --------------------------------------------------------------------------------------------
# not CSV at all


def not_csv(prefix: bytes) -> str | None:
    """What a non-CSV file looks like, judged by its magic bytes; None if nothing matched.
    (The opener decompresses gzip, bzip2, xz and zstd itself: their messages here are for a
    compressed file found inside another.)"""
    if prefix.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if b"xl/" in prefix or b"[Content_Types].xml" in prefix:
            return "looks like an Excel workbook (.xlsx), not CSV; export it as CSV first"
        if b"opendocument.spreadsheet" in prefix:
            return "looks like an OpenDocument spreadsheet (.ods), not CSV; export it as CSV first"
        return "looks like a zip archive, not CSV; unzip it (or export the workbook as CSV) first"
    if prefix.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "looks like an old Excel workbook (.xls), not CSV; export it as CSV first"
    if prefix.startswith(b"\x1f\x8b"):
        return "looks like a gzip-compressed file, not plain CSV; decompress it first (gunzip)"
    if prefix.startswith(b"BZh") and prefix[4:10] == b"1AY&SY":
        return "looks like a bzip2-compressed file, not plain CSV; decompress it first (bunzip2)"
    if prefix.startswith(b"\xfd7zXZ\x00"):
        return "looks like an xz-compressed file, not plain CSV; decompress it first (unxz)"
    if prefix.startswith(b"\x28\xb5\x2f\xfd"):
        return "looks like a zstd-compressed file, not plain CSV; decompress it first (unzstd)"
    if prefix[257:262] == b"ustar":
        return "looks like a tar archive, not CSV; extract the CSV file from it first (tar -xf)"
    if prefix.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "looks like a 7-Zip archive, not CSV; extract the CSV file first"
    start = prefix[:512].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "looks like a web page (HTML), not CSV; download the CSV export instead"
    return None


_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


def looks_binary(prefix: bytes) -> bool:
    """Control bytes (other than white space and ESC) in more than a tenth of the sample.
    Asked only after the UTF-16 and UTF-32 checks, whose text is full of NULs."""
    sample = prefix[:8192]
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls >= 4 and controls * 10 > len(sample)


# --------------------------------------------------------------------------------------------
# encodings


def display_name(codec: str) -> str:
    """The codec as messages name it: "UTF-8" for both UTF-8 spellings, and so on."""
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}.get(
        codec, codec
    )


def suggest(codec: str) -> str:
    """The ``--encoding`` worth trying when ``codec`` failed."""
    if codec in ("utf-8", "utf-8-sig"):
        return "cp1252"
    if codec == "cp1252":
        return "latin-1"
    return "ENCODING (the file's real encoding)"


def ascii_compatible(codec: str) -> bool:
    """True if line ends, quotes and letters are single ASCII bytes in ``codec``, so that
    lines can be counted in the raw bytes."""
    if codec == "utf-8-sig":
        return True
    try:
        return '\r\n",a'.encode(codec) == b'\r\n",a'
    except (UnicodeError, LookupError):
        return False


def line_of(data: bytes, offset: int) -> int:
    """Physical line (1-based) of byte ``offset`` in ASCII-compatible ``data``."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _utf16_guess(prefix: bytes) -> str | None:
    """BOM-less UTF-16: text whose every other byte is NUL."""
    sample = prefix[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : 2 * pairs : 2].count(0)
    odd = sample[1 : 2 * pairs : 2].count(0)
    if odd * 10 >= pairs * 4 and even * 20 <= pairs:
        return "utf-16-le"
    if even * 10 >= pairs * 4 and odd * 20 <= pairs:
        return "utf-16-be"
    return None


def decode_prefix(prefix: bytes, codec: str, at_eof: bool) -> tuple[codecs.IncrementalDecoder, str]:
    """A strict incremental decoder for ``codec`` and the text of ``prefix`` (raises
    UnicodeDecodeError); the decoder carries on with the bytes after the prefix."""
    dec = codecs.getincrementaldecoder(codec)("strict")
    return dec, dec.decode(prefix, at_eof)


def bad_byte(prefix: bytes, exc: UnicodeDecodeError, codec: str) -> tuple[str, int | None]:
    """'byte 0xB5 at byte offset 145', and the line, for a decoding error in the prefix."""
    base = "utf-8" if codec == "utf-8-sig" else codec
    offset = exc.start
    try:  # a non-incremental decode gives offsets relative to the whole prefix
        prefix.decode(base)
    except UnicodeDecodeError as whole:
        offset = whole.start
    except LookupError:
        pass
    byte = prefix[offset] if offset < len(prefix) else 0
    line = line_of(prefix, offset) if ascii_compatible(codec) else None
    where = f"byte 0x{byte:02X} at byte offset {offset}"
    return (where + f", line {line}" if line is not None else where), line


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect(prefix: bytes, at_eof: bool) -> tuple[str, codecs.IncrementalDecoder, str, list[str]]:
    """(codec, its decoder, the prefix's text, warnings); raises FileProblem when no
    encoding fits."""
    warnings: list[str] = []
    for bom, codec in _BOMS:
        if prefix.startswith(bom):
            try:
                dec, text = decode_prefix(prefix, codec, at_eof)
            except UnicodeDecodeError as exc:
                where, line = bad_byte(prefix, exc, codec)
                raise FileProblem(
                    f"not valid {display_name(codec)} despite its byte-order mark ({where}); "
                    "rerun with --encoding ENCODING",
                    line,
                ) from None
            return codec, dec, text, warnings
    guess = _utf16_guess(prefix)
    if guess is not None:
        try:
            dec, text = decode_prefix(prefix, guess, at_eof)
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"no byte-order mark, but looks like UTF-16; read as {guess}")
            return guess, dec, text, warnings
    if looks_binary(prefix):
        raise FileProblem("looks like a binary file, not CSV text")
    try:
        dec, text = decode_prefix(prefix, "utf-8", at_eof)
    except UnicodeDecodeError as exc:
        where, line = bad_byte(prefix, exc, "utf-8")
    else:
        return "utf-8", dec, text, warnings
    try:
        dec, text = decode_prefix(prefix, "cp1252", at_eof)
    except UnicodeDecodeError as exc:
        where2, _ = bad_byte(prefix, exc, "cp1252")
        raise FileProblem(
            f"not valid UTF-8 ({where}) nor cp1252 ({where2}); rerun with --encoding ENCODING",
            line,
        ) from None
    warnings.append(f"not valid UTF-8; read as cp1252 (first non-UTF-8 {where})")
    return "cp1252", dec, text, warnings


# --------------------------------------------------------------------------------------------
# delimiters and blank text


def first_eol(text: str) -> int:
    """Index of the first CR or LF in ``text``, or -1."""
    i = text.find("\n")
    j = text.find("\r")
    if i < 0:
        return j
    if j < 0:
        return i
    return min(i, j)


def split_sep_line(text: str, at_eof: bool) -> tuple[str | None, str, bool]:
    """Excel's ``sep=X`` first line: (X, text without that line, LF still to drop)."""
    if text[:4].lower() != "sep=":
        return None, text, False
    i = first_eol(text)
    if i < 0 and not at_eof:
        return None, text, False
    first = text if i < 0 else text[:i]
    value = first[4:].rstrip(" ")
    if value not in DELIMITERS:
        return None, text, False
    if i < 0:
        return value, "", False
    j = i + 1
    drop_lf = False
    if text[i] == "\r":
        if j < len(text):
            if text[j] == "\n":
                j += 1
        elif not at_eof:
            drop_lf = True
    return value, text[j:], drop_lf


def records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    """Up to ``limit`` non-blank records of ``text`` (lenient parsing, for sniffing)."""
    out: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in rec):
                out.append(rec)
                if len(out) >= limit:
                    break
    except csv.Error:
        pass
    return out


_SEPARATORS = " \t\r\n" + "".join(DELIMITERS)


def sniff(text: str, at_eof: bool) -> str:
    """The delimiter giving the most records with one column count >= 2 (ties: more columns,
    then the order of DELIMITERS). Preamble lines without delimiters do not count, nor do
    blank rows (cells holding nothing but spaces and other delimiters, like ``,,,,<TAB>``)."""
    sample = text
    if not at_eof:
        cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        if cut:
            sample = text[:cut]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        freq: dict[int, int] = {}
        for rec in records(sample, delimiter, SNIFF_RECORDS):
            if len(rec) >= 2 and any(cell.strip(_SEPARATORS) for cell in rec):
                freq[len(rec)] = freq.get(len(rec), 0) + 1
        if freq:
            score = max((count, width) for width, count in freq.items())
            if score > best_score:
                best, best_score = delimiter, score
    return best


_NO_DELIMITERS: Final = str.maketrans(dict.fromkeys(DELIMITERS, " "))


def blank(text: str, delimiter: str | None = None) -> bool:
    """Only blank lines: white space, or rows of nothing but delimiters (Excel's empty
    ``,,,,`` rows). Without a known ``delimiter`` every one b12check reads counts (such text
    holds no data whatever the delimiter turns out to be); with one, only it does."""
    first = text[:1]
    if not first:
        return True
    marks = DELIMITERS if delimiter is None else delimiter
    if not first.isspace() and first not in marks:
        return False  # the usual case, told without looking further
    if text.isspace():
        return True
    table = _NO_DELIMITERS if delimiter is None else str.maketrans(delimiter, " ")
    return text.translate(table).isspace()
