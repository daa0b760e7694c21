"""Property: in any report b12check reads, each value is read under its own test or
reported as an error at its line; none is ever paired with another line's test.

Reports vary their column order, spacing, header words, line breaks and page breaks (a page
break repeats the title, the patient's details and the column headers, as labs print them).
"""

import io
from typing import NamedTuple

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from b12check.core.records import Record
from b12check.core.refdata import load_reference
from b12check.core.settings import Settings
from b12check.readers.context import RowDates
from b12check.readers.layout import HeaderIndex
from b12check.readers.report_scan import read_report
from b12check.readers.source import open_source

REFERENCE = load_reference()
# the test's own names, units and usual values (not read from b12check's data)
TESTS = {
    "b12": (("Vitamin B12", "Cobalamin", "Vitamin B-12"), "pg/mL", (150, 900)),
    "ferritin": (("Ferritin", "Ferritin, Serum"), "ng/mL", (5, 400)),
    "iron": (("Iron", "Serum Iron", "Iron, Serum"), "ug/dL", (30, 200)),
    "tibc": (("TIBC", "Total Iron Binding Capacity"), "ug/dL", (200, 500)),
    "tsat": (("Transferrin Saturation", "Iron Saturation"), "%", (5, 60)),
    "vitamin_d": (("Vitamin D, 25-OH", "25-Hydroxyvitamin D"), "ng/mL", (5, 80)),
    "magnesium": (("Magnesium", "Magnesium, Serum"), "mmol/L", (1, 2)),
}
HEADER_WORDS = {
    "test": ("Test", "Test Name", "Analyte", "Component"),
    "result": ("Result", "Value", "Your Value"),
    "unit": ("Units", "Unit", "UOM"),
    "range": ("Reference Range", "Ref Range", "Normal Range"),
    "flag": ("Flag", "H/L"),
}


class Made(NamedTuple):
    analyte: str
    name: str
    value: str
    unit: str
    flag: str


@st.composite
def results(draw: st.DrawFn) -> Made:
    analyte = draw(st.sampled_from(sorted(TESTS)))
    names, unit, (low, high) = TESTS[analyte]
    number = draw(st.integers(low * 10, high * 10)) / 10
    value = f"{number:g}" if draw(st.booleans()) else f"{number:.1f}"
    return Made(analyte, draw(st.sampled_from(names)), value, unit, draw(st.sampled_from("HL ")))


def cells(made: Made, order: list[str]) -> list[str]:
    by_role = {
        "test": made.name,
        "result": made.value,
        "unit": made.unit,
        "range": "10 - 999",
        "flag": made.flag.strip(),
    }
    return [by_role[role] for role in order]


@st.composite
def reports(draw: st.DrawFn) -> tuple[str, dict[int, Made]]:
    """A report's text and, by physical line, the result each line was written with."""
    rows = draw(st.lists(results(), min_size=1, max_size=12))
    order = draw(st.permutations(list(HEADER_WORDS)))
    header = [draw(st.sampled_from(HEADER_WORDS[role])) for role in order]
    markdown = draw(st.booleans())
    gap = draw(st.integers(2, 6))
    widths = [
        max(len(header[i]), *(len(cells(r, order)[i]) for r in rows)) + gap
        for i in range(len(order))
    ]

    def line(texts: list[str]) -> str:
        if markdown:
            return "| " + " | ".join(texts) + " |"
        return "".join(t.ljust(w) for t, w in zip(texts, widths, strict=True)).rstrip()

    def page_top(first: bool) -> list[str]:
        top = ["" if first else "\f", "Patient ID: P-77  Sex: F  DOB: 1980-01-02", ""]
        top.append(line(header))
        if markdown:
            top.append("|" + "|".join("---" for _ in order) + "|")
        return top

    lines = page_top(True)
    written: dict[int, Made] = {}
    for index, made in enumerate(rows):
        if index and draw(st.integers(0, 5)) == 0:  # a page break, the header repeated
            lines.append("Page footer - continued overleaf")
            lines.extend(page_top(False))
        elif draw(st.integers(0, 4)) == 0:
            lines.append("")  # a blank line between results
        lines.append(line(cells(made, order)))
        written[len(lines)] = made
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + end, written


def read(text: str) -> list[Record]:
    source = open_source("-", stdin=io.BytesIO(text.encode()))
    assert source.kind == "report"
    settings_ = Settings(REFERENCE, notes="none")
    return list(read_report(settings_, HeaderIndex(REFERENCE.headers), RowDates(None), source, {}))


@settings(max_examples=120, deadline=None)
@given(reports())
def test_every_value_is_read_under_its_own_test_or_reported(
    report: tuple[str, dict[int, Made]],
) -> None:
    text, written = report
    records = read(text)
    by_line = {r.line: r for r in records}
    for record in records:
        assert record.line in written, f"a record for line {record.line}, which holds no result"
    for number, made in written.items():
        found = by_line.get(number)
        assert found is not None, f"line {number} ({made}) gave no record"
        if found.status == "error":
            continue  # reported, with its line: never guessed
        assert found.analyte == made.analyte, (found.analyte, made)
        assert found.value_text == made.value
        assert (found.lab_flag or "") == made.flag.strip()
        assert found.locator is not None and found.locator.startswith("page ")
        assert found.patient == "P-77"


@settings(max_examples=80, deadline=None)
@given(
    st.lists(results(), min_size=1, max_size=8),
    st.sampled_from([": ", "  ", "\t", ":\t"]),
    st.sampled_from([" ", "  ", "   "]),
)
def test_name_value_lines_in_any_spacing(rows: list[Made], after_name: str, space: str) -> None:
    lines = [f"{m.name}{after_name}{m.value}{space}{m.unit}{space}{m.flag}".rstrip() for m in rows]
    records = read("\n".join(lines) + "\n")
    assert len(records) == len(rows)
    for record, made in zip(records, rows, strict=True):
        if record.status == "error":
            continue
        assert (record.analyte, record.value_text) == (made.analyte, made.value)


@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(
    st.lists(st.lists(results(), min_size=1, max_size=6), min_size=1, max_size=3),
    st.permutations([0, 1, 2, 3, 4]),
)
def test_pdf_reports_in_any_column_order(pages: list[list[Made]], order: list[int]) -> None:
    """The same property through a PDF's text layer, pages and columns shuffled (without
    shrinking: each example writes a PDF)."""
    import tempfile
    from pathlib import Path

    from b12check.readers.report_pdf import pdf_lines
    from b12check.readers.report_records import ReportReader
    from tests.report_pdfs import report_pdf

    names = ("Test", "Result", "Flag", "Units", "Reference Range")
    rows = [
        [[(m.name, m.value, m.flag.strip(), m.unit, "10 - 999")[i] for i in order] for m in page]
        for page in pages
    ]
    with tempfile.TemporaryDirectory() as folder:
        header = [names[i] for i in order]
        path = report_pdf(Path(folder) / "r.pdf", rows, header=header, wide=True)
        lines = list(pdf_lines(path.read_bytes()))
    reader = ReportReader(
        Settings(REFERENCE, notes="none"), HeaderIndex(REFERENCE.headers), RowDates(None), "r"
    )
    records = list(reader.records(lines))
    made = [m for page in pages for m in page]
    assert len(records) == len(made)
    for record, expected in zip(records, made, strict=True):
        if record.status == "error":
            continue
        assert (record.analyte, record.value_text) == (expected.analyte, expected.value)
