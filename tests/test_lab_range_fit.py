"""The lab's own range read right (issue 15, item 4): converted from its own unit, and not
used, with the reason in the record's warnings, when it cannot tell low from high."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke


def scan_records(tmp_path: Path, rows: str, policy: str) -> list[dict[str, Any]]:
    path = tmp_path / "export.csv"
    path.write_text("Test,Result,Unit,Reference Range\n" + rows, encoding="utf-8")
    args = ("scan", str(path), "--format", "json", "--notes", "brief", "--lab-ranges", policy)
    data = json.loads(invoke(*args).stdout)
    records: list[dict[str, Any]] = data["records"]
    assert data["summary"]["results"] + data["summary"]["errors"] == len(records)
    return records


def test_a_range_in_its_own_unit_is_converted_before_it_is_preferred(tmp_path: Path) -> None:
    # 100 nmol/L of 25-OH-D is 40 ng/mL (molar mass 400.65): inside 20-50 ng/mL
    (record,) = scan_records(tmp_path, "Vitamin D,100,nmol/L,20-50 ng/mL\n", "prefer")
    assert record["flag"] == "normal"
    assert not record["warnings"]
    assert not any(n["kind"] == "lab_disagreement" for n in record["notes"])


def test_a_converted_range_can_also_disagree(tmp_path: Path) -> None:
    # 30 ng/mL is 74.9 nmol/L: just below the lab's 75-250 nmol/L
    (record,) = scan_records(tmp_path, "Vitamin D,30,ng/mL,75-250 nmol/L\n", "prefer")
    assert record["flag"] == "low"
    assert record["band_source"] == "the lab's reference range (75–250 nmol/L)"
    assert round(record["band_low"], 2) == 30.05  # 75 nmol/L in ng/mL
    shown = scan_records(tmp_path, "Vitamin D,30,ng/mL,75-250 nmol/L\n", "show")[0]
    assert shown["flag"] == "normal"
    assert any("75–250 nmol/L" in n["text"] for n in shown["notes"])


@pytest.mark.parametrize(
    ("lab_range", "why"),
    [
        ("0-0", "its low and high ends are the same"),
        ("0.7-0.7", "its low and high ends are the same"),
        ("0-5", "it takes in every usual Magnesium (serum) value"),
        ("0-9999", "9999 mmol/L is not a plausible Magnesium (serum) result"),
        ("20-50", "20 mmol/L is not a plausible"),
        ("0.70-1.00 furlongs", "'furlongs' is not a unit of this test"),
    ],
)
@pytest.mark.parametrize("policy", ["prefer", "show"])
def test_a_range_that_cannot_tell_low_from_high_is_not_used(
    tmp_path: Path, lab_range: str, why: str, policy: str
) -> None:
    # magnesium 0.3 mmol/L is critically low by the built-in bands; no such range may say
    # otherwise
    (record,) = scan_records(tmp_path, f"Magnesium,0.3,mmol/L,{lab_range}\n", policy)
    assert record["flag"] == "critical_low"
    assert "lab's reference range" not in (record["band_source"] or "")
    unused = [w for w in record["warnings"] if "the lab's range" in w]
    assert len(unused) == 1 and "was not used" in unused[0] and why in unused[0]
    assert not any(n["kind"] == "lab_disagreement" for n in record["notes"])


def test_a_usable_range_still_decides_under_prefer(tmp_path: Path) -> None:
    (record,) = scan_records(tmp_path, "B12,250,pg/mL,232-1245\n", "prefer")
    assert record["flag"] == "normal" and not record["warnings"]


def test_the_python_api_leaves_an_unusable_range_out_too() -> None:
    # the Python API and scan share the core: a range that is a point is never used
    from b12check.api import load_ranges

    result = load_ranges().check("magnesium", "0.3 mmol/L", lab_range="0-0", lab_ranges="prefer")
    assert result.flag == "critical_low"
    assert any("was not used" in w for w in result.warnings)
