"""``ranges --format yaml`` writes a ranges file (issue 15, item 9): ``ranges validate``
accepts it, and laid over the built-in data with ``--ranges`` it changes no result, with or
without overlays in force when it was written."""

import json
from pathlib import Path

import pytest
import yaml

from b12check.core.evaluate import Settings, evaluate
from b12check.core.refdata import Reference, load_reference
from b12check.core.vocab import LabRangePolicy
from tests.conftest import invoke, overlay

LAB = (
    "version: 1\nanalytes:\n  b12:\n    bands:\n"
    '      - {range: "(, 200)", flag: deficient, interpretation: L, source: My lab}\n'
    '      - {range: "[200, 900]", flag: normal, interpretation: N, source: My lab}\n'
    '      - {range: "(900, )", flag: high, interpretation: H, source: My lab}\n'
    "    aliases: [Cobalamin Serum Level]\n"
    "  ferritin:\n    add_bands:\n"
    '      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Kids}\n'
    '      - {range: "[10, 140]", flag: normal, interpretation: N, age: "[0, 18)", source: Kids}\n'
    '      - {range: "(140, )", flag: high, interpretation: H, age: "[0, 18)", source: Kids}\n'
)


def _saved(tmp_path: Path, *args: str, name: str = "saved.yaml") -> str:
    result = invoke("ranges", "--format", "yaml", *args)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / name
    path.write_text(result.stdout, encoding="utf-8")
    return str(path)


def test_the_yaml_validates(tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    result = invoke("ranges", "validate", saved)
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout
    data = yaml.safe_load(Path(saved).read_text(encoding="utf-8"))
    assert "origins" not in data and data["version"] == 1
    assert data["analytes"]["b12"]["bands"][0]["range"] == "(, 180)"


def test_the_yaml_of_one_test_validates(tmp_path: Path) -> None:
    lab = overlay(tmp_path, LAB)
    saved = _saved(tmp_path, "b12", "--ranges", lab)
    assert invoke("ranges", "validate", saved).exit_code == 0
    data = yaml.safe_load(Path(saved).read_text(encoding="utf-8"))
    assert list(data["analytes"]) == ["b12"]
    assert [b["range"] for b in data["analytes"]["b12"]["bands"]] == [
        "(, 200)",
        "[200, 900]",
        "(900, )",
    ]


def test_the_yaml_says_what_it_is_made_of(tmp_path: Path) -> None:
    lab = overlay(tmp_path, LAB)
    text = invoke("ranges", "--format", "yaml", "--ranges", lab).stdout
    assert text.startswith(f"# The ranges in force (built-in, then {lab})")


def test_a_file_name_cannot_break_out_of_the_comment(tmp_path: Path) -> None:
    lab = overlay(tmp_path, LAB, name="a\nversion: 2\n.yaml")
    saved = _saved(tmp_path, "--ranges", lab)
    assert invoke("ranges", "validate", saved).exit_code == 0


CASES = [
    "b12=150pg/mL",
    "b12=250 pmol/L",
    "b12=<400pg/mL",
    "vitamin d=45 nmol/L",
    "vitamin d=25ng/mL",
    "mg=0.72mmol/L",
    "mg=2.1 mg/dL",
    "ferritin=170",
    "ferritin=12",
    "iron=9umol/L",
    "tibc=410ug/dL",
    "tsat=0.14",
    "mma=0.5umol/L",
    "homocysteine=16umol/L",
]


@pytest.mark.parametrize("extra", [[], ["--sex", "f", "--age", "12"], ["--guideline", "rcpa"]])
@pytest.mark.parametrize("with_lab", [False, True], ids=["built-in", "after-an-overlay"])
def test_check_gives_the_same_bytes_with_the_saved_file(
    tmp_path: Path, extra: list[str], with_lab: bool
) -> None:
    before = ["--ranges", overlay(tmp_path, LAB)] if with_lab else []
    saved = _saved(tmp_path, *before)
    args = ["check", *CASES, "--notes", "full", "-f", "json", *extra]
    plain = invoke(*args, *before)
    again = invoke(*args, "--ranges", saved)
    assert plain.exit_code == again.exit_code
    assert plain.stdout == again.stdout
    assert json.loads(plain.stdout)["records"]


def test_scan_gives_the_same_bytes_with_the_saved_file(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "Patient,Date,Test,Result,Units,Reference Range\n"
        "P1,2025-01-02,Vitamin B12,190,pg/mL,200-900\n"
        "P1,2025-01-02,Cobalamin Serum Level,600,pg/mL,\n"
        "P1,2025-01-02,Ferritin,30,ng/mL,\n"
        "P1,2025-01-02,Transferrin Saturation,12,%,\n",
        encoding="utf-8",
    )
    lab = overlay(tmp_path, LAB)
    saved = _saved(tmp_path, "--ranges", lab)
    for policy in ("show", "prefer", "ignore"):
        args = ("scan", str(export), "-f", "json", "--lab-ranges", policy)
        assert invoke(*args, "--ranges", lab).stdout == invoke(*args, "--ranges", saved).stdout


# ---------------------------------- every test, guideline, unit and sex, over a grid of values


def _grid(reference: Reference) -> list[tuple[str, str, float]]:
    """(test, unit, number): each band edge of every guideline, in every unit of the test,
    and a little either side of it."""
    out = []
    for analyte_id, analyte in reference.analytes.items():
        edges = {
            edge
            for name in analyte.guidelines
            for band in analyte.bands_of(name)
            for edge in (band.interval.low, band.interval.high)
            if edge is not None
        }
        for unit, factor in analyte.factors.items():
            for edge in sorted(edges):
                for number in (edge * 0.9, edge, edge * 1.1):
                    out.append((analyte_id, unit, float(f"{number / factor:.6g}")))
    return out


def _records(reference: Reference, guideline: str | None, lab: bool) -> list[dict[str, object]]:
    out = []
    for sex in (None, "female", "male"):
        run = Settings(
            reference,
            sex=sex,
            notes="full",
            guidelines=(("*", guideline),) if guideline else (),
            lab_ranges=LabRangePolicy.PREFER if lab else LabRangePolicy.IGNORE,
        )
        for analyte_id, unit, number in _grid(reference):
            record = evaluate(
                run,
                file="t",
                line=1,
                name=analyte_id,
                value_text=f"{number:g}",
                unit_text=unit,
                lab_range="10-100" if lab else None,
            )
            out.append(record.as_dict())
    return out


@pytest.mark.parametrize("with_lab", [False, True], ids=["built-in", "after-an-overlay"])
def test_the_saved_file_changes_no_result(tmp_path: Path, with_lab: bool) -> None:
    before = (overlay(tmp_path, LAB),) if with_lab else ()
    saved = _saved(tmp_path, *(["--ranges", before[0]] if before else []))
    original = load_reference(before)
    reloaded = load_reference((saved,))  # alone: it holds the overlay's changes too
    names = {None, *(g for a in original.analytes.values() for g in a.guidelines)}
    compared = 0
    for guideline in sorted(names, key=str):
        for lab in (False, True):
            first = _records(original, guideline, lab)
            second = _records(reloaded, guideline, lab)
            assert first == second
            compared += len(first)
    assert compared > 5000
