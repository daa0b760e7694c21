"""Guideline sets shipped in the data, chosen with --guideline, compared with --compare."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke
from tests.test_fastlane import make_csv, scan_text


def flag(*args: str) -> tuple[str, str]:
    result = invoke("check", *args, "--format", "json", "--notes", "none")
    (record,) = json.loads(result.stdout)["records"]
    return record["flag"], record["guideline"]


@pytest.mark.parametrize(
    ("value", "guideline", "expected"),
    [
        ("d=25ng/mL", None, ("normal", "iom-2011")),
        ("d=25ng/mL", "endocrine-society-2011", ("borderline", "endocrine-society-2011")),
        ("d=75nmol/L", "endocrine-society-2011", ("normal", "endocrine-society-2011")),
        ("d=74.9nmol/L", "endocrine-society-2011", ("borderline", "endocrine-society-2011")),
        ("d=19.9ng/mL", "endocrine-society-2011", ("deficient", "endocrine-society-2011")),
        ("b12=149pg/mL", "mayo-cascade", ("deficient", "mayo-cascade")),
        ("b12=150pg/mL", "mayo-cascade", ("borderline", "mayo-cascade")),
        ("b12=401pg/mL", "mayo-cascade", ("normal", "mayo-cascade")),
        ("b12=199pg/mL", "labcorp-cascade", ("deficient", "labcorp-cascade")),
        ("b12=200pg/mL", "labcorp-cascade", ("borderline", "labcorp-cascade")),
        ("mg=0.80mmol/L", None, ("borderline", "rcpa-with-low-normal")),
        ("mg=0.80mmol/L", "rcpa", ("normal", "rcpa")),
        ("mg=0.80mmol/L", "elin-2010", ("deficient", "elin-2010")),
        ("mg=2.07mg/dL", "elin-2010", ("normal", "elin-2010")),
    ],
)
def test_each_guideline_reads_its_own_edges(
    value: str, guideline: str | None, expected: tuple[str, str]
) -> None:
    args = [value] if guideline is None else [value, "--guideline", guideline]
    assert flag(*args) == expected


def test_a_global_guideline_applies_only_to_tests_that_have_it() -> None:
    result = invoke(
        "check",
        "d=25ng/mL",
        "ferritin=30",
        "--guideline",
        "endocrine-society-2011",
        "--format",
        "json",
    )
    records = json.loads(result.stdout)["records"]
    assert [(r["flag"], r["guideline"]) for r in records] == [
        ("borderline", "endocrine-society-2011"),
        ("borderline", "default"),
    ]


@pytest.mark.parametrize(
    ("choice", "message"),
    [("who-2099", "unknown guideline 'who-2099'; known:"), ("ferritin=rcpa", "has no guideline")],
)
def test_unknown_guideline_is_a_usage_error(choice: str, message: str) -> None:
    result = invoke("check", "d=25ng/mL", "--guideline", choice)
    assert result.exit_code == 2 and message in result.stderr


def test_compare_lists_every_guideline_side_by_side() -> None:
    result = invoke("check", "d=25ng/mL", "b12=250pg/mL", "--compare", "--format", "json")
    rows = json.loads(result.stdout)["comparisons"]
    assert [(r["analyte"], r["guideline"], r["flag"]) for r in rows] == [
        ("vitamin_d", "iom-2011", "normal"),
        ("vitamin_d", "endocrine-society-2011", "borderline"),
        ("b12", "nice-2024", "borderline"),
        ("b12", "mayo-cascade", "borderline"),
        ("b12", "labcorp-cascade", "borderline"),
    ]
    assert all(r["band_source"] for r in rows)
    table = invoke("check", "d=25ng/mL", "--compare", env={"COLUMNS": "120"}).stdout
    assert "endocrine-society-2011" in table and "Not medical advice" in table


def test_guideline_bands_must_tile_too(tmp_path: Path) -> None:
    overlay = tmp_path / "g.yaml"
    overlay.write_text(
        "analytes:\n  ferritin:\n    guidelines:\n      strict:\n        title: A gap\n"
        "        bands:\n"
        '          - {range: "(, 30)", flag: deficient, interpretation: L, source: x}\n'
        '          - {range: "(40, )", flag: normal, interpretation: N, source: x}\n',
        encoding="utf-8",
    )
    result = invoke("check", "ferritin=30", "--ranges", str(overlay))
    assert result.exit_code == 2
    assert f"{overlay}:8:" in result.stderr and "gap" in result.stderr


def test_fast_lane_follows_the_chosen_guideline() -> None:
    from b12check.core.evaluate import Settings
    from b12check.core.refdata import load_reference

    text = make_csv(seed=11, rows=1500, with_sex=True)
    chosen = (("*", "endocrine-society-2011"), ("magnesium", "elin-2010"))
    reference = load_reference()

    def run(fast: bool) -> tuple[str, int]:
        settings: Any = Settings(reference, notes="none", guidelines=chosen)
        return scan_text(text, "csv", fast=fast, settings_=settings)

    fast_out, fast_count = run(True)
    assert fast_count > 500
    assert fast_out == run(False)[0]
    assert "endocrine-society-2011" in fast_out and "elin-2010" in fast_out


def test_fast_lane_reads_a_sex_specific_guideline_per_sex(tmp_path: Path) -> None:
    """A guideline whose bands differ by sex, where the default bands do not (B12)."""
    from b12check.core.evaluate import Settings
    from b12check.core.refdata import load_reference

    overlay = tmp_path / "sexed.yaml"
    band = '          - {{range: "{}", flag: {}, interpretation: {}, sex: {}, source: x}}\n'
    overlay.write_text(
        "analytes:\n  b12:\n    guidelines:\n      by-sex:\n        title: Sex-specific\n"
        "        bands:\n"
        + band.format("(, 300)", "deficient", "L", "female")
        + band.format("[300, )", "normal", "N", "female")
        + band.format("(, 200)", "deficient", "L", "male")
        + band.format("[200, )", "normal", "N", "male"),
        encoding="utf-8",
    )
    reference = load_reference((str(overlay),))
    text = make_csv(seed=3, rows=1500, with_sex=True)

    def run(fast: bool) -> str:
        settings: Any = Settings(reference, notes="none", guidelines=(("b12", "by-sex"),))
        return scan_text(text, "csv", fast=fast, settings_=settings)[0]

    fast_out = run(True)
    assert "by-sex" in fast_out
    assert fast_out == run(False)
