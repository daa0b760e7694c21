"""The shipped data: valid, compiled copy in step, and user files validated with line numbers."""

import json
from pathlib import Path

import pytest

from b12check.core.build import COMPILED, compile_data, render
from b12check.core.errors import ConfigError
from b12check.core.models import validate_ranges
from b12check.core.refdata import load_reference
from b12check.core.yamlload import load_yaml_file, load_yaml_text
from tests.conftest import REPO, SPEC_ANALYTES

ROOT_YAML = REPO / "reference_ranges.yaml"


def test_compiled_copy_equals_validating_the_yaml() -> None:
    fresh = compile_data(ROOT_YAML)
    assert json.loads(COMPILED.read_text(encoding="utf-8")) == fresh
    assert COMPILED.read_text(encoding="utf-8") == render(fresh)


def test_every_analyte_of_the_spec_ships() -> None:
    reference = load_reference()
    assert tuple(reference.analytes) == SPEC_ANALYTES
    spec_loinc = {
        "b12": {"2132-9", "14685-2"},
        "vitamin_d": {"62292-8", "1989-3", "14635-7"},
        "magnesium": {"19123-9", "2601-3"},
        "ferritin": {"2276-4", "20567-4"},
        "iron": {"2498-4", "14798-3"},
        "tibc": {"2500-7", "14800-7"},
        "tsat": {"2502-3", "14801-5"},
        "mma": {"13964-2"},
        "homocysteine": {"13965-9"},
    }
    for analyte_id, codes in spec_loinc.items():
        assert codes <= set(reference.analytes[analyte_id].loinc)


@pytest.mark.parametrize(
    ("name", "analyte"),
    [
        ("Vitamin B12", "b12"),
        ("VIT B 12", "b12"),
        ("cobalamin", "b12"),
        ("2132-9", "b12"),
        ("25(OH)D", "vitamin_d"),
        ("25-OH Vitamin D", "vitamin_d"),
        ("Calcidiol", "vitamin_d"),
        ("VITAMIN D,25-OH,TOTAL,IA", "vitamin_d"),
        ("25-Hydroxy D2+D3", "vitamin_d"),
        ("Mg", "magnesium"),
        ("magnesium serum", "magnesium"),
        ("19123-9", "magnesium"),
        ("Serum ferritin", "ferritin"),
        ("Fe", "iron"),
        ("Serum iron", "iron"),
        ("Total iron binding capacity", "tibc"),
        ("% Saturation", "tsat"),
        ("Transferrinsättigung", "tsat"),
        ("MMA", "mma"),
        ("tHcy", "homocysteine"),
        ("Homocyst(e)ine", "homocysteine"),
    ],
)
def test_names_seen_in_exports(name: str, analyte: str) -> None:
    found = load_reference().lookup(name)
    assert found is not None and found.id == analyte


def problems_of(text: str) -> list[str]:
    loaded = load_yaml_text(text, "lab.yaml")
    model, problems = validate_ranges(loaded.data)
    assert model is None
    return [f"{loaded.locate(loc)}: {message}" for loc, message in problems]


BASE = ROOT_YAML.read_text(encoding="utf-8")


def test_broken_band_reports_file_line_and_column() -> None:
    broken = BASE.replace(
        '{range: "[180, 350]", flag: borderline', '{range: "[170, 350]", flag: borderline'
    )
    (problem,) = problems_of(broken)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "[170, 350]" in text)
    assert problem.startswith(f"lab.yaml:{line}:")
    assert "overlaps" in problem


def test_unknown_flag_and_field_are_named() -> None:
    broken = BASE.replace(
        "flag: deficient, interpretation: L,\n         source: NICE",
        "flag: deficent, interpretation: L,\n         source: NICE",
    )
    broken = broken.replace(
        "    measures: >-\n      Total cobalamin",
        "    colour: red\n    measures: >-\n      Total cobalamin",
    )
    found = "\n".join(problems_of(broken))
    assert "flag: Input should be" in found
    assert "unknown field 'colour'" in found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: &x [1]\nb: *x\n", "anchors"),
        ("a: !!python/object/apply:os.system ['echo']\n", "could not determine a constructor"),
    ],
)
def test_unsafe_yaml_is_refused_with_a_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_yaml_text(text, "x.yaml")
    assert str(caught.value).startswith("x.yaml:")


def test_yaml_1_1_surprises_stay_text() -> None:
    data = load_yaml_text("a: no\nb: on\nc: 010\nd: 1:20\ne: 2024-01-02\nf: 1e3\n", "x").data
    assert data == {"a": "no", "b": "on", "c": "010", "d": "1:20", "e": "2024-01-02", "f": 1000.0}


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1024 * 1024 + 10) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="over the"):
        load_yaml_file(big)
