"""Units read by dimension and prefix (issue 15, item 3): any mass, amount or charge per
volume converts through the test's molar mass or valence in the data; '(calc)' is ignored;
a unit of the wrong kind is refused and a wrong prefix is caught as implausible."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke


def scan_records(tmp_path: Path, text: str, *options: str) -> list[dict[str, Any]]:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    result = invoke("scan", str(path), "--format", "json", "--sex", "female", *options)
    data = json.loads(result.stdout)
    summary = data["summary"]
    assert summary["results"] + summary["errors"] + summary["skipped"] == len(data["records"])
    records: list[dict[str, Any]] = data["records"]
    return records


# (test, value, unit, value in the canonical unit). The expected numbers are worked by hand
# from SI prefixes and the molar masses of reference-facts 1 (Fe 55.845, 25-OH-D3 400.65,
# cobalamin 1355.37 g/mol, Mg 24.305 g/mol with two equivalents).
UNLISTED = [
    ("Iron", "900", "ug/L", 90.0),  # ug/L -> ug/dL: / 10
    ("Iron", "90", "mcg/dL (calc)", 90.0),
    ("Iron", "90", "µg/dL (calc)", 90.0),
    ("Vitamin D", "4.5", "ug/dL", 45.0),  # 4.5 ug/dL = 45 ug/L = 45 ng/mL
    ("Vitamin D", "4500", "ng/dL", 45.0),
    ("Vitamin B12", "0.5", "nmol/L", 677.685),  # 0.5 nmol/L x 1355.37 g/mol = 677.685 ng/L
    ("Magnesium", "19", "mg/L", 0.781732),  # 19 mg/L / 24.305 g/mol = 0.781732 mmol/L
    ("Magnesium", "1.6", "meq/L", 0.8),  # two equivalents per mole
    ("Homocysteine", "12", "nmol/mL", 12.0),
    ("Transferrin saturation", "25", "% (calc)", 25.0),
    ("Ferritin", "50", "ng/mL (calc)", 50.0),
]


@pytest.mark.parametrize(("test", "value", "unit", "canonical"), UNLISTED)
def test_units_of_the_right_kind_are_read_by_prefix(
    tmp_path: Path, test: str, value: str, unit: str, canonical: float
) -> None:
    (record,) = scan_records(tmp_path, f"Test,Result,Unit\n{test},{value},{unit}\n")
    assert record["status"] == "result", record["reason"]
    assert record["value"] == canonical
    assert record["unit"] == unit  # kept as written


def test_ucum_spellings_are_units(tmp_path: Path) -> None:
    text = "Test,Result,Unit\nIron,16,umol/L\nFerritin,30,[iU]/L\n"
    iron, ferritin = scan_records(tmp_path, text)
    assert iron["status"] == "result" and iron["value"] == 89.352  # 16 x 55.845 / 10
    assert ferritin["status"] == "error"
    assert "'[iU]/L' is not a unit of this test" in ferritin["reason"]


def test_a_wrong_prefix_is_caught_by_plausibility(tmp_path: Path) -> None:
    (record,) = scan_records(tmp_path, "Test,Result,Unit\nVitamin D,45,mg/dL\n")
    assert record["status"] == "error" and record["flag"] is None
    assert "45 mg/dL is not a plausible" in record["reason"]
    assert "was it 45 ng/mL?" in record["reason"]


def test_a_unit_of_another_kind_is_refused(tmp_path: Path) -> None:
    text = "Test,Result,Unit\nFerritin,50,pmol/L\nTSAT,25,ug/dL\n"
    ferritin, tsat = scan_records(tmp_path, text)
    # ferritin has no molar mass in the data: an amount cannot become a mass
    assert ferritin["status"] == "error" and "not a unit of this test" in ferritin["reason"]
    assert tsat["status"] == "error" and "not a unit of this test" in tsat["reason"]


def test_a_wide_header_unit_is_read_by_prefix(tmp_path: Path) -> None:
    text = "Patient,Iron (ug/L),Vitamin D (ng/dL)\nP1,900,4500\n"
    iron, vitamin_d = scan_records(tmp_path, text)
    assert (iron["value"], vitamin_d["value"]) == (90.0, 45.0)


def test_typed_values_take_unlisted_units() -> None:
    result = invoke("check", "iron=900 ug/L", "tsat=25 % (calc)", "--format", "json")
    values = [r["value"] for r in json.loads(result.stdout)["records"]]
    assert values == [90.0, 25.0]


def test_value_and_unit_column_must_agree_by_meaning(tmp_path: Path) -> None:
    text = "Test,Result,Unit\nIron,900 ug/L,mcg/L\nIron,900 ug/L,mg/dL\n"
    same, different = scan_records(tmp_path, text)
    assert same["status"] == "result"
    assert different["status"] == "error" and "but the unit says" in different["reason"]
