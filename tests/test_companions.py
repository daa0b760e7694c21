"""``scan --patients FILE`` and ``scan --codes FILE``: companion tables joined by id (issue 15,
"Companion tables"). Every scan runs with and without the row cache (conftest ``invoke``),
which must give each row its own patient's sex and age."""

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import invoke

# Shaped like a hospital research extract: a lab events table keyed by subject and item id,
# a patients table and a lab item dictionary beside it (written here, not copied).
PATIENTS = "subject_id,gender,dob\n101,F,1980-05-01\n102,M,1950-01-01\n104,F,2015-02-01\n"
CODES = (
    "itemid,label,fluid,loinc_code\n"
    "50924,Ferritin,Blood,2276-4\n"
    "50960,Magnesium,Blood,19123-9\n"
    "50931,Glucose,Blood,2345-7\n"
)
EVENTS = (
    "subject_id,charttime,itemid,value,valueuom\n"
    "101,2024-01-05 08:00,50924,180,ng/mL\n"
    "102,2024-01-05 08:00,50924,180,ng/mL\n"
    "103,2024-01-05 08:00,50924,180,ng/mL\n"
    "104,2024-01-05 08:00,50924,180,ng/mL\n"
    "101,2024-01-05 08:00,50931,90,mg/dL\n"
    "101,2024-01-05 08:00,59999,90,mg/dL\n"
)


def files(tmp_path: Path, **texts: str) -> dict[str, str]:
    paths = {}
    for name, text in texts.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    return paths


def scan_json(*args: str) -> tuple[int, dict[str, Any], str]:
    result = invoke("scan", *args, "--format", "json")
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_patients_and_codes_tables_are_joined_by_id(tmp_path: Path) -> None:
    paths = files(tmp_path, events=EVENTS, patients=PATIENTS, codes=CODES)
    _, data, stderr = scan_json(
        paths["events"], "--patients", paths["patients"], "--codes", paths["codes"]
    )
    records = data["records"]
    ferritin = records[:4]
    assert [r["analyte"] for r in ferritin] == ["ferritin"] * 4
    # 180 ng/mL is high for a woman, normal for a man, and depends on the sex without one
    assert [(r["patient"], r["sex"], r["flag"]) for r in ferritin] == [
        ("101", "female", "high"),
        ("102", "male", "normal"),
        ("103", None, "unclassified"),
        ("104", "female", "high"),
    ]
    assert [int(r["age"] or -1) for r in ferritin] == [43, 74, -1, 8]
    assert any("adult" in w for w in ferritin[3]["warnings"])
    assert any("not in patients.csv" in w for w in ferritin[2]["warnings"])
    glucose, unknown = records[4:]
    assert (glucose["status"], glucose["label"]) == ("skipped", "Glucose")
    assert unknown["status"] == "skipped" and unknown["label"] == "59999"
    assert "code '59999' not in codes.csv" in unknown["warnings"]
    assert "patient ids not found in patients.csv (1 row): '103'" in stderr
    assert "codes not found in codes.csv (1 row): '59999'" in stderr
    assert data["summary"]["records"] == 6


def test_a_row_s_own_sex_wins_over_the_patients_table(tmp_path: Path) -> None:
    events = "Patient,Sex,Test,Result,Units\n101,M,Ferritin,180,ng/mL\n101,,Ferritin,180,ng/mL\n"
    paths = files(tmp_path, events=events, patients=PATIENTS)
    _, data, _ = scan_json(paths["events"], "--patients", paths["patients"])
    assert [(r["sex"], r["flag"]) for r in data["records"]] == [
        ("male", "normal"),
        ("female", "high"),
    ]


def test_patients_table_with_age_column_and_a_wide_file(tmp_path: Path) -> None:
    patients = "Patient ID;Sex;Age\nA;female;40\nB;male;40\n"
    wide = "Patient,Ferritin (ng/mL)\nA,180\nB,180\nA,180\n"
    paths = files(tmp_path, events=wide, patients=patients)
    _, data, _ = scan_json(paths["events"], "--patients", paths["patients"])
    assert [(r["sex"], r["age"], r["flag"]) for r in data["records"]] == [
        ("female", 40, "high"),
        ("male", 40, "normal"),
        ("female", 40, "high"),
    ]


def test_patients_rows_that_disagree_are_not_used(tmp_path: Path) -> None:
    patients = "PID,Sex\nA,F\nA,M\n"
    events = "PID,Test,Result,Units\nA,Ferritin,180,ng/mL\n"
    paths = files(tmp_path, events=events, patients=patients)
    _, data, _ = scan_json(paths["events"], "--patients", paths["patients"])
    (record,) = data["records"]
    assert record["flag"] == "unclassified"
    assert any("disagree" in w for w in record["warnings"])


def test_a_companion_table_without_the_columns_is_a_usage_error(tmp_path: Path) -> None:
    paths = files(tmp_path, events=EVENTS, bad="a,b\n1,2\n")
    result = invoke("scan", paths["events"], "--patients", paths["bad"])
    assert result.exit_code == 2 and "--patients" in result.stderr and "'a', 'b'" in result.stderr
    result = invoke("scan", paths["events"], "--codes", paths["bad"])
    assert result.exit_code == 2 and "--codes" in result.stderr


def test_a_file_with_no_patient_column_to_join_by_is_an_error_record(tmp_path: Path) -> None:
    paths = files(tmp_path, events="Test,Result,Units\nFerritin,40,ng/mL\n", patients=PATIENTS)
    code, data, stderr = scan_json(paths["events"], "--patients", paths["patients"])
    (record,) = data["records"]
    assert record["status"] == "error" and "no patient column" in record["reason"]
    assert code == 3


def test_a_row_of_the_wrong_width_stays_an_error(tmp_path: Path) -> None:
    events = "Patient,Test,Result,Units\n101,Ferritin,180,ng/mL\n101,Ferritin,180,ng/mL,x,y,z\n"
    paths = files(tmp_path, events=events, patients=PATIENTS)
    _, data, _ = scan_json(paths["events"], "--patients", paths["patients"])
    assert data["records"][1]["reason"] == "expected 4 fields, found 7"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sexes=st.lists(st.sampled_from(["F", "M", ""]), min_size=1, max_size=6),
    order=st.lists(st.integers(0, 5), min_size=1, max_size=12),
)
def test_each_row_gets_its_own_patient_s_sex_from_the_table(
    tmp_path: Path, sexes: list[str], order: list[int]
) -> None:
    """Whatever the patients and the order of their rows, each record carries its own
    patient's sex, with the cache and without it (invoke compares the two)."""
    patients = "Patient,Sex\n" + "".join(f"P{i},{sex}\n" for i, sex in enumerate(sexes))
    picks = [i % len(sexes) for i in order]
    events = "Patient,Test,Result,Units\n" + "".join(f"P{i},Ferritin,180,ng/mL\n" for i in picks)
    paths = files(tmp_path, events=events, patients=patients)
    _, data, _ = scan_json(paths["events"], "--patients", paths["patients"])
    expected = {"F": ("female", "high"), "M": ("male", "normal"), "": (None, "unclassified")}
    assert [(r["sex"], r["flag"]) for r in data["records"]] == [expected[sexes[i]] for i in picks]
