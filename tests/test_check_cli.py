"""``b12check check`` through click's CliRunner: records, formats, messages, exit status."""

import csv
import io
import json
import re
from typing import Any

import pytest

from b12check.core.records import FIELDS
from tests.conftest import invoke

COLOUR_CODE = re.compile(r"\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")


def records_of(output: str) -> list[dict[str, Any]]:
    data = json.loads(output)
    assert set(data) == {"records", "summary", "trends", "disclaimer"}
    records: list[dict[str, Any]] = data["records"]
    return records


def test_the_issue_example_in_json() -> None:
    result = invoke(
        "check",
        "b12=250pg/mL",
        "vitamin d=45 nmol/L",
        "mg=0.72mmol/L",
        "ferritin=12",
        "--sex",
        "female",
        "--format",
        "json",
    )
    assert result.exit_code == 1  # flagged
    records = records_of(result.stdout)
    assert [(r["analyte"], r["flag"]) for r in records] == [
        ("b12", "borderline"),
        ("vitamin_d", "borderline"),
        ("magnesium", "borderline"),
        ("ferritin", "deficient"),
    ]
    b12 = records[0]
    assert b12["line"] == 1 and b12["file"] == "argv"
    assert b12["interpretation"] == "L" and b12["band_label"] == "indeterminate"
    assert (b12["band_low"], b12["band_high"]) == (180, 350)
    assert "NICE" in b12["band_source"]
    assert b12["notes"] and all({"text", "source"} <= set(n) for n in b12["notes"])
    assert result.stderr == ""


def test_every_record_has_every_documented_field() -> None:
    result = invoke("check", "b12=250pg/mL", "nonsense", "--format", "json")
    for record in records_of(result.stdout):
        assert tuple(record) == FIELDS


def test_loinc_and_fraction_and_si_iron() -> None:
    result = invoke(
        "check",
        "2132-9=310",
        "tsat=0.14",
        "iron=9umol/L",
        "--units",
        "conventional",
        "--format",
        "json",
    )
    records = records_of(result.stdout)
    assert [r["status"] for r in records] == ["result"] * 3
    assert records[0]["analyte"] == "b12" and records[0]["flag"] == "borderline"
    assert records[1]["value"] == 14.0 and records[1]["flag"] == "deficient"
    assert records[2]["value"] == pytest.approx(50.26, abs=0.01)


def test_censored_value_keeps_its_comparator() -> None:
    result = invoke("check", "vitamin d=<5 ng/mL", "--format", "json")
    (record,) = records_of(result.stdout)
    assert (record["comparator"], record["value"], record["flag"]) == ("<", 5.0, "deficient")
    assert record["value_text"] == "<5 ng/mL"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("b12=250", "no unit given for Vitamin B12"),
        ("vitamin q=3", "unknown test 'vitamin q'; did you mean"),
        ("b12=250 IU/L", "'IU/L' is not a unit of this test"),
        ("b12=250 furlongs", "'furlongs' is an unknown unit"),
        ("ferritin=nan", "not a finite number"),
        ("ferritin=1_000", "digit separator"),
        ("ferritin=−5", "Unicode minus"),
        ("ferritin=١٢", "non-ASCII digits"),
        ("ferritin=1,450", "ambiguous"),
        ("b12=0pg/mL", "not a plausible"),
        ("1990-1=30ng/mL", "cholecalciferol"),
        ("b12", "is not NAME=VALUE"),
        ("ferritin=", "no result given"),
    ],
)
def test_bad_values_are_error_records_with_exit_3(argument: str, message: str) -> None:
    result = invoke("check", argument, "ferritin=60", "--format", "json")
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert [r["status"] for r in records] == ["error", "result"]
    assert message in records[0]["reason"]
    assert result.stderr.startswith("argv:1: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_decimal_comma_option() -> None:
    result = invoke("check", "ferritin=1,450", "--decimal-comma", "--format", "json")
    assert records_of(result.stdout)[0]["value"] == 1.45


def test_implausible_value_suggests_the_unit_mistake() -> None:
    result = invoke("check", "vitamin d=120 ng/mL", "--format", "json")
    (record,) = records_of(result.stdout)
    assert any("nmol/L" in w for w in record["warnings"])
    wrong = invoke("check", "mg=20 mmol/L", "--format", "json")
    assert "was it 20 mg/dL?" in records_of(wrong.stdout)[0]["reason"]


def test_age_under_18_warns() -> None:
    result = invoke("check", "ferritin=60", "--age", "12", "--format", "json")
    assert any("adults" in w for w in records_of(result.stdout)[0]["warnings"])


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["ferritin=60"], 0),
        (["ferritin=20"], 1),
        (["ferritin=20", "--fail-on", "critical"], 0),
        (["mg=0.3mmol/L", "--fail-on", "critical"], 1),
        (["mg=0.3mmol/L", "--fail-on", "never"], 0),
        (["ferritin=170"], 1),  # unclassified counts under the default --fail-on any
        (["ferritin=170", "--sex", "male"], 0),
        (["ferritin=x", "--fail-on", "never"], 3),
    ],
)
def test_exit_status(args: list[str], code: int) -> None:
    assert invoke("check", *args, "--format", "json").exit_code == code


def test_usage_errors_exit_2() -> None:
    assert invoke("check", "b12=1", "--format", "xml").exit_code == 2
    assert invoke("check", "b12=1", "--sex", "other").exit_code == 2
    no_values = invoke("check")  # CliRunner's stdin is not a terminal
    assert no_values.exit_code == 2
    assert "NAME=VALUE" in no_values.stderr


def test_bad_ranges_file_exits_2_and_checks_nothing(tmp_path: Any) -> None:
    bad = tmp_path / "lab.yaml"
    bad.write_text("analytes:\n  b12:\n    bands: nope\n", encoding="utf-8")
    result = invoke("check", "b12=250pg/mL", "--ranges", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{bad}:3:" in result.stderr


def test_csv_output_is_one_row_per_record_with_header() -> None:
    result = invoke("check", "b12=250pg/mL", "ferritin=12", "x=1", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == FIELDS
    assert len(rows) == 4
    assert rows[1][FIELDS.index("notes")] == ""  # no notes by default in streaming formats
    briefed = invoke("check", "b12=250pg/mL", "--format", "csv", "--notes", "brief").stdout
    notes = list(csv.reader(io.StringIO(briefed)))[1][FIELDS.index("notes")]
    finding, pattern = notes.split(" | ")  # the brief finding, then the no-MMA pattern note
    assert finding.endswith("(NICE NG239 (2024))")
    assert "MMA" in pattern
    assert "\x1b" not in result.stdout


def test_tsv_and_ndjson() -> None:
    tsv = invoke("check", "b12=250pg/mL", "--format", "tsv")
    assert tsv.stdout.splitlines()[0].split("\t") == list(FIELDS)
    nd = invoke("check", "b12=250pg/mL", "ferritin=12", "--format", "ndjson")
    lines = nd.stdout.splitlines()
    assert [json.loads(line)["analyte"] for line in lines] == ["b12", "ferritin"]


def test_markdown_has_table_notes_and_disclaimer() -> None:
    result = invoke("check", "b12=250pg/mL", "ferritin=12", "--format", "markdown")
    out = result.stdout
    assert out.startswith("| Patient | Date | Test | Result |")
    assert "**Notes**" in out
    assert "Not medical advice" in out


def test_table_has_gauge_notes_summary_and_disclaimer() -> None:
    result = invoke("check", "b12=250pg/mL", "ferritin=12", env={"COLUMNS": "100"})
    out = result.stdout
    assert "indeterminate" in out and "●" in out
    assert "Notes" in out
    assert "2 results, 0 errors, 0 skipped" in out
    assert "Not medical advice — discuss results with a qualified clinician." in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_table_colour_only_when_forced_and_never_with_no_color() -> None:
    coloured = invoke("check", "ferritin=12", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in coloured.stdout
    plain = invoke("check", "ferritin=12", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not COLOUR_CODE.search(plain.stdout)  # bold and italic may remain, colour not
    assert COLOUR_CODE.search(coloured.stdout)


def test_notes_option() -> None:
    none = invoke("check", "ferritin=12", "--format", "json", "--notes", "none")
    assert records_of(none.stdout)[0]["notes"] == []
    brief = invoke("check", "ferritin=12", "--format", "json", "--notes", "brief")
    full = invoke("check", "ferritin=12", "--format", "json")
    assert len(records_of(brief.stdout)[0]["notes"]) == 1
    assert len(records_of(full.stdout)[0]["notes"]) > 1


def test_help_and_version() -> None:
    assert invoke("--version").stdout.strip() == "b12check, version 0.2.0"
    help_text = invoke("check", "--help").stdout
    for option in ("--format", "--sex", "--age", "--units", "--ranges", "--fail-on", "--quiet"):
        assert option in help_text
    assert "Examples:" in help_text


def test_quiet_silences_stderr() -> None:
    result = invoke("check", "b12=1", "--quiet", "--format", "json")
    assert result.exit_code == 3 and result.stderr == ""


def test_output_file(tmp_path: Any) -> None:
    target = tmp_path / "out.json"
    result = invoke("check", "ferritin=60", "--format", "json", "-o", str(target))
    assert result.stdout == ""
    assert records_of(target.read_text(encoding="utf-8"))[0]["flag"] == "normal"


def test_a_flag_typed_with_the_value_is_weighed_like_a_lab_flag_column() -> None:
    """The lab-range policy lives in the core, so typed values get it as scan's rows do: a
    lab flag that disagrees with the band is said, and one that agrees adds nothing."""
    disagreeing = json.loads(invoke("check", "b12=500pg/mL L", "--format", "json").stdout)
    (record,) = disagreeing["records"]
    assert (record["flag"], record["lab_flag"]) == ("normal", "L")
    notes = [n["text"] for n in record["notes"] if n["kind"] == "lab_disagreement"]
    assert notes == ["The lab flagged this value 'L' (low); the built-in band says normal."]
    agreeing = json.loads(invoke("check", "b12=500pg/mL N", "--format", "json").stdout)
    assert not [n for n in agreeing["records"][0]["notes"] if n["kind"] == "lab_disagreement"]
