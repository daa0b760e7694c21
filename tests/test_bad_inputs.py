"""The bad-input catalogue (perf-reliability.md §8): one test per case, on its fixture.

Each fixture lives in ``tests/fixtures/bad/`` and is described in its ``MANIFEST.md``. Where
the MANIFEST allows two outcomes, or the README (the current contract) settles a case
differently, the README wins; every such choice is noted on the test. What holds for every
case: no traceback, the documented exit status, one ``FILE:LINE: [COLUMN] reason`` line on
stderr per error record, and ``results + errors + skipped == records`` for every file.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pexpect
import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12check.render.delimited import safe_text_cell
from b12check.render.safe import neutralise_formula
from tests.conftest import REPO, first_line_then_close, invoke, run_cli

BAD = REPO / "tests" / "fixtures" / "bad"
GOOD = str(BAD / "01-utf8-bom.csv")  # 3 normal results at lines 2-4
HEADER = "patient_id,collected,analyte,value,unit\n"
NUMERIC_COLUMNS = ("line", "value", "band_low", "band_high")
FORMULA_LEADERS = "=+-@\t\r"

Record = dict[str, Any]


def fx(name: str) -> str:
    return str(BAD / name)


def scan(*args: str, fmt: str = "json") -> tuple[int, str, str]:
    """``b12check scan ARGS --format FMT`` in-process; no traceback may reach stderr."""
    result = invoke("scan", *args, "--format", fmt)
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    return result.exit_code, result.stdout, result.stderr


def scan_json(*args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = scan(*args)
    return code, json.loads(out), err


def records_of(data: dict[str, Any], path: str) -> list[Record]:
    return [r for r in data["records"] if r["file"] == path]


def statuses(data: dict[str, Any], path: str) -> dict[int, str]:
    """line -> status for one file (each fixture row gives exactly one record)."""
    records = records_of(data, path)
    by_line = {r["line"]: r["status"] for r in records}
    assert len(by_line) == len(records), "two records for one line"
    return by_line


def at(data: dict[str, Any], path: str, line: int) -> Record:
    (record,) = [r for r in records_of(data, path) if r["line"] == line]
    return record


def assert_accounted(data: dict[str, Any], path: str, rows: int) -> None:
    """results + errors + skipped == records of that file, and rows == the MANIFEST's count."""
    counts = data["summary"]["files"][path]
    records = records_of(data, path)
    assert counts["results"] + counts["errors"] + counts["skipped"] == len(records)
    assert counts["records"] == len(records)
    assert counts["rows"] == rows
    assert counts["results"] == sum(r["status"] == "result" for r in records)
    assert counts["errors"] == sum(r["status"] == "error" for r in records)
    assert counts["skipped"] == sum(r["status"] == "skipped" for r in records)


def assert_reported(stderr: str, data: dict[str, Any], path: str) -> None:
    """Every error record of ``path`` is one stderr line ``FILE:LINE: [COLUMN] reason``
    (``FILE: reason`` for a file that could not be read at all)."""
    lines = stderr.splitlines()
    for record in records_of(data, path):
        if record["status"] != "error":
            continue
        column = f"[{record['column']}] " if record["column"] else ""
        where = f"{path}:{record['line']}:" if record["line"] else f"{path}:"
        expected = f"{where} {column}{record['reason']}"
        assert lines.count(expected) == 1, (expected, lines)


def assert_whole_file_error(data: dict[str, Any], stderr: str, path: str, *words: str) -> Record:
    """The file is one error record (no rows), its stderr line, and the good file still ran."""
    records = records_of(data, path)
    assert len(records) == 1, records
    (record,) = records
    assert record["status"] == "error"
    assert record["value"] is None and record["flag"] is None
    for word in words:
        assert word.casefold() in record["reason"].casefold(), record["reason"]
    assert_accounted(data, path, rows=0)
    assert_reported(stderr, data, path)
    assert statuses(data, GOOD) == {2: "result", 3: "result", 4: "result"}
    assert_accounted(data, GOOD, rows=3)
    return record


def write_rows(path: Path, rows: int) -> Path:
    """A long export of ``rows`` normal B12 results (350-914 pg/mL)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for n in range(rows):
            handle.write(f"P{n:05d},2025-01-10,Vitamin B12,{400 + n % 500},pg/mL\n")
    return path


def process_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": "160", **overrides})
    return env


def run_raw(args: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "b12check", *args],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_formula_safe(row: dict[str, str]) -> None:
    """No text cell, nor any line inside it, starts (after spaces/NBSP) with a formula leader;
    the numeric columns stay plain numbers."""
    for name, cell in row.items():
        if name in NUMERIC_COLUMNS:
            if cell:
                float(cell)  # a number, never neutralised text
            continue
        for line in re.split(r"\r\n|\r|\n", cell):
            stripped = line.lstrip(" \u00a0")
            assert not stripped or stripped[0] not in FORMULA_LEADERS, (name, cell)


# --- 1-3: encodings ----------------------------------------------------------------------------


def test_01_utf8_bom() -> None:
    path = fx("01-utf8-bom.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == {2: "result", 3: "result", 4: "result"}
    assert {r["flag"] for r in records_of(data, path)} == {"normal"}
    assert at(data, path, 2)["patient"] == "P001"  # the BOM is not part of the first cell
    assert_accounted(data, path, rows=3)


def test_02_cp1252(tmp_path: Path) -> None:
    """README: a cp1252 fallback with a warning (not the MANIFEST's stop at line 4)."""
    path = fx("02-cp1252.csv")
    code, data, stderr = scan_json(path)
    assert code == 0
    (warning,) = stderr.splitlines()
    assert "cp1252" in warning and "0xB5" in warning and "line 4" in warning
    assert statuses(data, path) == {2: "result", 3: "result", 4: "result", 5: "result"}
    vit_d = at(data, path, 4)
    assert (vit_d["analyte"], vit_d["unit"], vit_d["value"]) == ("vitamin_d", "µg/L", 30)
    assert at(data, path, 5)["label"] == "Eisensättigung"
    assert {r["flag"] for r in records_of(data, path)} == {"normal"}
    assert_accounted(data, path, rows=4)

    code, data, stderr = scan_json(path, "--encoding", "cp1252")
    assert code == 0 and stderr == ""
    assert at(data, path, 5)["label"] == "Eisensättigung"

    # neither UTF-8 nor cp1252 (0x81 is undefined in cp1252): that file stops, the next runs
    broken = tmp_path / "undecodable.csv"
    broken.write_bytes(HEADER.encode() + b"P1\x81,2025-01-01,Vitamin B12,500,pg/mL\n")
    code, data, stderr = scan_json(str(broken), GOOD)
    assert code == 3
    assert_whole_file_error(data, stderr, str(broken), "0x81", "--encoding")


def test_02_forced_encoding_names_what_was_not_read() -> None:
    path = fx("02-cp1252.csv")
    code, data, stderr = scan_json(path, "--encoding", "utf-8", GOOD)
    assert code == 3
    error = next(r for r in records_of(data, path) if r["status"] == "error")
    assert error["line"] == 4 and "0xB5" in error["reason"]
    read_before = {r["line"] for r in records_of(data, path) if r["status"] == "result"}
    assert read_before == {2, 3} or re.search(r"not read|no rows|nothing", error["reason"])
    assert_accounted(data, path, rows=data["summary"]["files"][path]["rows"])


def test_03_utf16_le() -> None:
    path = fx("03-utf16-le.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == {2: "result", 3: "result", 4: "result"}
    assert at(data, path, 2)["patient"] == "P001"
    assert all("\x00" not in json.dumps(r) for r in records_of(data, path))
    assert_accounted(data, path, rows=3)


# --- 4-9: bytes, file types, headers ------------------------------------------------------------


def test_04_nul_byte() -> None:
    path = fx("04-nul-byte.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error", 4: "result", 5: "result"}
    error = at(data, path, 3)
    assert "NUL" in error["reason"] and error["value"] is None and error["flag"] is None
    assert "35" not in json.dumps(error)  # never stripped into 35
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=4)


@pytest.mark.parametrize(
    ("name", "line", "columns"),
    [("04-nul-byte.csv", 3, ("value", "result")), ("13-huge-field.csv", 3, ("notes",))],
)
def test_field_errors_name_their_column(name: str, line: int, columns: tuple[str, ...]) -> None:
    path = fx(name)
    _, data, stderr = scan_json(path)
    error = at(data, path, line)
    assert error["column"] in columns
    assert f"{path}:{line}: [{error['column']}] " in stderr


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("05-xlsx.csv", ("Excel", "export it as CSV")),
        ("05-pdf.csv", ("PDF",)),
    ],
)
def test_05_not_csv(name: str, words: tuple[str, ...]) -> None:
    path = fx(name)
    code, data, stderr = scan_json(path, GOOD)
    assert code == 3
    record = assert_whole_file_error(data, stderr, path, *words)
    assert "UTF-8" not in record["reason"]


def test_05_gzip_is_read_through() -> None:
    """The MANIFEST's preferred reading: the gzip file is decompressed and its rows read."""
    path = fx("05-gzip.csv.gz")
    code, data, stderr = scan_json(path)
    assert code == 0, stderr
    assert statuses(data, path) == {2: "result", 3: "result", 4: "result"}
    assert {r["flag"] for r in records_of(data, path)} == {"normal"}
    assert_accounted(data, path, rows=3)


def test_whole_file_cannot_open(tmp_path: Path) -> None:
    """Not a numbered case: a missing file and a directory each stop only themselves."""
    missing, folder = str(tmp_path / "missing.csv"), str(tmp_path)
    code, data, stderr = scan_json(missing, folder, GOOD)
    assert code == 3
    assert_whole_file_error(data, stderr, missing, "cannot open")
    assert_whole_file_error(data, stderr, folder, "directory")


@pytest.mark.parametrize("name", ["06-empty.csv", "06-blank-lines.csv"])
def test_06_empty(name: str) -> None:
    path = fx(name)
    code, data, stderr = scan_json(path, GOOD)
    assert code == 3
    assert_whole_file_error(data, stderr, path, "empty", "no header")


def test_07_header_only() -> None:
    path = fx("07-header-only.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert records_of(data, path) == []
    assert_accounted(data, path, rows=0)


def test_08_missing_column() -> None:
    path = fx("08-missing-column.csv")
    code, data, stderr = scan_json(path, GOOD)
    assert code == 3
    record = assert_whole_file_error(data, stderr, path, "--column")
    for found in ("patient", "when", "thing", "amount_text"):
        assert found in record["reason"]


def test_09_duplicate_header() -> None:
    path = fx("09-duplicate-header.csv")
    code, data, stderr = scan_json(path, GOOD)
    assert code == 3
    assert_whole_file_error(data, stderr, path, "column 'value' appears twice (columns 4 and 6)")


# --- 10-16: rows and lines ---------------------------------------------------------------------


def test_10_too_many_fields() -> None:
    path = fx("10-too-many-fields.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error", 4: "result", 5: "result"}
    error = at(data, path, 3)
    assert "expected 5 fields, found 6" in error["reason"] and error["value"] is None
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=4)


def test_11_too_few_fields() -> None:
    path = fx("11-too-few-fields.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error", 4: "result", 5: "error"}
    assert "expected 5 fields, found 3" in at(data, path, 3)["reason"]
    assert "expected 5 fields, found 4" in at(data, path, 5)["reason"]
    assert at(data, path, 5)["flag"] is None  # never padded and classified
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=4)


def test_12_unterminated_quote() -> None:
    path = fx("12-unterminated-quote.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error"}  # nothing from inside the quote
    reason = at(data, path, 3)["reason"]
    assert "unterminated quote starting at line 3" in reason
    assert "3 lines after it not read" in reason
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=2)


def test_13_huge_field() -> None:
    path = fx("13-huge-field.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error", 4: "result"}
    assert "field over 1 MiB" in at(data, path, 3)["reason"]
    assert len(stderr) < 1000  # the field itself is never echoed
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=3)


@pytest.mark.parametrize(
    ("name", "lines"), [("14-cr-only.csv", [2, 3, 4]), ("14-mixed-endings.csv", [2, 3, 5, 6])]
)
def test_14_line_endings(name: str, lines: list[int]) -> None:
    path = fx(name)
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == dict.fromkeys(lines, "result")  # physical line numbers
    assert {r["flag"] for r in records_of(data, path)} == {"normal"}
    assert_accounted(data, path, rows=len(lines))


def test_15_semicolon_decimal_comma() -> None:
    """README: in a ;-separated file a comma is a decimal separator (not a row error)."""
    path = fx("15-semicolon-decimal-comma.csv")
    for extra in ([], ["--delimiter", ";"]):
        code, data, stderr = scan_json(path, *extra)
        assert code == 0 and stderr == ""
        assert statuses(data, path) == dict.fromkeys([2, 3, 4, 5], "result")
        magnesium, vit_d = at(data, path, 3), at(data, path, 4)
        assert (magnesium["value_text"], magnesium["value"]) == ("0,92", 0.92)
        assert (vit_d["value_text"], vit_d["unit"]) == ("62,5", "nmol/L")
        assert vit_d["value"] == pytest.approx(62.5 / 2.496, rel=1e-3)
        assert {r["flag"] for r in records_of(data, path)} == {"normal"}
        assert_accounted(data, path, rows=4)


def test_16_preamble_footer() -> None:
    """README: title lines are passed over; the footer is a skipped record, not an error."""
    path = fx("16-preamble-footer.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == {4: "result", 5: "result", 6: "result", 8: "skipped"}
    footer = at(data, path, 8)
    assert footer["value_text"] == "Total: 3 results" and "not a data row" in footer["reason"]
    assert_accounted(data, path, rows=4)


def test_16_sep_line() -> None:
    path = fx("16-sep-line.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == {3: "result", 4: "result", 5: "result"}
    assert at(data, path, 5)["value"] == 0.92
    assert_accounted(data, path, rows=3)


# --- 17-24: values, units, names, dates --------------------------------------------------------


def test_17_censored() -> None:
    path = fx("17-censored.csv")
    code, data, stderr = scan_json(path)
    assert code == 1 and stderr == ""
    got = [
        (r["line"], r["value_text"], r["comparator"], r["value"], r["flag"])
        for r in records_of(data, path)
    ]
    assert got == [
        (2, "<50", "<", 50, "deficient"),
        (3, "> 2000", ">", 2000, "high"),
        (4, "<400", "<", 400, "unclassified"),
        (5, "<=0.3", "<=", 0.3, "normal"),
        (6, "≤0.5", "<=", 0.5, "unclassified"),
        (7, ">=2000", ">=", 2000, "high"),
    ]
    assert "could be" in at(data, path, 4)["reason"] and "could be" in at(data, path, 6)["reason"]
    assert_accounted(data, path, rows=6)


def test_18_non_numeric() -> None:
    path = fx("18-non-numeric.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == dict.fromkeys(range(2, 10), "error")
    texts = ["", "NA", "n/a", "ND", "not detected", "see comment", "QNS", "haemolysed"]
    for line, text in enumerate(texts, start=2):
        record = at(data, path, line)
        assert record["value_text"] == text
        assert record["value"] is None and record["flag"] is None
        assert text.casefold() in record["reason"].casefold()
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=8)


def test_19_python_numbers() -> None:
    path = fx("19-python-numbers.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {**dict.fromkeys(range(2, 7), "error"), 7: "result"}
    for line, text in enumerate(["nan", "inf", "1_000", "١٢٣", "１２"], start=2):
        record = at(data, path, line)
        assert repr(text) in record["reason"]
        assert record["value"] is None and record["flag"] is None
    assert at(data, path, 7)["flag"] == "normal"
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=6)


def test_20_decimal_comma_minus_flags() -> None:
    """README: a decimal comma is read, and a glued H or * goes to lab_flag."""
    path = fx("20-decimal-comma-minus-flags.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {2: "result", 3: "error", 4: "result", 5: "result", 6: "result"}
    mma = at(data, path, 2)
    assert (mma["analyte"], mma["value"], mma["flag"]) == ("mma", 0.85, "high")
    minus = at(data, path, 3)
    assert "−5" in minus["reason"] and minus["value"] is None and minus["flag"] is None
    for line, flag in ((4, "H"), (5, "*")):
        record = at(data, path, line)
        assert (record["value"], record["flag"], record["lab_flag"]) == (12.5, "normal", flag)
    assert at(data, path, 6)["flag"] == "normal"
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=5)


def test_21_implausible() -> None:
    path = fx("21-implausible.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {
        **dict.fromkeys((2, 3, 4), "error"),
        **dict.fromkeys((5, 6, 7), "result"),
    }
    for line, text in ((2, "0 pg/mL"), (3, "-3 pg/mL"), (4, "250000 pg/mL")):
        record = at(data, path, line)
        assert text in record["reason"] and "not a plausible" in record["reason"]
        assert record["flag"] is None
    high = at(data, path, 5)
    assert high["flag"] == "high" and high["warnings"]
    labelled = at(data, path, 6)
    assert (labelled["value"], labelled["flag"]) == (75, "high")  # classified as labelled
    converted = at(data, path, 7)
    assert converted["value"] == pytest.approx(30.05, abs=0.01) and converted["flag"] == "normal"
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=6)


def test_22_unit_spellings() -> None:
    path = fx("22-unit-spellings.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {**dict.fromkeys(range(2, 8), "result"), 8: "error"}
    for line in range(2, 6):
        record = at(data, path, line)
        assert (record["analyte"], record["value"], record["flag"]) == ("vitamin_d", 30, "normal")
    assert at(data, path, 6)["value"] == pytest.approx(500, rel=1e-3)
    assert at(data, path, 7)["flag"] == "normal"
    unknown = at(data, path, 8)
    assert "IU/mL" in unknown["reason"] and unknown["value"] is None
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=7)


def test_23_labels_and_codes() -> None:
    """README: a label b12check does not know (Vitamin Q, Glucose) is a skipped record."""
    path = fx("23-labels-and-codes.csv")
    code, data, stderr = scan_json(path)
    assert code == 3
    assert statuses(data, path) == {
        **dict.fromkeys((2, 3, 4, 5), "result"),
        6: "error",
        7: "skipped",
        8: "skipped",
    }
    assert [at(data, path, n)["analyte"] for n in (2, 3, 4, 5)] == [
        "b12",
        "b12",
        "vitamin_d",
        "b12",
    ]
    assert at(data, path, 4)["label"] == "VITAMIN D,25-OH,TOTAL,IA"
    trap = at(data, path, 6)
    assert "1990-1" in trap["reason"] and "cholecalciferol" in trap["reason"]
    assert trap["analyte"] is None and trap["flag"] is None
    assert at(data, path, 7)["label"] == "Vitamin Q"
    assert_reported(stderr, data, path)
    assert_accounted(data, path, rows=7)


def test_24_dates() -> None:
    """README: a bad date never makes the value unreadable; it is kept with a warning."""
    path = fx("24-dates.csv")
    code, data, stderr = scan_json(path)
    assert code == 0
    records = records_of(data, path)
    assert statuses(data, path) == dict.fromkeys(range(2, 8), "result")
    assert [r["date"] for r in records] == [
        "03/04/2024",
        "45123",
        "0",
        "2024-02-30",
        "2024-01-02",
        "2024-01-02",
    ]
    assert [bool(r["warnings"]) for r in records] == [True, True, True, True, False, False]
    guesses = {"1970-01-01", "2023-07-16", "2024-03-01", "2024-03-04", "2024-04-03"}
    assert not guesses & {r["date"] for r in records}
    assert_accounted(data, path, rows=6)


# --- 25-26: hostile text -----------------------------------------------------------------------

PATIENTS_25 = [
    '=HYPERLINK("http://x","y")',
    "+44123",
    "@SUM(A1)",
    "-2+3",
    "\tP005",
    "  =1+1",
    "P007\n=2+3",
]


def test_25_formula_injection() -> None:
    path = fx("25-formula-injection.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == dict.fromkeys(range(2, 9), "result")
    for record, raw in zip(records_of(data, path), PATIENTS_25, strict=True):
        assert record["patient"] in (raw, raw.strip())  # JSON: the text itself (maybe trimmed)
    assert_accounted(data, path, rows=7)

    code, out, _ = scan(path, fmt="csv")
    assert code == 0
    rows = {row["line"]: row for row in csv_rows(out) if row["file"] == path}
    for line, raw in zip(
        range(2, 8), PATIENTS_25, strict=False
    ):  # line 8: see test_25_multiline_cells_stay_in_one_csv_row
        row = rows[str(line)]
        assert row["patient"] in (neutralise_formula(raw), neutralise_formula(raw.strip()))
        assert (row["value"], row["band_low"], row["band_high"]) == ("500", "350", "914")
        assert_formula_safe(row)


@given(st.text(alphabet=st.sampled_from("=+-@\t\r\n \u00a0ab'1")) | st.text())
def test_25_no_line_of_a_csv_text_cell_can_start_a_formula(text: str) -> None:
    safe = safe_text_cell(text)
    assert "\r" not in safe
    if safe != "-":  # a lone dash (stdin's name, "none") is left as it is
        for line in safe.split("\n"):
            assert line.lstrip(" \u00a0")[:1] not in ("=", "+", "-", "@", "\t")
    # only apostrophes were added, and line breaks made LF
    assert safe.replace("'", "") == text.replace("\r\n", "\n").replace("\r", "\n").replace("'", "")


def test_25_inner_lines_are_neutralised(tmp_path: Path) -> None:
    """Leading spaces, NBSP and TAB on the inner lines of multi-line cells (the outer ones
    are trimmed on input). Each row is a different test, so each takes the full render path."""
    source = tmp_path / "inner.csv"
    source.write_text(
        HEADER + '"P1\n  =1+1",2025-01-10,Vitamin B12,500,pg/mL\n'
        '"P2\n\t@x",2025-01-10,Vitamin D,30,ng/mL\n'
        '"P3\n\u00a0-2",2025-01-10,Magnesium,0.92,mmol/L\n'
        '"P4\n+4",2025-01-10,Homocysteine,10,umol/L\n',
        encoding="utf-8",
    )
    code, out, _ = scan(str(source), fmt="csv")
    assert code == 0
    rows = csv_rows(out)
    assert [row["patient"] for row in rows] == [
        "P1\n  '=1+1",
        "P2\n'\t@x",
        "P3\n\u00a0'-2",
        "P4\n'+4",
    ]
    assert [row["line"] for row in rows] == ["2", "4", "6", "8"]
    for row in rows:
        assert_formula_safe(row)


def test_25_multiline_cells_stay_in_one_csv_row(tmp_path: Path) -> None:
    path = fx("25-formula-injection.csv")
    _, out, _ = scan(path, fmt="csv")
    rows = csv_rows(out)
    assert [row["line"] for row in rows] == [str(n) for n in range(2, 9)]
    assert rows[-1]["patient"] == "P007\n'=2+3"
    for row in rows:
        assert_formula_safe(row)

    source = tmp_path / "cr.csv"
    source.write_text(
        HEADER + '"P1\r=1+1",2025-01-10,Vitamin B12,500,pg/mL\n'
        '"P2\r=2+2",2025-01-10,Vitamin B12,500,pg/mL\n',
        encoding="utf-8",
        newline="",
    )
    _, out, _ = scan(str(source), fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    # a lone CR (which csv would not quote) is written as a line break, LF, and quoted
    assert [row["patient"] for row in rows] == ["P1\n'=1+1", "P2\n'=2+2"]
    # TSV has no quoting: the CR is the two characters backslash and r, on the record's line
    _, out, _ = scan(str(source), fmt="tsv")
    header, *lines = out.splitlines()
    patient = header.split("\t").index("patient")
    assert [line.split("\t")[patient] for line in lines] == ["P1\\r'=1+1", "P2\\r'=2+2"]


MARKUP_26 = ["[/x]", "B12 [pmol/L]", "[link=http://x]y[/link]", ":warning:"]
PAYLOADS_26 = ["]0;pwned", "[2J", "[31mred"]


def test_26_markup_escapes() -> None:
    path = fx("26-markup-escapes.csv")
    code, data, stderr = scan_json(path)
    assert code == 0 and stderr == ""
    assert statuses(data, path) == dict.fromkeys(range(2, 9), "result")
    assert [r["patient"] for r in records_of(data, path)] == [
        *MARKUP_26,
        "P005\x1b]0;pwned\x07",
        "P006\x1b[2J\x1b[31mred",
        "P007\u202eLATOT",
    ]
    assert_accounted(data, path, rows=7)

    plain = run_raw(["scan", path], process_env())  # piped: no colour
    coloured = run_raw(["scan", path], process_env(FORCE_COLOR="1", TERM="xterm-256color"))
    for done in (plain, coloured):
        assert done.returncode == 0 and done.stderr == b""
        out = done.stdout.decode()
        for text in MARKUP_26:
            assert text in out  # printed literally: no markup, no emoji, no link
        for payload in PAYLOADS_26:
            assert "\x1b" + payload not in out
        assert "\x07" not in out and "\u202e" not in out and "\x1b]8;" not in out
        assert "\u26a0" not in out  # :warning: never became an emoji
        for shown in ("P005", "P006", "P007", "pwned", "LATOT"):
            assert shown in out  # nothing vanishes
    assert b"\x1b" not in plain.stdout  # with FORCE_COLOR only rich's own styling may appear

    code, out, _ = scan(path, fmt="markdown")
    assert code == 0 and "\x1b" not in out and "\x07" not in out


# --- 27-29: output -----------------------------------------------------------------------------


def test_27_large_terminal(tmp_path: Path) -> None:
    path = fx("27-large-terminal.csv")
    code, data, _ = scan_json(path)
    assert code == 0 and statuses(data, path) == {2: "result", 3: "result", 4: "result"}
    assert_accounted(data, path, rows=3)

    big = str(write_rows(tmp_path / "big.csv", 5000))
    code, out, stderr = scan(big, fmt="table")
    assert code == 0 and stderr == ""
    shown = re.findall(r"^P\d{5} ", out, flags=re.MULTILINE)
    assert 0 < len(shown) <= 1000
    assert f"{5000 - len(shown)} more results not shown" in out
    assert "--format csv" in out
    assert "5000 results" in out

    code, out, _ = scan(big, fmt="csv")
    assert code == 0 and len(csv_rows(out)) == 5000


def _read_one_line_then_close(args: Sequence[str]) -> tuple[bytes, bytes, int]:
    return first_line_then_close(args, env=process_env(NO_COLOR="1"))


def test_28_closed_pipe(tmp_path: Path) -> None:
    path = fx("28-closed-pipe.csv")
    code, data, _ = scan_json(path)
    assert code == 0 and statuses(data, path) == dict.fromkeys(range(2, 202), "result")
    assert_accounted(data, path, rows=200)

    big = str(write_rows(tmp_path / "big.csv", 50_000))  # far more than a pipe buffer
    first, stderr, code = _read_one_line_then_close(["scan", big, "--format", "csv"])
    assert first.startswith(b"status,file,line")
    assert stderr == b""  # no traceback, no BrokenPipeError, no "Exception ignored"
    assert code == 141


def test_28_closed_pipe_table(tmp_path: Path) -> None:
    big = str(write_rows(tmp_path / "big.csv", 5000))  # 1,000 table rows > a 64 KiB pipe
    first, stderr, code = _read_one_line_then_close(["scan", big])
    assert " · 2025-01-10 — " in first.decode()  # the first panel: patient · date — counts
    assert stderr == b""
    assert code == 141


def test_29_write_failure(tmp_path: Path) -> None:
    path = fx("29-write-failure.csv")
    code, data, _ = scan_json(path)
    assert code == 0 and statuses(data, path) == {2: "result", 3: "result", 4: "result"}
    assert_accounted(data, path, rows=3)

    for fmt in ("csv", "table"):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "b12check", "scan", path, "--format", fmt],
                stdout=full,
                stderr=subprocess.PIPE,
                env=process_env(NO_COLOR="1"),
                timeout=60,
                check=False,
            )
        assert done.returncode == 4
        (line,) = done.stderr.decode().splitlines()
        assert line == "b12check: cannot write output: No space left on device"

    target = tmp_path / "no-such-folder" / "out.csv"
    done = run_cli(["scan", path, "--format", "csv", "-o", str(target)])
    assert done.returncode == 4
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith("b12check: cannot write output: ") and str(target) in line
    assert not target.exists()


# --- 30: ranges overlays -----------------------------------------------------------------------


def check_with_ranges(ranges: str, *values: str) -> tuple[int, str, str]:
    result = invoke("check", *values, "--ranges", ranges, "--format", "ndjson")
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("30-ranges-duplicate-keys.yaml", 9, ("duplicate key 'bands' (first at line 4)",)),
        ("30-ranges-alias-bomb.yaml", 5, ("anchors", "not allowed")),
        ("30-ranges-python-tag.yaml", 5, ("tag", "python/object")),
        ("30-ranges-octal.yaml", 6, ("below", "number")),
        ("30-ranges-sexagesimal.yaml", 5, ("below", "number")),
    ],
)
def test_30_ranges_refused(name: str, line: int, words: tuple[str, ...]) -> None:
    path = fx(name)
    started = time.monotonic()
    done = run_cli(["check", "b12=250pg/mL", "--ranges", path])  # a real process: tag payload
    assert time.monotonic() - started < 10
    stderr = done.stderr.decode()
    assert done.returncode == 2
    assert done.stdout == b""  # nothing checked
    assert "Traceback" not in stderr and "pwned" not in stderr
    (message,) = stderr.splitlines()
    assert re.match(rf"b12check: {re.escape(path)}:{line}:\d+: ", message), message
    for word in words:
        assert word in message


def test_30_ranges_norway(tmp_path: Path) -> None:
    """README: `no`/`on` stay text where text is expected, and are refused where a bool is."""
    path = fx("30-ranges-norway.yaml")
    code, out, stderr = check_with_ranges(path, "b12=100pg/mL", "b12=250pg/mL")
    assert code == 1 and stderr == ""
    deficient, borderline = (json.loads(line) for line in out.splitlines())
    assert deficient["band_source"] == "NO"
    assert borderline["band_label"] == "on"
    assert "False" not in out and "True" not in out

    overlay = tmp_path / "bool.yaml"
    overlay.write_text("version: 1\nanalytes:\n  tsat:\n    fraction_as_percent: no\n")
    code, out, stderr = check_with_ranges(str(overlay), "b12=250pg/mL")
    assert code == 2 and out == ""
    assert re.match(rf"b12check: {re.escape(str(overlay))}:4:\d+: fraction_as_percent: ", stderr)
    assert "boolean" in stderr


def test_30_ranges_exponent(tmp_path: Path) -> None:
    """`1e3` is read as 1000.0 (the MMA unit check replaces the built-in `above: 10`); a quoted
    "1e3" is a string and is refused, never silently coerced."""
    path = fx("30-ranges-exponent.yaml")
    code, out, stderr = check_with_ranges(path, "mma=900umol/L", "mma=2000umol/L")
    assert code == 1 and stderr == ""
    below, above = (json.loads(line) for line in out.splitlines())
    assert not any("nmol/L" in w for w in below["warnings"])  # 900 < 1000: no unit hint
    assert any("if the lab meant nmol/L" in w for w in above["warnings"])  # 2000 > 1000

    quoted = tmp_path / "quoted.yaml"
    quoted.write_text(
        "version: 1\nanalytes:\n  mma:\n    unit_checks:\n"
        '      - {unit: umol/L, above: "1e3", suggest: nmol/L}\n'
    )
    code, out, stderr = check_with_ranges(str(quoted), "b12=250pg/mL")
    assert code == 2 and out == ""
    assert re.match(rf"b12check: {re.escape(str(quoted))}:5:\d+: above: ", stderr)


# --- 31: a terminal on stdin -------------------------------------------------------------------


def test_31_tty_stdin() -> None:
    assert (BAD / "31-tty-stdin.txt").stat().st_size == 0  # the placeholder fixture
    env = process_env(NO_COLOR="1", TERM="dumb")
    child = pexpect.spawn(sys.executable, ["-m", "b12check", "scan"], env=env, timeout=10)
    child.expect(pexpect.EOF)  # raises TIMEOUT if it sits waiting for input
    child.close()
    output = child.before.decode()
    assert child.exitstatus == 2
    assert "stdin is a terminal" in output and "Traceback" not in output

    child = pexpect.spawn(sys.executable, ["-m", "b12check", "scan", "-"], env=env, timeout=10)
    child.expect("reading CSV from the terminal")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert "empty" in child.before.decode()
