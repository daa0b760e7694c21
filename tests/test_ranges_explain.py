"""``b12check ranges`` (show, validate, template): the functions called directly, then
through the CLI. ``b12check explain`` is tested in test_explain.py."""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from b12check.cli.main import cli
from b12check.core.errors import B12CheckError
from b12check.core.refdata import Reference, load_reference
from b12check.render.explain import write_explain
from b12check.render.ranges_view import (
    TEMPLATE,
    ranges_data,
    run_validate,
    validate_file,
    write_ranges,
)
from tests.conftest import SPEC_ANALYTES, overlay, written

BUILT_IN_IDS = set(SPEC_ANALYTES)
B12_RANGES = ["(, 180)", "[180, 350]", "(350, 914]", "(914, )"]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


# ------------------------------------------------------------------ ranges: show


def test_ranges_json_round_trip(ref: Reference) -> None:
    data = json.loads(written(write_ranges, ref, None, "json"))
    assert data == ranges_data(ref, None)
    assert data["origins"] == ["built-in"]
    assert set(data["analytes"]) == BUILT_IN_IDS


def test_ranges_yaml_is_a_ranges_file(ref: Reference) -> None:
    """yaml is the ranges in force in the shape of a ranges file (test_ranges_round_trip.py
    loads it back); json and the table are the view with units as factors."""
    data = yaml.safe_load(written(write_ranges, ref, None, "yaml"))
    assert data["version"] == 1 and "origins" not in data
    assert set(data["analytes"]) == BUILT_IN_IDS
    b12 = data["analytes"]["b12"]
    assert [band["range"] for band in b12["bands"]] == B12_RANGES
    assert [band["flag"] for band in b12["bands"]] == ["deficient", "borderline", "normal", "high"]
    assert b12["bands"][1]["label"] == "indeterminate"
    assert b12["bands"][0]["source"].startswith("NICE NG239")
    assert b12["canonical_unit"] == "pg/mL"
    assert b12["units"] == ["pg/mL", "ng/L", "pmol/L"]
    assert data["units"]["pmol/L"] == {"kind": "substance", "scale": 1.0e-12}


def test_ranges_fields_of_a_band(ref: Reference) -> None:
    band = ranges_data(ref, "ferritin")["analytes"]["ferritin"]["bands"][2]
    assert set(band) == {"range", "flag", "label", "interpretation", "sex", "age", "source", "from"}
    assert (band["sex"], band["age"], band["from"]) == ("female", None, "built-in")


@pytest.mark.parametrize(
    ("name", "analyte_id"),
    [("b12", "b12"), ("2132-9", "b12"), ("Vitamin D", "vitamin_d"), ("Mg", "magnesium")],
)
def test_ranges_one_analyte_by_any_name(ref: Reference, name: str, analyte_id: str) -> None:
    assert list(ranges_data(ref, name)["analytes"]) == [analyte_id]


@pytest.mark.parametrize("name", ["nonsense", "vitamn d", "1990-1"])
def test_ranges_unknown_analyte_lists_known_ids(ref: Reference, name: str) -> None:
    with pytest.raises(B12CheckError) as caught:
        ranges_data(ref, name)
    for analyte_id in BUILT_IN_IDS:
        assert analyte_id in str(caught.value)


def test_ranges_table_shows_every_source(ref: Reference, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    text = written(write_ranges, ref, None, "table")
    assert "\x1b" not in text  # not a terminal: no colour
    assert "Bands from: built-in" in text
    for analyte in ref.analytes.values():
        assert f"{analyte.name} ({analyte.canonical_unit})" in text
        for band in analyte.bands:
            assert band.band_source in text
            assert str(band.interval) in text


def test_ranges_table_wraps_at_80_columns(ref: Reference, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = written(write_ranges, ref, "b12", "table")
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "(350, 914]" in text


def test_ranges_after_an_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = overlay(tmp_path, TEMPLATE)
    reference = load_reference((path,))
    data = ranges_data(reference, "b12")
    assert data["origins"] == ["built-in", path]
    assert [b["range"] for b in data["analytes"]["b12"]["bands"]] == [
        "(, 180)",
        "[180, 914]",
        "(914, )",
    ]
    assert data["analytes"]["b12"]["paired_edges"] == {"pmol/L": {"180": 133, "914": 674}}
    monkeypatch.setenv("COLUMNS", "400")
    text = written(write_ranges, reference, "b12", "table")
    assert path in text
    assert "My lab reference interval 180-914 pg/mL" in text


def test_overlay_text_cannot_reach_the_terminal_raw(tmp_path: Path) -> None:
    bands = """\
analytes:
  b12:
    bands:
      - {range: "(, 200)", flag: deficient, label: "low\\e[2J", interpretation: L,
         source: "Lab\\e]8;;http://x\\a"}
      - {range: "[200, )", flag: normal, interpretation: N, source: "Lab\\u202eevil"}
"""
    reference = load_reference((overlay(tmp_path, bands),))
    for text in (
        written(write_ranges, reference, "b12", "table"),
        written(write_explain, reference, "b12", "table"),
        written(write_explain, reference, "b12", "markdown"),
    ):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "␛" in text


# ------------------------------------------------------------------ ranges: validate


def test_template_is_valid(tmp_path: Path) -> None:
    path = overlay(tmp_path, TEMPLATE, "template.yaml")
    assert validate_file(path) == []
    assert isinstance(yaml.safe_load(TEMPLATE), dict)
    out, err = io.StringIO(), io.StringIO()
    assert run_validate(path, out, err) == 0
    assert err.getvalue() == ""
    assert out.getvalue().startswith(f"{path}: valid; 1 analyte changed/added")
    assert "(b12)" in out.getvalue()


def test_template_explains_its_fields() -> None:
    comments = "\n".join(line for line in TEMPLATE.splitlines() if "#" in line)
    for word in ("range", "flag", "label", "interpretation", "source", "year", "evidence"):
        assert f"{word}:" in comments or f"{word} (optional)" in comments, word
    assert "sex" in comments and "paired_edges" in comments
    assert "180-914 pg/mL" in TEMPLATE


def _bands(*rows: str) -> str:
    return "analytes:\n  b12:\n    bands:\n" + "".join(f"      - {row}\n" for row in rows)


LOW = '{range: "(, 180)", flag: deficient, interpretation: L, source: Lab}'
HIGH = '{range: "(914, )", flag: high, interpretation: H, source: Lab}'
ZINC = """\
analytes:
  zinc:
    name: Zinc
    measures: Zinc in serum
    canonical_unit: ug/dL
    conventional_unit: ug/dL
    si_unit: umol/L
    units: [ug/dL, umol/L]
    plausible: "(0, 1000]"
    expected: "[30, 300]"
    bands:
      - {range: "(, 60)", flag: deficient, interpretation: L, source: Lab}
      - {range: "[60, )", flag: normal, interpretation: N, source: Lab}
"""

# (case, overlay text, text on the line the problem is reported at, words of the reason)
BROKEN = [
    (
        "overlap",
        _bands(LOW, '{range: "[170, 914]", flag: normal, interpretation: N, source: Lab}', HIGH),
        '"[170, 914]"',
        "overlaps",
    ),
    (
        "gap",
        _bands(LOW, '{range: "[200, 914]", flag: normal, interpretation: N, source: Lab}', HIGH),
        '"[200, 914]"',
        "gap",
    ),
    (
        "unknown flag",
        _bands(LOW, '{range: "[180, 914]", flag: okay, interpretation: N, source: Lab}', HIGH),
        "flag: okay",
        "flag: Input should be",
    ),
    (
        "inverted bounds",
        _bands(LOW, '{range: "[350, 180]", flag: normal, interpretation: N, source: Lab}', HIGH),
        '"[350, 180]"',
        "lower bound is not below",
    ),
    (
        "unit missing from the units table",
        "analytes:\n  b12:\n    units: [ug/mL]\n",
        "units: [ug/mL]",
        "unknown unit 'ug/mL'",
    ),
    (
        "mass unit without a molar mass",
        ZINC,
        "units: [ug/dL, umol/L]",
        "unit 'umol/L' has no factor",
    ),
    (
        "new analyte missing required fields",
        "analytes:\n  zinc:\n    name: Zinc\n    bands:\n      - " + LOW + "\n",
        "name: Zinc",  # the line the zinc mapping starts on
        "missing field 'measures'",
    ),
    (
        "duplicate key",
        "analytes:\n  b12:\n    plausible: '(0, 1000]'\n    plausible: '(0, 2000]'\n",
        "plausible: '(0, 2000]'",
        "duplicate key 'plausible' (first at line 3)",
    ),
    (
        "yaml no where a number is expected",
        "analytes:\n  magnesium:\n    valence: no\n",
        "valence: no",
        "valence: Input should be a valid integer",
    ),
    (
        "yaml 010 where a number is expected",
        _bands(
            LOW,
            '{range: "[180, 914]", flag: normal, interpretation: N, source: Lab, year: 010}',
            HIGH,
        ),
        "year: 010",
        "year: Input should be a valid integer",
    ),
]


@pytest.mark.parametrize(
    ("text", "marker", "reason"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_validate_names_file_line_column(
    tmp_path: Path, text: str, marker: str, reason: str
) -> None:
    path = overlay(tmp_path, text)
    problems = validate_file(path)
    assert problems, "expected a problem"
    line = next(n for n, row in enumerate(text.splitlines(), 1) if marker in row)
    pattern = re.compile(rf"{re.escape(path)}:(\d+):(\d+): (.+)")
    found = []
    for problem in problems:
        match = pattern.fullmatch(problem)
        assert match, problem
        found.append((int(match[1]), int(match[2]), match[3]))
    assert any(row == line and reason in message for row, _, message in found), problems
    for row, column, _ in found:
        assert 1 <= row <= len(text.splitlines()) and column >= 1


def test_validate_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    text = """\
analytes:
  b12:
    bands:
      - {range: "(, 180)", flag: defficient, interpretation: L, source: Lab}
      - {range: "[180, )", flag: normal, interpretation: X, source: Lab, year: 010}
  iron:
    bands:
      - {range: "(, 50)", flag: low, interpretation: L, source: Lab}
      - {range: "[60, )", flag: normal, interpretation: N, source: Lab}
  tsat:
    units: ["%", mg/L]
"""
    problems = validate_file(overlay(tmp_path, text))
    lines = [int(match[1]) for p in problems if (match := re.search(r":(\d+):\d+: ", p))]
    assert len(lines) == len(problems)
    assert lines == sorted(lines)
    joined = "\n".join(problems)
    assert "flag: Input should be" in joined
    assert "interpretation: Input should be" in joined
    assert "year: Input should be a valid integer" in joined
    assert "gap: nothing covers 50 to 60" in joined  # another analyte's cross-field problem
    assert "unit 'mg/L' has no factor" in joined
    assert len(problems) == 5


def test_validate_unreadable_and_not_yaml(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    [problem] = validate_file(missing)
    assert problem.startswith(f"{missing}: cannot read")
    broken = overlay(tmp_path, "analytes: [b12\n")
    [problem] = validate_file(broken)
    assert re.match(rf"{re.escape(broken)}:\d+:\d+: ", problem)
    listed = overlay(tmp_path, "- b12\n", "list.yaml")
    assert validate_file(listed) == [
        f"{listed}:1:1: a ranges file must be a mapping with an 'analytes' key"
    ]


def test_run_validate_exit_status(tmp_path: Path) -> None:
    path = overlay(tmp_path, BROKEN[0][1])
    out, err = io.StringIO(), io.StringIO()
    assert run_validate(path, out, err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == validate_file(path)


# ------------------------------------------------------------------ through the CLI


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "B12CHECK_RANGES": ""})


def test_cli_ranges_one_analyte_json() -> None:
    result = run("ranges", "b12", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data["analytes"]) == ["b12"]
    assert [band["range"] for band in data["analytes"]["b12"]["bands"]] == B12_RANGES


def test_cli_ranges_all_analytes() -> None:
    result = run("ranges", "--format", "yaml")
    assert result.exit_code == 0, result.stderr
    assert set(yaml.safe_load(result.stdout)["analytes"]) == BUILT_IN_IDS


def test_cli_ranges_validate_bad_file(tmp_path: Path) -> None:
    path = overlay(tmp_path, BROKEN[0][1])
    result = run("ranges", "validate", path)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines
    for line in lines:
        assert re.match(rf"{re.escape(path)}:\d+:\d+: ", line), line


def test_cli_ranges_template_is_valid(tmp_path: Path) -> None:
    result = run("ranges", "template")
    assert result.exit_code == 0, result.stderr
    path = overlay(tmp_path, result.stdout, "template.yaml")
    assert validate_file(path) == []
    checked = run("ranges", "validate", path)
    assert checked.exit_code == 0, checked.stderr
    assert checked.stdout.startswith(f"{path}: valid")
