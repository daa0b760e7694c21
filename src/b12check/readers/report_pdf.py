"""A PDF report's text layer, page by page, through pdfplumber (the ``pdf`` extra).

pdfplumber is imported only here, when a PDF is read; without it the file is one error
naming ``pip install 'b12check[pdf]'``. Each page's text is laid out as on the page (runs of
spaces keep the columns apart), so the lines read as ``pdftotext -layout`` would give them.
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
                text = page.extract_text(layout=True) or ""
                pages.append([line.rstrip() for line in text.split("\n")])
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
    """A page's lines without the blank ones layout mode pads its top and bottom with."""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
