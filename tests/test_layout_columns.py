"""Which column takes each role: ``--column`` always wins, and where two columns could take a
role their cells decide (issue 15, "The wrong column")."""

import json
from typing import Any

from tests.conftest import invoke


def scan_json(*args: str, input: str) -> tuple[int, dict[str, Any], str]:
    result = invoke("scan", "-", *args, "--format", "json", input=input)
    return result.exit_code, json.loads(result.stdout), result.stderr


# A MyChart-style export: the patient's name, then the test, shaped like a portal download.
MYCHART = (
    "Name,Component,Value,Units,Reference Range,Date\n"
    "Jane Q Public,Vitamin B12,150,pg/mL,200-900,2025-03-04\n"
    "Jane Q Public,Ferritin,9,ng/mL,15-150,2025-03-04\n"
    "Jane Q Public,Folate,12.1,ng/mL,>5.8,2025-03-04\n"
)


def test_column_override_wins_over_a_test_header_further_left() -> None:
    text = "Test Name,Component,Result,Units\nPanel A,Vitamin B12,150,pg/mL\n"
    code, data, _ = scan_json("--column", "test=Component", "--column", "result=Result", input=text)
    (record,) = data["records"]
    assert (record["analyte"], record["label"], record["flag"]) == (
        "b12",
        "Vitamin B12",
        "deficient",
    )
    assert code == 1


def test_column_override_beats_a_header_of_the_same_role_even_on_its_right() -> None:
    text = "Component,Assay,Result,Units\nPanel A,Ferritin,9,ng/mL\n"
    _, data, _ = scan_json("--column", "test=Assay", input=text)
    (record,) = data["records"]
    assert (record["analyte"], record["label"]) == ("ferritin", "Ferritin")


def test_unknown_column_header_is_a_usage_error_naming_the_headers() -> None:
    text = "Test,Result,Units\nB12,150,pg/mL\n"
    result = invoke("scan", "-", "--column", "test=NoSuchHeader", input=text)
    assert result.exit_code == 2
    assert "--column test=NoSuchHeader" in result.stderr
    assert "'Test', 'Result', 'Units'" in result.stderr


def test_row_number_column_is_not_the_patient() -> None:
    text = (
        "ID,PID,Test,Result,Units,Date\n"
        "1,P001,Vitamin B12,250,pg/mL,2025-01-10\n"
        "2,P001,MMA,0.6,umol/L,2025-01-10\n"
        "3,P002,Ferritin,40,ng/mL,2025-01-10\n"
    )
    _, data, stderr = scan_json(input=text)
    assert [r["patient"] for r in data["records"]] == ["P001", "P001", "P002"]
    assert "patient read from column 'PID'" in stderr and "'ID'" in stderr
    # the two results of one patient on one date are read together
    b12 = data["records"][0]
    assert any(n["kind"] == "pattern" and "MMA" in n["text"] for n in b12["notes"])


def test_mychart_patient_name_is_not_the_test() -> None:
    code, data, stderr = scan_json(input=MYCHART)
    analytes = [r["analyte"] for r in data["records"]]
    assert analytes == ["b12", "ferritin", None]
    assert [r["flag"] for r in data["records"][:2]] == ["deficient", "deficient"]
    assert data["records"][2]["status"] == "skipped" and data["records"][2]["label"] == "Folate"
    assert "test read from column 'Component' rather than 'Name'" in stderr
    assert code == 1


def test_lab_name_column_is_not_the_test() -> None:
    text = "Lab,Test Name,Result,Units\nQuest Diagnostics,Ferritin,9,ng/mL\n"
    _, data, stderr = scan_json(input=text)
    (record,) = data["records"]
    assert record["analyte"] == "ferritin"
    assert "'Test Name' rather than 'Lab'" in stderr


def test_one_candidate_per_role_says_nothing() -> None:
    text = "Test,Result,Units\nFerritin,40,ng/mL\n"
    result = invoke("scan", "-", "--format", "csv", input=text)
    assert result.stderr == ""


def test_lab_range_in_two_columns_is_read() -> None:
    # shaped like a hospital research extract: lower and upper limits in their own columns
    text = (
        "subject_id,label,valuenum,valueuom,ref_range_lower,ref_range_upper\n"
        "10001,Magnesium,0.65,mmol/L,0.9,1.2\n"
        "10002,Magnesium,0.95,mmol/L,0.9,1.2\n"
    )
    _, data, _ = scan_json("--lab-ranges", "prefer", input=text)
    low, inside = data["records"]
    assert low["lab_range"] == "0.9 - 1.2" and inside["lab_range"] == "0.9 - 1.2"
    assert low["patient"] == "10001"


def test_lab_range_low_high_and_one_side_alone() -> None:
    text = (
        "Test,Result,Units,LOW,HIGH\n"
        "Vitamin D,25,ng/mL,30,\n"
        "Ferritin,400,ng/mL,,150\n"
        "B12,400,pg/mL,,\n"
    )
    _, data, _ = scan_json(input=text)
    assert [r["lab_range"] for r in data["records"]] == [">=30", "<=150", None]


def test_lab_range_ref_low_ref_high_in_a_wide_file_with_the_cache() -> None:
    text = "Patient,Ref Low,Ref High,Ferritin (ng/mL)\nA,15,150,40\nB,30,400,40\nC,15,150,40\n"
    _, data, _ = scan_json(input=text)
    assert [r["lab_range"] for r in data["records"]] == ["15 - 150", "30 - 400", "15 - 150"]


def test_wide_file_with_units_row_keeps_every_cell_of_an_uncovered_column() -> None:
    text = (
        "Subject,Visit Date,B12,Glucose,Ferritin,Comment\n"
        ",,pg/mL,mg/dL,ng/mL,\n"
        "S1,2025-01-02,300,95,40,fasting\n"
        "S2,2025-01-02,,99,,\n"
        "S3,2025-01-03,310,95,41,\n"
    )
    _, data, stderr = scan_json(input=text)
    glucose = [r for r in data["records"] if r["column"] == "Glucose"]
    assert [(r["status"], r["patient"], r["value_text"]) for r in glucose] == [
        ("skipped", "S1", "95"),
        ("skipped", "S2", "99"),
        ("skipped", "S3", "95"),
    ]
    assert all(r["reason"] == "not a test b12check covers" for r in glucose)
    assert "columns for tests not covered: Glucose" in stderr
    assert not any(r["column"] == "Comment" for r in data["records"])
    assert data["summary"]["skipped"] == 3


def test_labels_not_covered_are_summed_up_on_stderr_once_each() -> None:
    rows = "".join(f"P{i},Sodium,140,mmol/L\nP{i},Glucose,90,mg/dL\n" for i in range(3))
    text = "Patient,Test,Result,Units\n" + rows + "P9,Ferritn,40,ng/mL\nP9,Ferritin,40,ng/mL\n"
    code, data, stderr = scan_json(input=text)
    lines = [line for line in stderr.splitlines() if "test label" in line]
    assert lines[0].startswith("b12check: -: test label 'Glucose' not read (3 rows)")
    assert lines[1].startswith("b12check: -: test label 'Sodium' not read (3 rows)")
    assert "'Ferritn' not read (1 row)" in lines[2] and "did you mean ferritin" in lines[2]
    assert len(lines) == 3
    assert data["summary"]["skipped"] == 7 and data["summary"]["results"] == 1


def test_labels_summary_is_capped() -> None:
    rows = "".join(f"Other test {i},1,mg/dL\n" for i in range(15))
    result = invoke("scan", "-", "--format", "csv", input="Test,Result,Units\n" + rows)
    lines = [line for line in result.stderr.splitlines() if "not read" in line]
    assert len(lines) == 11
    assert lines[-1] == "b12check: -: ... and 5 more test labels not read (5 rows)"
    assert invoke("scan", "-", "-q", "--format", "csv", input="Test,Result\nX,1\n").stderr == ""
