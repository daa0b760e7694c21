"""scan --per-patient: one row per patient and test, worked out from the records it replaces."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.vocab import Flag
from tests.conftest import SPEC_ANALYTES, invoke, run_cli

HEADER = "patient,date,test,result,unit\n"
COLUMNS = (
    "patient,file,analyte,results,errors,first_date,last_date,undated,latest_date,"
    "latest_comparator,latest_value,canonical_unit,latest_flag,worst_flag,worst_date"
)


def export(tmp_path: Path, text: str, name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows_of(*args: str) -> list[dict[str, Any]]:
    result = invoke("scan", *args, "--per-patient", "--format", "ndjson")
    assert result.exit_code != 2, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_patient_one_test_by_hand(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        HEADER
        + "P1,2024-06-01,B12,400,pg/mL\n"  # normal, the latest
        + "P1,2023-01-10,B12,120,pg/mL\n"  # deficient, the first and the worst
        + "P1,not a date,B12,150,pg/mL\n"  # undated: counted, no date
        + "P1,2024-02-01,B12,<300,pg/mL\n"  # censored across bands: unclassified
        + "P1,2024-03-01,B12,abc,pg/mL\n",  # an error of this patient and test
    )
    (row,) = rows_of(path)
    assert row == {
        "patient": "P1",
        "file": None,
        "analyte": "b12",
        "results": 4,
        "errors": 1,
        "first_date": "2023-01-10",
        "last_date": "2024-06-01",
        "undated": 1,
        "latest_date": "2024-06-01",
        "latest_comparator": None,
        "latest_value": 400,
        "canonical_unit": "pg/mL",
        "latest_flag": "normal",
        "worst_flag": "deficient",
        "worst_date": "2023-01-10",
    }


def test_latest_is_by_date_not_by_row_and_units_are_canonical(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        HEADER
        + "P2,2024-05-01,Vitamin D,50,nmol/L\n"
        + "P2,2022-05-01,Vitamin D,10,ng/mL\n"  # older, read later
        + "P1,2024-01-01,Ferritin,9,ng/mL\n",
    )
    rows = rows_of(path)
    assert [(r["patient"], r["analyte"]) for r in rows] == [("P1", "ferritin"), ("P2", "vitamin_d")]
    vitamin_d = rows[1]
    assert vitamin_d["latest_date"] == "2024-05-01"
    assert vitamin_d["latest_value"] == pytest.approx(50 / 2.496, rel=1e-3)  # nmol/L to ng/mL
    assert vitamin_d["canonical_unit"] == "ng/mL" and vitamin_d["first_date"] == "2022-05-01"


def test_worst_flag_follows_the_severity_in_vocab(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        HEADER
        + "P1,2024-01-01,Ferritin,9,ng/mL\n"  # deficient
        + "P1,2024-02-01,Ferritin,30,ng/mL\n"  # borderline or low-ish
        + "P1,2024-03-01,Ferritin,100,ng/mL\n",  # normal
    )
    records = [
        json.loads(line) for line in invoke("scan", path, "--format", "ndjson").stdout.splitlines()
    ]
    worst = max(records, key=lambda r: Flag(r["flag"]).severity)["flag"]
    (row,) = rows_of(path)
    assert row["worst_flag"] == worst == "deficient"
    assert row["latest_flag"] == records[-1]["flag"]


def test_results_without_a_patient_are_one_person_per_file(tmp_path: Path) -> None:
    text = "date,test,result,unit\n2024-01-01,B12,150,pg/mL\n2024-02-01,B12,300,pg/mL\n"
    first = export(tmp_path, text, "mine.csv")
    second = export(tmp_path, text.replace("150", "900"), "mum.csv")
    rows = rows_of(first, second)
    assert [(r["patient"], r["file"], r["results"]) for r in rows] == [
        (None, first, 2),
        (None, second, 2),
    ]


def test_a_patient_is_joined_across_files(tmp_path: Path) -> None:
    first = export(tmp_path, HEADER + "P1,2024-01-01,B12,150,pg/mL\n", "a.csv")
    second = export(tmp_path, HEADER + "P1,2025-01-01,B12,500,pg/mL\n", "b.csv")
    (row,) = rows_of(first, second)
    assert (row["results"], row["file"], row["latest_value"]) == (2, None, 500)


# ------------------------------------------------------------------ against the records

DRAWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", ""]),
        st.sampled_from(["2024-01-05", "2024-03-09", "2025-02-01", "someday"]),
        st.sampled_from(["B12", "Ferritin", "Vitamin D", "TSH", "Magnesium"]),
        st.sampled_from(["150", "250", "<5", "12", "0.6", "abc", "900", "45"]),
        st.sampled_from(["pg/mL", "ng/mL", "nmol/L", "mmol/L", ""]),
    ),
    min_size=1,
    max_size=40,
)


def expected_rows(records: list[dict[str, Any]]) -> dict[tuple[Any, str], dict[str, Any]]:
    """The per-patient facts worked out from the plain records by this test itself."""
    out: dict[tuple[Any, str], dict[str, Any]] = {}
    for seq, r in enumerate(records):
        if r["analyte"] is None or r["status"] == "skipped":
            continue
        key = (r["patient"] or r["file"], r["analyte"])
        row = out.setdefault(key, {"results": 0, "errors": 0, "points": []})
        if r["status"] == "error":
            row["errors"] += 1
            continue
        row["results"] += 1
        dated = len(r["date"] or "") == 10 and r["date"][4] == "-"
        row["points"].append(((r["date"] if dated else ""), seq, r))
    for row in out.values():
        points = row.pop("points")
        dates = [date for date, _, _ in points if date]
        row["first_date"] = min(dates, default=None)
        row["last_date"] = max(dates, default=None)
        row["undated"] = len(points) - len(dates)
        if points:
            latest = max(points, key=lambda p: (p[0], p[1]))[2]
            row["latest_value"] = latest["value"]
            row["latest_flag"] = latest["flag"]
            row["worst_flag"] = max(
                points, key=lambda p: (Flag(p[2]["flag"]).severity, p[0], p[1])
            )[2]["flag"]
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(draws=DRAWS)
def test_rows_agree_with_the_records(tmp_path: Path, draws: list[tuple[str, ...]]) -> None:
    path = export(tmp_path, HEADER + "".join(",".join(d) + "\n" for d in draws))
    plain = invoke("scan", path, "--format", "ndjson")
    records = [json.loads(line) for line in plain.stdout.splitlines()]
    result = invoke("scan", path, "--per-patient", "--format", "ndjson")
    assert result.exit_code == plain.exit_code  # the status still counts every record
    got = {}
    for line in result.stdout.splitlines():
        row = json.loads(line)
        key = (row["patient"] or row["file"], row["analyte"])
        got[key] = {
            name: row[name] for name in ("results", "errors", "first_date", "last_date", "undated")
        }
        if row["results"]:
            got[key].update(
                {name: row[name] for name in ("latest_value", "latest_flag", "worst_flag")}
            )
    assert got == expected_rows(records)


# ------------------------------------------------------------------ formats


def sample(tmp_path: Path) -> str:
    return export(
        tmp_path,
        HEADER + "P1,2024-01-01,B12,150,pg/mL\n=cmd(),2024-01-02,Ferritin,<5,ng/mL\n",
    )


def test_csv_and_tsv_have_the_documented_columns_and_safe_cells(tmp_path: Path) -> None:
    path = sample(tmp_path)
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        out = invoke("scan", path, "--per-patient", "--format", fmt).stdout
        assert out.splitlines()[0] == COLUMNS.replace(",", delimiter)
        rows = list(csv.DictReader(io.StringIO(out), delimiter=delimiter))
        assert [r["analyte"] for r in rows] == ["ferritin", "b12"]  # '=cmd()' sorts first
        assert rows[0]["patient"] == "'=cmd()"  # neutralised for spreadsheets
        assert (rows[0]["latest_comparator"], rows[0]["latest_value"]) == ("<", "5")


def test_json_holds_the_rows_the_summary_and_the_disclaimer(tmp_path: Path) -> None:
    data = json.loads(invoke("scan", sample(tmp_path), "--per-patient", "--format", "json").stdout)
    assert [r["analyte"] for r in data["per_patient"]] == ["ferritin", "b12"]
    assert data["summary"]["results"] == 2
    assert "Not medical advice" in data["disclaimer"]


def test_markdown_and_table_show_the_rows(tmp_path: Path) -> None:
    path = sample(tmp_path)
    markdown = invoke("scan", path, "--per-patient", "--format", "markdown").stdout
    assert markdown.startswith("| patient | file | analyte |")
    assert "\\=cmd()" not in markdown and "Not medical advice" in markdown
    table = invoke("scan", path, "--per-patient", env={"COLUMNS": "120"}).stdout
    assert "ferritin" in table and "b12" in table and "deficient" in table


def test_fhir_is_refused_as_a_usage_error(tmp_path: Path) -> None:
    result = invoke("scan", sample(tmp_path), "--per-patient", "--format", "fhir")
    assert result.exit_code == 2 and "--per-patient" in result.stderr


def test_per_patient_through_a_pipe_with_a_filter() -> None:
    data = (HEADER + "P1,2024-01-01,B12,150,pg/mL\nP1,2024-01-01,Ferritin,9,ng/mL\n").encode()
    done = run_cli(
        ["scan", "-", "--per-patient", "--format", "csv", "--analyte", "ferritin"], input=data
    )
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2 and ",ferritin," in lines[1]
    assert done.returncode == 1 and done.stderr == b""
    assert set(SPEC_ANALYTES) >= {"b12", "ferritin"}
