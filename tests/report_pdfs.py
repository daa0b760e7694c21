"""PDF lab reports written for the tests with fpdf2 (a test-only dependency)."""

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

Row = Sequence[str]
COLUMN_X = (15.0, 75.0, 100.0, 115.0, 140.0)  # mm from the left edge
WIDE_X = (12.0, 70.0, 128.0, 186.0, 244.0)  # landscape, room for any column anywhere


def report_pdf(
    path: Path,
    pages: Sequence[Sequence[Row]],
    *,
    header: Row = ("Test", "Result", "Flag", "Units", "Reference Range"),
    patient: str = "Patient ID: PDF-4410     DOB: 1966-05-09     Sex: F",
    collected: str = "Collected: 2025-05-30",
    footer: bool = True,
    wide: bool = False,
) -> Path:
    """A report of one table per page, each page repeating the lab's title, the patient's
    details and the column headers, and ending with a 'Page N of M' footer."""
    pdf = FPDF(orientation="L" if wide else "P", format="A4")
    pdf.set_auto_page_break(False)
    columns = WIDE_X if wide else COLUMN_X
    pdf.set_font("Helvetica", size=10)
    for number, rows in enumerate(pages, 1):
        pdf.add_page()
        _text(pdf, 15, 12, "ELMWOOD PATHOLOGY SERVICES - Biochemistry")
        _text(pdf, 15, 20, patient)
        _text(pdf, 15, 26, collected)
        y = 38.0
        for row in (header, *rows):
            for x, cell in zip(columns, row, strict=False):
                if cell:
                    _text(pdf, x, y, cell)
            y += 6
        if footer:
            bottom = 195 if wide else 282
            _text(pdf, 15, bottom, f"Page {number} of {len(pages)}")
            _text(pdf, 150, bottom, "Printed 2025-05-31 09:02")
    pdf.output(str(path))
    return path


def blank_pdf(path: Path) -> Path:
    """A PDF with a page and no text on it, as a scanned report without OCR is."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_fill_color(200, 200, 200)
    pdf.rect(20, 20, 100, 60, style="F")  # a drawing, as a scan's image is: no text
    pdf.output(str(path))
    return path


def _text(pdf: FPDF, x: float, y: float, text: str) -> None:
    pdf.set_xy(x, y)
    pdf.cell(text=text)
