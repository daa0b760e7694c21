"""A PDF report's text layer, page by page, through pdfplumber (the ``pdf`` extra).

pdfplumber is imported only here, when a PDF is read; without it the file is one error
naming ``pip install 'b12check[pdf]'``. Each page's words are set out in lines as on the page
(``lay_out``): a word starts at the character column its left edge is at, and words further
apart than a space keep at least two spaces between them, so that columns stay apart as in
``pdftotext -layout`` output, whatever the font.
A PDF without any text (a scan or a photo) is refused: there is no OCR. A PDF is read whole
into memory (it is not a stream), up to ``PDF_CAP`` bytes.
"""

import io
from collections.abc import Iterable, Iterator
from typing import Any

from b12check.readers.report_text import ReportLine, expand_tabs

PDF_CAP = 64 << 20
INSTALL = "pip install 'b12check[pdf]'"
NO_TEXT = (
    "this PDF has no text layer (a scanned or photographed report?); b12check does not read "
    "text from images (no OCR): ask the lab or portal for the report as a text PDF, or type "
    "the results into a CSV file"
)


class PdfProblem(Exception):
    """The PDF cannot be read at all: one error record for the whole file."""


def pdf_bytes(chunks: Iterable[bytes]) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > PDF_CAP:
            raise PdfProblem(f"PDF larger than {PDF_CAP >> 20} MiB; not read")
        parts.append(chunk)
    return b"".join(parts)


def _pdfplumber() -> Any:
    try:
        import pdfplumber
    except ImportError:
        raise PdfProblem(
            f"reading a PDF needs pdfplumber, which is not installed: {INSTALL}"
        ) from None
    return pdfplumber


def pdf_lines(data: bytes) -> Iterator[ReportLine]:
    """The text lines of every page (raises PdfProblem when the file cannot be read or holds
    no text). ``number`` counts lines through the whole document, ``line`` on its page."""
    pdfplumber = _pdfplumber()
    try:
        document = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds for a damaged or encrypted file
        raise PdfProblem(f"looks like a PDF but cannot be read as one: {_why(exc)}") from None
    pages: list[list[str]] = []
    with document:
        try:
            for page in document.pages:
                pages.append(lay_out(page.extract_words(x_tolerance=1.5, y_tolerance=2)))
        except Exception as exc:
            raise PdfProblem(f"PDF page {len(pages) + 1} cannot be read: {_why(exc)}") from None
    if not pages:
        raise PdfProblem(
            "looks like a PDF but holds no page that can be read (damaged or cut short?)"
        )
    if not any(line.strip() for page in pages for line in page):
        raise PdfProblem(NO_TEXT)
    number = 0
    for page_number, lines in enumerate(pages, 1):
        for line_number, text in enumerate(_trimmed(lines), 1):
            number += 1
            yield ReportLine(page_number, line_number, number, expand_tabs(text))


def _trimmed(lines: list[str]) -> list[str]:
    """A page's lines without blank ones at its top and bottom."""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def lay_out(words: list[dict[str, Any]]) -> list[str]:
    """A page's words (pdfplumber's ``x0``, ``x1``, ``top``, ``bottom``, ``text``) as lines
    of text; a gap of more than two line heights between lines is a blank line."""
    if not words:
        return []
    widths = sorted((w["x1"] - w["x0"]) / max(len(w["text"]), 1) for w in words)
    char = max(widths[len(widths) // 2], 0.1)  # the usual width of a character
    heights = sorted(w["bottom"] - w["top"] for w in words)
    height = max(heights[len(heights) // 2], 0.1)
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= height * 0.4:
            rows[-1].append(word)
        else:
            rows.append([word])
    lines: list[str] = []
    last_top: float | None = None
    for row in rows:
        top = row[0]["top"]
        if last_top is not None and top - last_top > 2.2 * height:
            lines.append("")
        last_top = top
        lines.append(_line(sorted(row, key=lambda w: w["x0"]), char))
    return lines


def _line(words: list[dict[str, Any]], char: float) -> str:
    text = ""
    end_x: float | None = None
    for word in words:
        if end_x is not None and word["x0"] - end_x <= char * 1.2:
            text += " " + word["text"]  # the next word of a phrase: one space, wherever it is
        else:
            gap = 0 if end_x is None else 2
            text = text.ljust(max(round(word["x0"] / char), len(text) + gap)) + word["text"]
        end_x = word["x1"]
    return text


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
