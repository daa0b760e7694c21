"""scan --only and --analyte: the machine output filtered, the summary and status untouched."""

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SPEC_ANALYTES, invoke, run_cli

HEADER = "patient,date,test,result,unit\n"
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(["2024-01-05", "2024-03-09", "2025-02-01", "05/03/2024"]),
        st.sampled_from(["B12", "Ferritin", "Vitamin D", "TSH", "Magnesium", "Iron"]),
        st.sampled_from(["150", "250", "<5", "12", "0.6", "abc", "900", "45", "1,5", ""]),
        st.sampled_from(["pg/mL", "ng/mL", "nmol/L", "mmol/L", "ug/dL", ""]),
    ),
    min_size=1,
    max_size=40,
)
ONLY = st.sampled_from([None, "results", "flagged", "errors"])
ANALYTES = st.lists(st.sampled_from(["b12", "ferritin", "vitamin_d", "iron"]), max_size=2)


def export(tmp_path: Path, rows: Sequence[tuple[str, ...]]) -> str:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def wanted(record: dict[str, Any], only: str | None, analytes: list[str]) -> bool:
    """The documented rule, read off the output's own fields."""
    status, flag, analyte = record["status"], record["flag"], record["analyte"]
    if only == "results" and status != "result":
        return False
    if only == "flagged" and (status != "result" or flag == "normal"):
        return False
    if only == "errors" and status != "error":
        return False
    if analytes and analyte not in analytes:
        return status == "error" and analyte is None
    return True


def filter_args(only: str | None, analytes: list[str]) -> list[str]:
    args = ["--only", only] if only else []
    for analyte in analytes:
        args += ["--analyte", analyte]
    return args


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, only=ONLY, analytes=ANALYTES, notes=st.sampled_from(["none", "brief"]))
def test_ndjson_is_the_plain_output_filtered(
    tmp_path: Path, rows: list[tuple[str, ...]], only: str | None, analytes: list[str], notes: str
) -> None:
    path = export(tmp_path, rows)
    plain = invoke("scan", path, "--format", "ndjson", "--notes", notes)
    kept = invoke(
        "scan", path, "--format", "ndjson", "--notes", notes, *filter_args(only, analytes)
    )
    records = [json.loads(line) for line in plain.stdout.splitlines()]
    expected = [
        line
        for line, r in zip(plain.stdout.splitlines(), records, strict=True)
        if wanted(r, only, analytes)
    ]
    assert kept.stdout.splitlines() == expected
    assert (kept.stderr, kept.exit_code) == (plain.stderr, plain.exit_code)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, only=ONLY, analytes=ANALYTES, fmt=st.sampled_from(["csv", "tsv"]))
def test_csv_is_the_plain_output_filtered(
    tmp_path: Path, rows: list[tuple[str, ...]], only: str | None, analytes: list[str], fmt: str
) -> None:
    path = export(tmp_path, rows)
    delimiter = "\t" if fmt == "tsv" else ","
    plain = invoke("scan", path, "--format", fmt)
    kept = invoke("scan", path, "--format", fmt, *filter_args(only, analytes))
    plain_lines = plain.stdout.splitlines()
    parsed = list(csv.DictReader(io.StringIO(plain.stdout), delimiter=delimiter))
    assert len(parsed) == len(plain_lines) - 1  # (no cell of these files spans lines)
    expected = [plain_lines[0]] + [
        line
        for line, row in zip(plain_lines[1:], parsed, strict=True)
        if wanted({k: (v or None) for k, v in row.items()}, only, analytes)
    ]
    assert kept.stdout.splitlines() == expected
    assert kept.exit_code == plain.exit_code


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, only=ONLY, analytes=ANALYTES)
def test_json_summary_counts_every_record_read(
    tmp_path: Path, rows: list[tuple[str, ...]], only: str | None, analytes: list[str]
) -> None:
    path = export(tmp_path, rows)
    plain = json.loads(invoke("scan", path, "--format", "json").stdout)
    kept = json.loads(invoke("scan", path, "--format", "json", *filter_args(only, analytes)).stdout)
    assert kept["summary"] == plain["summary"]
    assert kept["records"] == [r for r in plain["records"] if wanted(r, only, analytes)]


def test_distractors_are_not_written_but_counted(tmp_path: Path) -> None:
    rows = [("P1", "2024-01-05", "TSH", "2.1", "mIU/L")] * 50 + [
        ("P1", "2024-01-05", "B12", "150", "pg/mL")
    ]
    path = export(tmp_path, rows)
    result = invoke("scan", path, "--format", "ndjson", "--only", "results")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["analyte"], record["value"]) == ("b12", 150)
    summary = json.loads(invoke("scan", path, "--format", "json", "--only", "results").stdout)
    assert summary["summary"]["skipped"] == 50 and summary["summary"]["results"] == 1


def test_errors_still_reach_stderr_and_the_exit_status() -> None:
    """Real process: results on stdout, every error's diagnostic on stderr, exit 3."""
    data = (HEADER + "P1,2024-01-05,B12,abc,pg/mL\nP1,2024-01-05,B12,400,pg/mL\n").encode()
    done = run_cli(["scan", "-", "--format", "csv", "--only", "results"], input=data)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith("result,")
    assert b"-:2:" in done.stderr
    assert done.returncode == 3


def test_flagged_only_exit_status_still_sees_the_flag() -> None:
    data = (HEADER + "P1,2024-01-05,B12,100,pg/mL\n").encode()
    done = run_cli(["scan", "-", "--format", "csv", "--only", "errors"], input=data)
    assert done.stdout.decode().splitlines()[1:] == []  # the header only
    assert done.returncode == 1  # the deficient result still counts


def test_an_unknown_analyte_is_a_usage_error_naming_the_known_ones(tmp_path: Path) -> None:
    path = export(tmp_path, [("P1", "2024-01-05", "B12", "150", "pg/mL")])
    result = invoke("scan", path, "--format", "csv", "--analyte", "vitamin_b12")
    assert result.exit_code == 2
    assert "vitamin_b12" in result.stderr
    assert all(analyte in result.stderr for analyte in SPEC_ANALYTES)
    assert result.stdout == ""


def test_an_unknown_only_is_a_usage_error(tmp_path: Path) -> None:
    path = export(tmp_path, [("P1", "2024-01-05", "B12", "150", "pg/mL")])
    result = invoke("scan", path, "--only", "normal")
    assert result.exit_code == 2 and "results" in result.stderr


def test_help_says_the_summary_counts_everything() -> None:
    text = " ".join(invoke("scan", "--help").stdout.split())
    assert "--only [results|flagged|errors]" in text
    assert "--analyte ID" in text
    assert "still count every record read" in text


def test_table_keeps_only_what_the_filter_keeps(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        [
            ("P1", "2024-01-05", "B12", "150", "pg/mL"),
            ("P1", "2024-01-05", "Ferritin", "9", "ng/mL"),
        ],
    )
    result = invoke("scan", path, "--analyte", "ferritin", env={"COLUMNS": "100"})
    assert "Ferritin" in result.stdout and "B12" not in result.stdout.split("results,")[0]
    assert "2 results" in result.stdout  # the summary line counts both


WIDE_HEADER = "patient,date,B12 (pg/mL),Ferritin (ng/mL),Vitamin D (ng/mL),TSH (mIU/L)\n"
WIDE_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2"]),
        st.sampled_from(["2024-01-05", "2025-02-01"]),
        st.sampled_from(["150", "400", "", "abc"]),
        st.sampled_from(["9", "60", "<5", ""]),
        st.sampled_from(["12", "35", ""]),
        st.sampled_from(["2.1", ""]),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=WIDE_ROWS, only=ONLY, analytes=ANALYTES)
def test_a_wide_file_is_filtered_the_same_way(
    tmp_path: Path, rows: list[tuple[str, ...]], only: str | None, analytes: list[str]
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(WIDE_HEADER + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    plain = invoke("scan", str(path), "--format", "ndjson")
    kept = invoke("scan", str(path), "--format", "ndjson", *filter_args(only, analytes))
    lines = plain.stdout.splitlines()
    expected = [line for line in lines if wanted(json.loads(line), only, analytes)]
    assert kept.stdout.splitlines() == expected
    assert (kept.stderr, kept.exit_code) == (plain.stderr, plain.exit_code)


def test_repeated_values_batched_by_the_cache_are_filtered_too(tmp_path: Path) -> None:
    """Values seen before are rendered by the cache in batches: a filter reaches those."""
    low, normal = (
        ("P1", "2024-01-05", "B12", "150", "pg/mL"),
        ("P1", "2024-01-05", "B12", "400", "pg/mL"),
    )
    path = export(tmp_path, [low, normal] * 150)
    result = invoke("scan", path, "--format", "ndjson", "--only", "flagged")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 150 and {r["value"] for r in records} == {150}
    assert [r["line"] for r in records] == list(range(2, 302, 2))
    summary = json.loads(invoke("scan", path, "--format", "json", "--only", "flagged").stdout)
    assert summary["summary"]["results"] == 300


def test_filters_on_a_fhir_bulk_export_write_the_plain_output_filtered(tmp_path: Path) -> None:
    # FHIR NDJSON has a cache of its own in front of the core; a batch of it must never carry
    # a result the filter drops (invoke() runs each scan with and without the caches).
    from tests.test_fhir_cache_properties import bulk_export

    path = tmp_path / "Observation.ndjson"
    path.write_bytes(bulk_export(120))
    plain = invoke("scan", str(path), "--format", "ndjson", "-q")
    records = [json.loads(line) for line in plain.stdout.splitlines()]
    assert {record["analyte"] for record in records} == {"b12", "mma"}
    for only, analytes in (("flagged", []), ("results", ["mma"]), (None, ["b12"])):
        kept = invoke("scan", str(path), "--format", "ndjson", "-q", *filter_args(only, analytes))
        assert kept.exit_code == plain.exit_code
        expected = [
            line
            for line, record in zip(plain.stdout.splitlines(), records, strict=True)
            if wanted(record, only, analytes)
        ]
        assert kept.stdout.splitlines() == expected
        assert 0 < len(expected) < len(records)
