"""Lab reports as PDFs and as text: each value read right or reported, never under the
wrong test (issue 18)."""

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from b12check.readers.source import open_source
from tests.conftest import invoke, run_cli
from tests.report_pdfs import blank_pdf, report_pdf

REPORTS = Path(__file__).parent / "fixtures" / "reports"


def scan(*args: str, input: str | None = None) -> tuple[int, list[dict[str, Any]], str]:
    result = invoke("scan", *args, "--format", "json", "--notes", "none", input=input)
    return result.exit_code, json.loads(result.stdout)["records"], result.stderr


def read(record: dict[str, Any]) -> tuple[Any, ...]:
    """What a person checks of a result: where, which test, the value and flags."""
    return (
        record["locator"],
        record["analyte"],
        record["value_text"],
        record["unit"],
        record["lab_range"],
        record["lab_flag"],
    )


def errors(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["locator"], r["reason"]) for r in records if r["status"] == "error"]


# ------------------------------------------------------------------ layouts of text


def test_aligned_columns_over_two_pages_with_repeated_header_and_footer() -> None:
    code, records, _ = scan(str(REPORTS / "aligned-two-pages.txt"))
    results = [read(r) for r in records if r["status"] == "result"]
    assert results == [
        ("page 1, line 8", "b12", "162", "pg/mL", "200 - 900", "L"),
        ("page 1, line 10", "ferritin", "11", "ng/mL", "15 - 150", "L"),
        ("page 2, line 5", "iron", "38", "ug/dL", "50 - 170", "L"),
        ("page 2, line 6", "tibc", "455", "ug/dL", "250 - 450", "H"),
        ("page 2, line 7", "tsat", "8", "%", "20 - 50", "L"),
        ("page 2, line 8", "magnesium", "0.62", "mmol/L", "0.70 - 1.00", "L"),
        ("page 2, line 9", "vitamin_d", "18", "ng/mL", "30 - 100", "L"),
    ]
    (folate,) = [r for r in records if r["status"] == "skipped"]
    assert folate["label"] == "Folate" and folate["line"] == 9
    assert errors(records) == []
    b12 = records[0]
    # the header: patient, sex, collection date, and the age from the birth date (d/m/y)
    assert (b12["patient"], b12["sex"], b12["date"]) == ("NF-20931", "female", "2025-06-02")
    assert b12["age"] == pytest.approx(57.2, abs=0.05)
    assert b12["line"] == 8  # the physical line of the file; the locator counts on the page
    assert [r["line"] for r in records if r["analyte"] == "iron"] == [17]
    assert b12["source_text"].startswith("Vitamin B12") and "200 - 900" in b12["source_text"]
    assert code == 1  # deficient values, and nothing that could not be read


def test_in_range_and_out_of_range_columns_keep_the_column_as_the_labs_flag() -> None:
    _, records, _ = scan(str(REPORTS / "in-out-range.txt"))
    assert [read(r) for r in records] == [
        ("page 1, line 6", "b12", "412", "pg/mL", "232-1245", "normal"),
        ("page 1, line 7", "ferritin", "8", "ng/mL", "30-400", "L"),
        ("page 1, line 8", "iron", "212", "ug/dL", "38-169", "H"),
        ("page 1, line 9", "vitamin_d", "17", "ng/mL", "30-100", "out of range"),
        ("page 1, line 10", "magnesium", "2.0", "mg/dL", "1.6-2.6", "normal"),
    ]
    # Patient ID is preferred to the name on the same line; Gender and Age are read
    assert {(r["patient"], r["sex"], r["age"]) for r in records} == {("RH-55120", "male", 44)}


HEADER_OVER_TWO_LINES = """\
CITY LAB SERVICES                         Page 1 of 1
Name: Jane Example        DOB: 1980-04-02      Sex: F
Patient ID: MRN-44102     Collected: 2025-03-14

Test                       Result     Flag   Units     Reference Range
Ferritin                   30                ng/mL     15-150
Iron                       60                ug/dL     50-170
"""


def test_a_name_then_a_patient_id_below_it_are_one_person(tmp_path: Path) -> None:
    # (the preferred Patient ID a line under the name is the same person: sex and birth
    # date from the line above stay, so sex-specific bands apply)
    path = tmp_path / "report.txt"
    path.write_text(HEADER_OVER_TWO_LINES, encoding="utf-8")
    _, records, _ = scan(str(path))
    assert [(r["analyte"], r["patient"], r["sex"], r["age"]) for r in records] == [
        ("ferritin", "MRN-44102", "female", 44.94),
        ("iron", "MRN-44102", "female", 44.94),
    ]


def test_another_patient_after_results_keeps_nothing_of_the_last(tmp_path: Path) -> None:
    # (a second person's header, after the first one's results, must never inherit the
    # first person's sex or birth date)
    second = (
        HEADER_OVER_TWO_LINES.replace("CITY LAB SERVICES", "")
        .replace("Name: Jane Example        DOB: 1980-04-02      Sex: F", "")
        .replace("MRN-44102", "MRN-90001")
    )
    path = tmp_path / "report.txt"
    path.write_text(HEADER_OVER_TWO_LINES + second, encoding="utf-8")
    _, records, _ = scan(str(path))
    people = {(r["patient"], r["sex"], r["age"]) for r in records if r["status"] == "result"}
    assert people == {("MRN-44102", "female", 44.94), ("MRN-90001", None, None)}


def test_key_value_lines_and_vertical_blocks() -> None:
    _, records, _ = scan(str(REPORTS / "key-value.txt"))
    assert [read(r) for r in records if r["status"] == "result"] == [
        ("page 1, line 8", "b12", "250", "pg/mL", "200-900", None),
        ("page 1, line 9", "ferritin", "22", "ng/mL", None, "L"),
        ("page 1, line 10", "vitamin_d", "<10", "ng/mL", None, None),
        ("page 1, line 14", "iron", "61", "ug/dL", "50-170", "N"),
        ("page 1, line 19", "tibc", "380", "ug/dL", "250-450", None),
    ]
    assert records[2]["comparator"] == "<"
    assert errors(records) == [("page 1, line 11", "result pending")]
    assert {r["patient"] for r in records} == {"KV-7781"}
    assert records[0]["date"] == "2025-01-15" and records[0]["sex"] == "female"


def test_markdown_table_wrapped_name_is_an_error_not_iron() -> None:
    _, records, _ = scan(str(REPORTS / "markdown.md"))
    assert [read(r) for r in records if r["status"] == "result"] == [
        ("page 1, line 9", "b12", "145", "pg/mL", "200-900", "L"),
        ("page 1, line 10", "ferritin", "9", "ng/mL", "15-150", "L"),
        ("page 1, line 11", "iron", "30", "ug/dL", "50-170", "L"),
        ("page 1, line 14", "tsat", "7", "%", "20-50", "L"),
    ]
    ((where, reason),) = errors(records)
    assert where == "page 1, line 12" and "line 13" in reason and "Binding Capacity" in reason


def test_grid_table_never_files_tibc_415_under_iron() -> None:
    """The issue's case: a grid report whose TIBC row wraps (and a row with no test name)
    had 415 filed under iron and flagged critical_high."""
    _, records, _ = scan(str(REPORTS / "grid.txt"))
    assert not [r for r in records if r["analyte"] == "iron" and r["value_text"] == "415"]
    assert not [r for r in records if r["flag"] == "critical_high"]
    assert [read(r) for r in records if r["status"] == "result"] == [
        ("page 1, line 7", "b12", "520", "pg/mL", "200-900", None),
        ("page 1, line 9", "iron", "95", "ug/dL", "65-175", None),
        ("page 1, line 16", "ferritin", "180", "ng/mL", "30-400", None),
    ]
    wrapped, nameless = errors(records)
    assert wrapped[0] == "page 1, line 11" and "Binding Capacity" in wrapped[1]
    assert nameless[0] == "page 1, line 14" and "no test name" in nameless[1]


def test_pasted_portal_text_reads_what_is_certain_and_reports_the_rest() -> None:
    _, records, _ = scan(str(REPORTS / "pasted.txt"))
    assert [read(r) for r in records if r["status"] == "result"] == [
        ("page 1, line 2", "b12", "238", "pg/mL", "200 - 900 pg/mL", None),
        ("page 1, line 3", "ferritin", "15", "ng/mL", None, "L"),
        ("page 1, line 6", "tsat", "18", "%", "20 - 50", "L"),
    ]
    found = errors(records)
    assert [where for where, _ in found] == ["page 1, line 4", "page 1, line 5", "page 1, line 8"]
    assert "TIBC" in found[0][1]  # two tests on one line: neither is guessed
    assert "more than one number" in found[1][1]
    assert "line 7" in found[2][1]  # a value on the line under its name: not paired


def test_space_aligned_text_on_stdin_is_no_longer_silently_empty() -> None:
    text = "Test      Result  Units\nFerritin  40      ng/mL\n"
    code, records, _ = scan("-", input=text)
    assert [(r["analyte"], r["value"]) for r in records] == [("ferritin", 40.0)]
    code, records, stderr = scan("-", input="Just a letter\nwith no results in it\n")
    assert code == 3
    (record,) = records
    assert record["status"] == "error" and "no result line was found" in record["reason"]


def test_one_pasted_line_with_a_comma_in_its_name_gives_its_result() -> None:
    code, records, _ = scan("-", input="Vitamin D, 25-OH\t5.0 ng/mL H\n")
    assert code == 1
    assert [(r["analyte"], r["value_text"], r["lab_flag"]) for r in records] == [
        ("vitamin_d", "5.0", "H")
    ]


def test_csv_output_shows_the_place_and_the_source_line() -> None:
    result = invoke("scan", str(REPORTS / "key-value.txt"), "--format", "csv", "--notes", "none")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["column"] == "page 1, line 8: Vitamin B12: 250 pg/mL (Reference: 200-900)"


# ------------------------------------------------------------------ telling reports from CSV


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"test,result,unit\nFerritin,40,ng/mL\n", "csv"),
        (b"test|result|unit\nFerritin|40|ng/mL\nIron|80|ug/dL\n", "csv"),
        (b"test\tresult\nFerritin\t40\n", "csv"),
        (b"| Test | Result |\n|---|---|\n| Ferritin | 40 |\n", "report"),
        (b"+------+-----+\n| Test | Res |\n+======+=====+\n", "report"),
        (b"Test      Result\nFerritin  40\nIron      80\n", "report"),
        (b"Ferritin: 40 ng/mL\nIron: 80 ug/dL\n", "report"),
        # a tab table pasted from a portal with no header row is a report; a comma file with
        # a header is CSV, even when a cell of a row holds a tab
        (b"Ferritin\t40\tng/mL\nIron\t80\tug/dL\n", "report"),
        (b"patient_id,collected,analyte,value,unit\n250 H,2025-01-02,\t,% Saturation, %\n", "csv"),
        # one pasted result whose name holds a comma and a tab before its value: a report
        # (read as CSV it was a header with no rows, and nothing came out)
        (b"Vitamin D, 25-OH\t5.0 ng/mL H\n", "report"),
        (b"Iron, serum\t80\tug/dL\n", "report"),
    ],
)
def test_report_text_is_told_from_delimited_data(data: bytes, kind: str) -> None:
    with open_source("-", stdin=io.BytesIO(data)) as source:
        assert source.kind == kind


def test_a_given_delimiter_or_sep_line_keeps_a_file_csv() -> None:
    text = b"| Test | Result |\n|---|---|\n| Ferritin | 40 |\n"
    with open_source("-", stdin=io.BytesIO(text), delimiter="|") as source:
        assert source.kind == "csv"
    with open_source("-", stdin=io.BytesIO(b"sep=;\nTest Result\n")) as source:
        assert source.kind == "csv"


# ------------------------------------------------------------------ PDFs


PAGE_ONE = [
    ("Vitamin B12", "162", "L", "pg/mL", "200 - 900"),
    ("Ferritin", "11", "L", "ng/mL", "15 - 150"),
]
PAGE_TWO = [
    ("Iron", "38", "L", "ug/dL", "50 - 170"),
    ("TIBC", "415", "", "ug/dL", "250 - 450"),
    ("Vitamin D, 25-OH", "<10", "L", "ng/mL", "30 - 100"),
]


def test_pdf_report_over_two_pages(tmp_path: Path) -> None:
    path = report_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO])
    code, records, _ = scan(str(path))
    found = [
        (r["locator"].split(",")[0], r["analyte"], r["value_text"], r["unit"], r["lab_flag"])
        for r in records
    ]
    assert found == [
        ("page 1", "b12", "162", "pg/mL", "L"),
        ("page 1", "ferritin", "11", "ng/mL", "L"),
        ("page 2", "iron", "38", "ug/dL", "L"),
        ("page 2", "tibc", "415", "ug/dL", None),
        ("page 2", "vitamin_d", "<10", "ng/mL", "L"),
    ]
    assert {(r["patient"], r["sex"], r["date"]) for r in records} == {
        ("PDF-4410", "female", "2025-05-30")
    }
    assert records[3]["lab_range"] == "250 - 450" and records[3]["flag"] != "critical_high"
    assert all(r["source_text"] and r["locator"].startswith("page ") for r in records)


def test_pdf_without_a_text_layer_is_refused_no_ocr(tmp_path: Path) -> None:
    code, records, stderr = scan(str(blank_pdf(tmp_path / "scan.pdf")))
    assert code == 3
    (record,) = records
    assert "no text layer" in record["reason"] and "OCR" in record["reason"]


def test_pdf_without_the_extra_names_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = report_pdf(tmp_path / "report.pdf", [PAGE_ONE])
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # import pdfplumber fails
    code, records, stderr = scan(str(path))
    assert code == 3
    (record,) = records
    assert "pip install 'b12check[pdf]'" in record["reason"]
    assert "pip install 'b12check[pdf]'" in stderr


# ------------------------------------------------------------------ extract


@pytest.mark.parametrize(
    "name", ["aligned-two-pages.txt", "in-out-range.txt", "key-value.txt", "grid.txt"]
)
def test_extract_then_scan_reads_the_same_values(name: str, tmp_path: Path) -> None:
    path = str(REPORTS / name)
    extracted = invoke("extract", path)
    assert extracted.exit_code == 0, extracted.stderr
    out = tmp_path / "found.csv"
    out.write_text(extracted.stdout, encoding="utf-8")
    _, direct, _ = scan(path)
    _, again, _ = scan(str(out))

    def values(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        # a line not read without doubt gives no result either way (an error, or a row
        # skipped for want of a test name), and never a value
        return [
            ("no result", None)
            if r["status"] == "error"
            else (r["status"], r["analyte"], r["value"], r["flag"], r["lab_flag"])
            + (r["patient"], r["date"], r["age"])
            for r in records
        ]

    assert values(
        [
            {**r, "status": r["status"].replace("skipped", "error")} if not r["label"] else r
            for r in again
        ]
    ) == values(direct)
    rows = list(csv.DictReader(io.StringIO(extracted.stdout)))
    assert [(row["Page"], row["Line"]) for row in rows] == [
        tuple(r["locator"].removeprefix("page ").split(", line ")) for r in direct
    ]
    assert all(row["Source Text"] for row in rows)


def test_extract_of_a_pdf_through_a_real_process(tmp_path: Path) -> None:
    path = report_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO])
    done = run_cli(["extract", str(path)])
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    assert [(r["Page"], r["Test"], r["Result"]) for r in rows] == [
        ("1", "Vitamin B12", "162"),
        ("1", "Ferritin", "11"),
        ("2", "Iron", "38"),
        ("2", "TIBC", "415"),
        ("2", "Vitamin D, 25-OH", "<10"),
    ]
    assert done.stderr == b""


def test_extract_keeps_doubtful_lines_without_a_value_and_neutralises_formulas() -> None:
    text = '=HYPERLINK("x") Glucose  5.2 mmol/L  3.9-5.5\nIron 80 ug/dL TIBC 415 ug/dL\n'
    result = invoke("extract", "-", input=text)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["Test"].startswith("'=") and rows[0]["Source Text"].startswith("'=")
    assert rows[1]["Status"] == "error" and rows[1]["Result"] == ""
    assert "TIBC" in rows[1]["Problem"]


def test_extract_refuses_a_csv_and_says_to_scan_it() -> None:
    result = invoke("extract", "-", input="test,result\nFerritin,40\n")
    assert result.exit_code == 3
    assert "scan it directly" in result.stderr


def test_show_layout_says_a_report_is_read_line_by_line() -> None:
    result = invoke("scan", str(REPORTS / "grid.txt"), "--show-layout")
    assert "layout: a lab report (report text, not delimited data)" in result.stdout
    assert "delimiter" not in result.stdout


def test_a_grid_ruling_ends_a_row_so_a_heading_row_after_it_is_no_continuation() -> None:
    text = (
        "+-------------------+--------+-------+\n"
        "| Test              | Result | Units |\n"
        "+===================+========+=======+\n"
        "| Vitamin B12       | 520    | pg/mL |\n"
        "+-------------------+--------+-------+\n"
        "| Iron studies      |        |       |\n"
        "+-------------------+--------+-------+\n"
        "| Ferritin          | 180    | ng/mL |\n"
        "+-------------------+--------+-------+\n"
    )
    _, records, _ = scan("-", input=text)
    assert [(r["analyte"], r["value_text"], r["line"]) for r in records] == [
        ("b12", "520", 4),
        ("ferritin", "180", 8),
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("Ferritin < 30 ng/mL indicates deficiency", "words after the value"),
        ("Patient ID: X-1   Sex: F    Vitamin B12: 350 pg/mL", "patient's details"),
        ("150  Vitamin B12  pg/mL", "before the test name"),
    ],
)
def test_lines_that_are_not_plainly_one_result_are_errors(line: str, why: str) -> None:
    _, records, _ = scan("-", input=f"{line}\nIron: 80 ug/dL\n")
    first, iron = records
    assert first["status"] == "error" and why in first["reason"]
    assert first["locator"] == "page 1, line 1" and first["source_text"] == line
    assert (iron["analyte"], iron["value_text"]) == ("iron", "80")
