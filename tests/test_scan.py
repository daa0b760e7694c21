"""``b12check scan`` on the shipped example exports and on small fixtures of each layout."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, first_line_then_close, invoke, run_cli


def scan_json(*args: str, input: str | None = None) -> tuple[int, dict[str, Any], str]:
    result = invoke("scan", *args, "--format", "json", input=input)
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_status(data: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in data["records"]:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts


def assert_accounted(data: dict[str, Any]) -> None:
    """results + errors + skipped == data rows read, per file and in total."""
    for name, counts in data["summary"]["files"].items():
        records = [r for r in data["records"] if r["file"] == name]
        assert counts["results"] + counts["errors"] + counts["skipped"] == len(records)
        assert counts["records"] == len(records)


def test_us_portal_export() -> None:
    code, data, _ = scan_json(str(EXAMPLES / "us-portal-export.csv"))
    assert code == 1
    assert data["summary"]["files"][str(EXAMPLES / "us-portal-export.csv")]["rows"] == 20
    assert by_status(data) == {"result": 18, "skipped": 2}
    assert_accounted(data)
    first = data["records"][0]
    assert (first["line"], first["patient"], first["date"], first["sex"]) == (
        2,
        "P001",
        "2025-01-15",
        "female",
    )
    assert (first["analyte"], first["flag"], first["lab_range"]) == (
        "b12",
        "borderline",
        "232-1245",
    )
    skipped = {r["label"] for r in data["records"] if r["status"] == "skipped"}
    assert skipped == {"Cholesterol, Total", "TSH"}
    vit_d = next(r for r in data["records"] if r["analyte"] == "vitamin_d")
    assert any(n["kind"] == "lab_disagreement" for n in vit_d["notes"]) or vit_d["flag"] != "normal"


def test_eu_export_with_semicolons_decimal_commas_and_bom() -> None:
    code, data, _ = scan_json(str(EXAMPLES / "eu-lab-export-si.csv"))
    assert code in (0, 1)
    assert by_status(data).get("error", 0) == 0
    records = data["records"]
    assert records[0]["patient"] == "P101" and records[0]["date"] == "2025-03-14"
    vit_d = [r for r in records if r["analyte"] == "vitamin_d"]
    flags = {r["value_text"]: r["flag"] for r in vit_d}
    assert flags.get("49,9") == "borderline"
    assert flags.get("50") == "normal"
    magnesium = next(r for r in records if r["analyte"] == "magnesium")
    assert magnesium["value"] == 0.72 and magnesium["flag"] == "borderline"
    assert_accounted(data)


def test_wide_research_export_with_units_row() -> None:
    code, data, stderr = scan_json(str(EXAMPLES / "research-wide.csv"))
    assert code == 1
    summary = data["summary"]
    assert summary["files"][str(EXAMPLES / "research-wide.csv")]["rows"] == 60
    assert summary["results"] + summary["errors"] == 382  # every filled analyte cell
    patients = {r["patient"] for r in data["records"]}
    assert len(patients) == 60
    b12 = next(r for r in data["records"] if r["patient"] == "P001" and r["analyte"] == "b12")
    assert (b12["value"], b12["canonical_unit"], b12["line"]) == (543, "pg/mL", 3)
    assert_accounted(data)


def test_messy_export() -> None:
    code, data, stderr = scan_json(str(EXAMPLES / "messy-export.csv"))
    assert code == 3
    records = data["records"]
    assert records[0]["line"] == 5  # after three preamble lines and the header
    reasons = {r["value_text"].strip(): r["reason"] for r in records if r["status"] == "error"}
    assert reasons["N/A"] == "no result (N/A)"
    assert reasons["pending"] == "result pending"
    assert reasons["QNS"].startswith("quantity not sufficient")
    assert reasons["cancelled"] == "test cancelled"
    assert reasons["see note"].startswith("no number")
    assert reasons[""] == "no result given"
    censored = {r["value_text"].strip(): r for r in records if r["comparator"]}
    assert censored["<5"]["flag"] == "deficient"
    assert censored["> 2000"]["flag"] == "high"
    glued = next(r for r in records if r["value_text"] == "250 H")
    assert (glued["lab_flag"], glued["value"]) == ("H", 250)
    spaced = next(r for r in records if r["value_text"].strip() == "250 pg/mL")
    assert spaced["unit"] == "pg/mL" and spaced["status"] == "result"
    mma = next(r for r in records if r["label"] == "Methylmalonic Acid")
    assert mma["line"] == 13
    assert next(r for r in records if r["line"] == 15)["label"] == "B12"  # after a quoted newline
    footer = records[-1]
    assert footer["status"] == "skipped" and footer["line"] == 31
    assert "footer" in footer["reason"]
    assert "Sodium" in {r["label"] for r in records if r["status"] == "skipped"}
    assert_accounted(data)
    assert "messy-export.csv:9:" in stderr


def test_many_files_one_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Test,Result,Unit\nFerritin,60,ng/mL\n", encoding="utf-8")
    code, data, stderr = scan_json(str(tmp_path / "missing.csv"), str(good))
    assert code == 3
    first, second = data["records"]
    assert first["status"] == "error" and "cannot open" in first["reason"]
    assert second["status"] == "result" and second["file"] == str(good)
    assert f"{tmp_path / 'missing.csv'}:0:" in stderr or "missing.csv" in stderr


def test_stdin_dash_and_no_file() -> None:
    text = "Test,Result,Unit\nFerritin,60,ng/mL\nB12,120,pg/mL\n"
    for args in (["-"], []):
        code, data, _ = scan_json(*args, input=text)
        assert code == 1
        assert [r["file"] for r in data["records"]] == ["-", "-"]
        assert [r["line"] for r in data["records"]] == [2, 3]


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("Component,Value,Units", "Vitamin B12,250,pg/mL"),
        ("Analyte;Ergebnis;Einheit", "Vitamin B12;250;pg/mL"),
        ("test name\tresult\tuom", "Vitamin B12\t250\tpg/mL"),
        ("LOINC|Result|Units", "2132-9|250|pg/mL"),
        ("Test Name,Result", "Vitamin B12,250 pg/mL"),
    ],
)
def test_long_layout_header_variants(header: str, row: str) -> None:
    code, data, _ = scan_json(input=f"{header}\n{row}\n")
    (record,) = data["records"]
    assert (record["analyte"], record["flag"]) == ("b12", "borderline"), record


@pytest.mark.parametrize(
    "header",
    [
        "B12 (pg/mL),Ferritin (ng/mL)",
        "Vitamin B12 [pg/mL],Ferritin [ug/L]",
        "b12_pg_ml,ferritin_ng_ml",
    ],
)
def test_wide_layout_units_in_header(header: str) -> None:
    code, data, _ = scan_json(input=f"{header}\n250,12\n")
    assert [(r["analyte"], r["flag"]) for r in data["records"]] == [
        ("b12", "borderline"),
        ("ferritin", "deficient"),
    ]


def test_column_override_and_layout_message() -> None:
    text = "Assay,Reading,Measure\nFerritin,60,ng/mL\n"
    code, data, stderr = scan_json(input=text)
    assert code == 3
    (record,) = data["records"]
    assert "no header row found" in record["reason"] and "--column" in record["reason"]
    assert "'Assay'" in record["reason"]
    code, data, _ = scan_json(
        "--column",
        "test=Assay",
        "--column",
        "result=Reading",
        "--column",
        "unit=Measure",
        input=text,
    )
    assert code == 0 and data["records"][0]["flag"] == "normal"


def test_dates_are_normalised_or_kept_with_a_warning() -> None:
    text = (
        "Patient,Date,Test,Result\n"
        "P1,2025-1-2,Ferritin,60\n"
        "P1,14.03.2025,Ferritin,60\n"
        "P1,03/04/2025,Ferritin,60\n"
        "P1,2025-02-30,Ferritin,60\n"
    )
    _, data, _ = scan_json(input=text)
    dates = [(r["date"], r["status"], bool(r["warnings"])) for r in data["records"]]
    assert dates == [
        ("2025-01-02", "result", False),
        ("2025-03-14", "result", False),
        ("03/04/2025", "result", True),
        ("2025-02-30", "result", True),
    ]
    _, data, _ = scan_json("--date-format", "%d/%m/%Y", input=text)
    assert data["records"][2]["date"] == "2025-04-03"


def test_lab_range_disagreement_is_noted() -> None:
    text = "Test,Result,Unit,Reference Range,Flag\nB12,250,pg/mL,180-914,\n"
    _, data, _ = scan_json(input=text)
    (record,) = data["records"]
    assert record["flag"] == "borderline"
    note = next(n for n in record["notes"] if n["kind"] == "lab_disagreement")
    assert "180–914" in note["text"] and "normal" in note["text"]


def test_patterns_apply_per_patient_and_date() -> None:
    text = (
        "Patient,Date,Test,Result,Unit\n"
        "P1,2025-01-01,Ferritin,9,ng/mL\n"
        "P1,2025-01-01,TSAT,10,%\n"
        "P2,2025-01-01,Ferritin,9,ng/mL\n"
        "P3,2025-01-01,TSAT,10,%\n"
    )
    _, data, _ = scan_json(input=text)
    patterned = [
        r["patient"] for r in data["records"] if any(n["kind"] == "pattern" for n in r["notes"])
    ]
    assert patterned == ["P1"]


def test_scan_table_output_and_closed_pipe(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("patient_id,collected,analyte,value,unit\n")
        for n in range(60000):
            handle.write(f"P{n % 500:04d},2025-01-02,Ferritin,{20 + n % 300},ng/mL\n")
    done = run_cli(["scan", str(big)])
    out = done.stdout.decode()
    assert "more results not shown" in out and "Not medical advice" in out
    header, stderr, code = first_line_then_close(["scan", str(big), "--format", "csv"])
    assert header.startswith(b"status,file,line")
    assert stderr == b"" and code == 141


def test_rows_above_the_header_are_reported_not_dropped() -> None:
    text = "Lab export\nP0,2025-01-01,x,y\nTest,Result,Unit\nFerritin,60,ng/mL\n"
    code, data, _ = scan_json(input=text)
    statuses = [(r["line"], r["status"]) for r in data["records"]]
    assert statuses == [(2, "skipped"), (4, "result")]  # the one-cell title line is no data
    assert data["summary"]["files"]["-"]["rows"] == 2


def test_a_date_that_shows_the_order_settles_the_file() -> None:
    text = "Patient,Date,Test,Result\nP1,03/04/2025,Ferritin,60\nP1,25/04/2025,Ferritin,60\n"
    _, data, _ = scan_json(input=text)
    assert [r["date"] for r in data["records"]] == ["2025-04-03", "2025-04-25"]
    assert all(not r["warnings"] for r in data["records"])


LAB_EXPORT = (
    "Test,Result,Unit,Reference Range,Sex\n"
    "B12,250,pg/mL,200-900,F\n"
    "Ferritin,170,ng/mL,15-200,\n"
    "B12,150,pg/mL,200-900,F\n"
)


def test_lab_ranges_prefer_lets_the_lab_decide_where_it_disagrees() -> None:
    _, data, _ = scan_json("--lab-ranges", "prefer", input=LAB_EXPORT)
    b12, ferritin, low_b12 = data["records"]
    assert (b12["flag"], b12["band_low"], b12["band_high"]) == ("normal", 200, 900)
    assert b12["band_source"] == "the lab's reference range (200–900)"
    assert any("built-in band would say borderline" in n["text"] for n in b12["notes"])
    assert ferritin["flag"] == "normal"  # the lab's range settles what sex alone could not
    assert (low_b12["flag"], low_b12["band_high"]) == ("deficient", 180)  # agree: finer flag


def test_lab_ranges_show_and_ignore() -> None:
    _, shown, _ = scan_json(input=LAB_EXPORT)
    assert shown["records"][0]["flag"] == "borderline"
    assert any(n["kind"] == "lab_disagreement" for n in shown["records"][0]["notes"])
    _, ignored, _ = scan_json("--lab-ranges", "ignore", input=LAB_EXPORT)
    assert ignored["records"][0]["flag"] == "borderline"
    assert not any(n["kind"] == "lab_disagreement" for n in ignored["records"][0]["notes"])
    assert ignored["records"][0]["lab_range"] == "200-900"  # still carried as given
