"""The public Python API (b12check.load_ranges, Ranges.check, check_many, Result) against the
command line: the same input gives the record ``--format json`` writes, field for field."""

import contextlib
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import b12check
from b12check.core.records import FIELDS
from tests.conftest import invoke

RANGES = b12check.load_ranges()

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> tuple[str, str]:
    """The example of README "Using b12check from Python" as written there, and the output
    the README says it prints."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Using b12check from Python") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed = section.split("prints\n\n```\n", 1)[1].split("```", 1)[0]
    return code, printed


WHERE = ("file", "line")  # where a value came from: the CLI's argv:N, the caller's own


def test_the_readme_example_runs_as_written() -> None:
    code, expected = readme_example()
    assert "load_ranges" in code and "check_many" in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == expected


def test_importing_b12check_loads_no_more_than_before() -> None:
    """Every command-line run imports b12check for its version: the API loads on first use."""
    code = (
        "import sys, b12check; before = set(sys.modules); b12check.Ranges; "
        "print(sorted(m for m in before if m.startswith('b12check')), "
        "'b12check.api' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "['b12check'] True"
    assert b12check.__version__ == "0.2.0"


def _cli_records(*args: str) -> list[dict[str, Any]]:
    result = invoke("check", *args, "--format", "json")
    assert result.exit_code in (0, 1, 3), result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)["records"]
    return records


def _placed_elsewhere(record: dict[str, Any]) -> str:
    """The record as JSON text (12 and 12.0 differ there), without where it came from."""
    return json.dumps({k: v for k, v in record.items() if k not in WHERE}, ensure_ascii=False)


NAMES = st.sampled_from(
    [
        "b12",
        "Vitamin B12",
        "2132-9",
        "vitamin d",
        "25-hydroxyvitamin D",
        "Magnesium",
        "Mg",
        "ferritin",
        "Serum Iron",
        "TIBC",
        "Transferrin Saturation",
        "MMA",
        "Homocysteine",
        "UIBC",
        "14685-2",
    ]
)
UNITS = st.sampled_from(
    ["", " pg/mL", " pmol/L", " ng/L", "ng/mL", " nmol/L", " mmol/L", " mg/dL", " mEq/L",
     " ug/L", " µg/L", " ug/dL", " umol/L", " %", " nmol/mL", " furlongs"]
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers(0, 3000).map(str),
    st.decimals(0, 2000, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.floats(0, 5, allow_nan=False).map(lambda x: f"{x:.{int(x * 7) % 5}f}"),
    st.sampled_from(["abc", "", "1e309", "-5", "0", "1,5", "12.5.1"]),
)
VALUES = st.builds(
    lambda comparator, number, unit, flag: f"{comparator}{number}{unit}{flag}",
    st.sampled_from(["", "", "<", ">", "<=", ">="]),
    NUMBERS,
    UNITS,
    st.sampled_from(["", "", " H", " L", "*"]),
)
MODES = st.sampled_from(["none", "brief", "full"])
SEXES = st.sampled_from([None, "female", "male"])


GUIDELINES = st.sampled_from(
    [None, "endocrine-society-2011", "mayo-cascade", "labcorp-cascade", "rcpa", "elin-2010"]
)
_CHOSEN: dict[str | None, b12check.Ranges] = {None: RANGES}


def _ranges_with(guideline: str | None) -> b12check.Ranges:
    if guideline not in _CHOSEN:
        _CHOSEN[guideline] = b12check.load_ranges(guidelines=[guideline] if guideline else [])
    return _CHOSEN[guideline]


@settings(max_examples=150, deadline=None)
@given(
    name=NAMES,
    value=VALUES,
    sex=SEXES,
    notes=MODES,
    units=st.sampled_from([None, "si"]),
    guideline=GUIDELINES,
    age=st.sampled_from([None, 0.5, 12, 17.99, 18, 45, 130]),
)
def test_check_gives_the_record_check_writes(
    name: str,
    value: str,
    sex: str | None,
    notes: str,
    units: str | None,
    guideline: str | None,
    age: float | None,
) -> None:
    args = [f"{name}={value}", "--notes", notes]
    args += ["--sex", sex] if sex else []
    args += ["--units", units] if units else []
    args += ["--guideline", guideline] if guideline else []
    args += ["--age", str(age)] if age is not None else []
    (written,) = _cli_records(*args)
    # both weigh a lab flag glued to the value as scan's default, --lab-ranges show, does
    result = _ranges_with(guideline).check(
        name, value, sex=sex, age=age, notes=notes, units_system=units
    )
    assert _placed_elsewhere(result.as_dict()) == _placed_elsewhere(written)
    assert tuple(result.as_dict()) == FIELDS


@settings(max_examples=60, deadline=None)
@given(
    name=NAMES.filter(lambda n: n != "UIBC"),
    number=NUMBERS.filter(lambda n: "," not in n),
    unit=UNITS.map(str.strip),
    lab_range=st.sampled_from(["", "200-900", "<30", ">=50", "0.7-1.0", "15-150", "x"]),
    lab_flag=st.sampled_from(["", "L", "H", "N", "HH", "*"]),
    sex_cell=st.sampled_from(["", "F", "M", "woman", "X"]),
    policy=st.sampled_from(["show", "prefer"]),
    notes=MODES,
)
def test_observations_give_the_records_scan_writes(
    name: str,
    number: str,
    unit: str,
    lab_range: str,
    lab_flag: str,
    sex_cell: str,
    policy: str,
    notes: str,
) -> None:
    csv = f"Test,Result,Unit,Reference Range,Flag,Sex\n{name},{number},{unit},{lab_range},"
    csv += f"{lab_flag},{sex_cell}\n"
    args = ["scan", "-", "--format", "ndjson", "--notes", notes, "--lab-ranges", policy]
    done = invoke(*args, "--quiet", input=csv)
    assert done.exit_code in (0, 1, 3), done.stderr
    (written,) = [json.loads(line) for line in done.stdout.splitlines()]
    observation = b12check.Observation(
        name,
        number,
        unit=unit or None,
        lab_range=lab_range or None,
        lab_flag=lab_flag or None,
        sex=sex_cell or None,
        source="-",
        line=2,
        column=written["column"],
    )
    (result,) = RANGES.check_many([observation], notes=notes, lab_ranges=policy)
    assert json.dumps(result.as_dict()) == json.dumps(written)


def test_check_many_adds_pattern_and_derived_notes_as_check_does() -> None:
    typed = ["iron=40ug/dL", "tibc=450 ug/dL", "ferritin=10", "b12=250pg/mL"]
    written = _cli_records(*typed, "--notes", "full", "--sex", "female")
    observations = [b12check.Observation(*arg.split("=")) for arg in typed]
    results = list(RANGES.check_many(observations, notes="full", sex="female"))
    assert [_placed_elsewhere(r.as_dict()) for r in results] == [
        _placed_elsewhere(r) for r in written
    ]
    kinds = {note.kind.value for result in results for note in result.notes}
    assert {"pattern", "derived"} <= kinds  # the comparison above covers both


def test_check_many_groups_one_patient_and_date_only() -> None:
    iron = b12check.Observation("iron", "40 ug/dL", patient="P1", date="2025-01-01", sex="F")
    tibc = b12check.Observation("tibc", "450 ug/dL", patient="P1", date="2025-01-01")
    other_day = dataclasses.replace(tibc, date="2025-02-01")
    together = list(RANGES.check_many([iron, tibc]))
    apart = list(RANGES.check_many([iron, other_day]))
    assert any(n.kind == "derived" for r in together for n in r.notes)
    assert not any(n.kind == "derived" for r in apart for n in r.notes)


def test_a_value_that_cannot_be_read_is_an_error_result_like_the_cli() -> None:
    result = RANGES.check("ferritin", "abc")
    (written,) = _cli_records("ferritin=abc")
    assert (result.status, result.flag, result.reason) == ("error", None, "'abc' is not a number")
    assert result.reason == written["reason"]
    assert RANGES.check("b12", 250).value_text == "250"  # a number is read as its text
    assert RANGES.check("b12", 250.5, unit="pg/mL").value == 250.5


def test_an_unknown_test_raises_with_the_clis_suggestions() -> None:
    (written,) = _cli_records("vitamn d=20")
    with pytest.raises(b12check.UnknownTest) as caught:
        RANGES.check("vitamn d", "20")
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == written["reason"]
    assert caught.value.name == "vitamn d"
    unknown = b12check.Observation("Sodium", "140", unit="mmol/L")
    (skipped,) = RANGES.check_many([unknown])
    assert (skipped.status, skipped.reason) == ("skipped", "not a test b12check covers")
    with pytest.raises(b12check.UnknownTest):
        list(RANGES.check_many([unknown], skip_unknown=False))


@pytest.mark.parametrize(
    "options",
    [
        {"notes": "brif"},
        {"sex": "femal"},
        {"sex": "F"},  # check's sex is --sex's choice; an Observation's is a sex cell
        {"lab_ranges": "preferred"},
        {"units_system": "metric"},
        {"age": float("inf")},
    ],
)
def test_an_unknown_option_string_is_an_error_not_a_default(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="choose one of|years"):
        RANGES.check("b12", "250", **options)


def test_unknown_guidelines_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown guideline 'nice-2042'"):
        b12check.load_ranges(guidelines=["nice-2042"])
    with pytest.raises(ValueError, match="has no guideline"):
        b12check.load_ranges(guidelines=["ferritin=iom-2011"])


def test_results_are_immutable() -> None:
    result = RANGES.check("iron", "40 ug/dL")  # no sex: the flag depends on it
    assert result.flag_by_sex is not None and dict(result.flag_by_sex)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.flag = b12check.Flag.NORMAL  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.flag_by_sex[b12check.Sex.MALE] = b12check.Flag.LOW  # type: ignore[index]
    assert isinstance(result.notes, tuple) and isinstance(result.warnings, tuple)
    with pytest.raises(AttributeError):
        result.notes[0].text = "changed"  # type: ignore[misc]
    assert hash(result) == hash(RANGES.check("iron", "40 ug/dL"))
    observation = b12check.Observation("b12", "250")
    with pytest.raises(dataclasses.FrozenInstanceError):
        observation.value = "300"  # type: ignore[misc]


def test_fields_are_typed_with_the_vocabulary() -> None:
    result = RANGES.check("b12", "150 pg/mL", notes="full")
    assert result.status is b12check.Status.RESULT
    assert result.flag is b12check.Flag.DEFICIENT
    assert result.flag.order < b12check.Flag.NORMAL.order
    assert all(isinstance(note.kind, b12check.NoteKind) for note in result.notes)
    assert result.band == b12check.BandRange(None, 180.0)


def test_guidelines_are_honoured_as_the_cli_honours_them() -> None:
    chosen = b12check.load_ranges(guidelines=["vitamin_d=endocrine-society-2011"])
    result = chosen.check("vitamin d", "25 ng/mL")
    (written,) = _cli_records("vitamin d=25 ng/mL", "--notes", "brief", "--guideline",
                              "vitamin_d=endocrine-society-2011")  # fmt: skip
    assert _placed_elsewhere(result.as_dict()) == _placed_elsewhere(written)
    assert result.guideline == "endocrine-society-2011"
    assert RANGES.check("vitamin d", "25 ng/mL").guideline == "iom-2011"


LAB_B12 = """\
analytes:
  b12:
    aliases: [Cobalamine totale]
    bands:
      - {range: "(, 200)", flag: deficient, interpretation: L, source: My lab, year: 2025}
      - {range: "[200, 900]", flag: normal, interpretation: N, source: My lab, year: 2025}
      - {range: "(900, )", flag: high, interpretation: H, source: My lab, year: 2025}
"""


def test_overlays_are_honoured_as_the_cli_honours_them(tmp_path: Path) -> None:
    overlay = tmp_path / "my-lab.yaml"
    overlay.write_text(LAB_B12, encoding="utf-8")
    mine = b12check.load_ranges(overlays=[overlay])
    result = mine.check("Cobalamine totale", "250 pg/mL")
    (written,) = _cli_records("Cobalamine totale=250 pg/mL", "--notes", "brief", "--ranges",
                              str(overlay))  # fmt: skip
    assert _placed_elsewhere(result.as_dict()) == _placed_elsewhere(written)
    assert (result.flag, result.band_source) == ("normal", "My lab (2025)")
    assert RANGES.check("b12", "250 pg/mL").flag == "borderline"  # the shipped data unchanged


def test_a_broken_overlay_raises_config_error(tmp_path: Path) -> None:
    overlay = tmp_path / "broken.yaml"
    overlay.write_text("analytes: [\n", encoding="utf-8")
    with pytest.raises(b12check.ConfigError) as caught:
        b12check.load_ranges(overlays=[str(overlay)])
    assert caught.value.problems and str(overlay) in caught.value.problems[0]


@pytest.mark.parametrize("age", [float("nan"), float("inf"), -1.0])
def test_an_observation_refuses_an_age_that_is_no_age(age: float) -> None:
    with pytest.raises(ValueError, match="years"):
        b12check.Observation("b12", "250 pg/mL", age=age)


def test_an_integer_age_is_written_as_the_cli_writes_it() -> None:
    (written,) = _cli_records("b12=250pg/mL", "--age", "12")
    assert json.dumps(RANGES.check("b12", "250pg/mL", age=12).as_dict()["age"]) == "12.0"
    assert written["age"] == 12.0
