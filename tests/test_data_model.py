"""The run-time data model: the default bands as a guideline, citations in separate fields,
unit kinds kept after loading, and the compiled data read once per process."""

import builtins
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core import refdata
from b12check.core.classify import classify
from b12check.core.numbers import parse_interval
from b12check.core.refdata import Reference, clear_loaded, load_reference
from b12check.render.explain import explain_data
from tests.conftest import REPO, invoke

RAW = yaml.safe_load((REPO / "reference_ranges.yaml").read_text(encoding="utf-8"))["analytes"]

SECOND_UNIT = """\
units:
  ug/mL: {kind: mass, scale: 1.0e-3}
  mmol/mL: {kind: substance, scale: 1.0}
analytes:
  b12:
    units: [ug/mL]
  magnesium:
    units: [mmol/mL]
    guidelines:
      strict:
        title: A strict lab
        bands:
          - {range: "(, 0.9)", flag: low, interpretation: L, source: Strict lab, year: 2024}
          - {range: "[0.9, )", flag: normal, interpretation: N, source: Strict lab 2024, year: 2024}
"""


def write(tmp_path: Path, text: str, name: str = "lab.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ the default guideline


@pytest.mark.parametrize("analyte_id", list(RAW))
def test_the_default_bands_are_a_guideline_listed_first(
    reference: Reference, analyte_id: str
) -> None:
    raw = RAW[analyte_id]
    analyte = reference.analytes[analyte_id]
    default_name = raw.get("default_guideline", "default")
    assert list(analyte.guidelines) == [default_name, *(raw.get("guidelines") or {})]
    default = analyte.guidelines[default_name]
    assert default.default and default.name == default_name == analyte.default_guideline
    assert default.title == "default bands"
    assert [b.interval for b in default.bands] == [parse_interval(b["range"]) for b in raw["bands"]]
    others = [g for name, g in analyte.guidelines.items() if name != default_name]
    assert not any(g.default for g in others)
    assert [g.title for g in others] == [g["title"] for g in (raw.get("guidelines") or {}).values()]


def test_no_name_and_unknown_names_mean_the_default(reference: Reference) -> None:
    b12 = reference.analytes["b12"]
    assert b12.guideline(None).name == "nice-2024"
    assert b12.guideline("iom-2011").name == "nice-2024"  # vitamin D's, not B12's
    assert b12.guideline("mayo-cascade").title.startswith("Mayo Clinic Laboratories")
    # A value between the NICE edge (180) and Mayo's (150) settles it.
    assert b12.scale(None, "pg/mL", None).index(170) == 0
    assert b12.scale(None, "pg/mL", "nice-2024").index(170) == 0
    assert b12.scale(None, "pg/mL", "mayo-cascade").index(170) == 1


def test_default_guideline_named_on_the_command_line_reads_the_default_bands() -> None:
    by_name = json.loads(
        invoke("check", "b12=170pg/mL", "--guideline", "b12=nice-2024", "-f", "json").stdout
    )["records"][0]
    plain = json.loads(invoke("check", "b12=170pg/mL", "-f", "json").stdout)["records"][0]
    assert by_name == plain
    assert plain["guideline"] == "nice-2024" and plain["flag"] == "deficient"


def test_compare_titles_the_default_bands() -> None:
    rows = json.loads(invoke("check", "d=25ng/mL", "--compare", "-f", "json").stdout)
    titles = [(row["guideline"], row["title"]) for row in rows["comparisons"]]
    assert titles == [
        ("iom-2011", "default bands"),
        (
            "endocrine-society-2011",
            RAW["vitamin_d"]["guidelines"]["endocrine-society-2011"]["title"],
        ),
    ]


def test_known_guideline_names_include_every_default(reference: Reference) -> None:
    expected = set()
    for raw in RAW.values():
        expected.add(raw.get("default_guideline", "default"))
        expected.update(raw.get("guidelines") or {})
    assert reference.guideline_names() == expected


# ------------------------------------------------------------------ citations


def test_source_year_and_evidence_are_separate_fields(reference: Reference) -> None:
    for analyte_id, raw in RAW.items():
        groups = [(raw["default_guideline"] if "default_guideline" in raw else "default", raw)]
        groups += list((raw.get("guidelines") or {}).items())
        for name, group in groups:
            bands = reference.analytes[analyte_id].guidelines[name].bands
            assert [(b.source_name, b.year, b.evidence) for b in bands] == [
                (b["source"], b.get("year"), b.get("evidence")) for b in group["bands"]
            ]


@pytest.mark.parametrize(
    ("analyte_id", "index", "joined"),
    [
        ("b12", 0, "NICE NG239 (2024) [S]"),
        ("iron", 2, "Mayo Clinic Laboratories FEC [V]"),  # no year
        ("magnesium", 2, "Costello & Nielsen; Elin 2010 (0.85 mmol/L lower limit) (2017) [V]"),
    ],
)
def test_the_joined_citation_reads_as_before(
    reference: Reference, analyte_id: str, index: int, joined: str
) -> None:
    band = reference.analytes[analyte_id].bands[index]
    assert band.band_source == joined


def test_a_year_the_source_already_names_is_not_repeated(tmp_path: Path) -> None:
    reference = load_reference((write(tmp_path, SECOND_UNIT),))
    low, normal = reference.analytes["magnesium"].guidelines["strict"].bands
    assert low.band_source == "Strict lab (2024)"
    assert normal.band_source == "Strict lab 2024"
    assert normal.year == 2024 and normal.evidence is None


# ------------------------------------------------------------------ unit kinds


def test_unit_kinds_come_from_the_loaded_data(tmp_path: Path) -> None:
    reference = load_reference((write(tmp_path, SECOND_UNIT),))
    assert reference.unit_kind("ug/mL") == "mass"
    assert reference.unit_kind("mmol/mL") == "substance"
    assert reference.unit_kind("pg/mL") == "mass"
    assert reference.unit_kind("no such unit") is None


def test_explain_does_not_read_the_overlay_again(tmp_path: Path) -> None:
    """The overlay was read when the reference was built; explain answers from that, even once
    the file has gone or been spoiled (it used to re-read it and skip what it could not parse)."""
    path = write(tmp_path, SECOND_UNIT)
    reference = load_reference((path,))
    before = explain_data(reference, "b12")
    Path(path).write_text("units: [not: yaml", encoding="utf-8")
    assert explain_data(reference, "b12") == before
    Path(path).unlink()
    units = {u["unit"]: u["derivation"] for u in explain_data(reference, "b12")["units"]}
    assert units["ug/mL"] == "same kind (mass): ratio of the unit scales"
    assert units["pmol/L"].startswith("amount of substance to mass via molar mass")


# ------------------------------------------------------------------ loaded once per process


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path ``open()`` is called with from here on."""
    paths: list[str] = []
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        paths.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return paths


def test_the_compiled_data_is_read_once(opened: list[str]) -> None:
    clear_loaded()
    first = load_reference()
    assert opened.count(refdata.COMPILED) == 1
    assert load_reference() is first
    assert opened.count(refdata.COMPILED) == 1


def test_overlays_share_the_parsed_built_in_data(tmp_path: Path, opened: list[str]) -> None:
    load_reference()
    path = write(tmp_path, SECOND_UNIT)
    with_overlay = load_reference((path,))
    explain_data(with_overlay, "magnesium")
    assert refdata.COMPILED not in opened


def test_an_overlay_is_read_again_on_every_load(tmp_path: Path) -> None:
    path = write(tmp_path, SECOND_UNIT)
    first = load_reference((path,))
    changed = SECOND_UNIT.replace("(, 0.9)", "(, 0.8)").replace("[0.9, )", "[0.8, )")
    Path(path).write_text(changed, encoding="utf-8")  # same size: only the text differs
    second = load_reference((path,))
    assert second is not first
    edges = [str(b.interval) for b in second.analytes["magnesium"].guidelines["strict"].bands]
    assert edges == ["(, 0.8)", "[0.8, )"]


def test_forgetting_reads_the_compiled_data_again(opened: list[str]) -> None:
    first = load_reference()
    clear_loaded()
    second = load_reference()
    assert second is not first and opened.count(refdata.COMPILED) == 1
    assert list(second.analytes) == list(first.analytes)


# ------------------------------------------------------------------ any value, any guideline name

BUILT_IN = load_reference()
ANALYTES = sorted(BUILT_IN.analytes)


@st.composite
def placed_values(draw: st.DrawFn) -> tuple[str, str, str, float, str | None, float | None]:
    """A test, one of its units, a comparator, a number near its bands, a sex and an age."""
    analyte = BUILT_IN.analytes[draw(st.sampled_from(ANALYTES))]
    unit = draw(st.sampled_from(sorted(analyte.factors)))
    edges = [b.interval.low for b in analyte.bands if b.interval.low is not None]
    near = st.sampled_from(edges).map(lambda edge: analyte.edge_in(unit, edge))
    number = draw(near | st.floats(min_value=0, max_value=5000, allow_nan=False))
    comparator = draw(st.sampled_from(["", "<", "<=", ">", ">="]))
    sex = draw(st.sampled_from([None, "female", "male"]))
    age = draw(st.none() | st.floats(min_value=0, max_value=120))
    return analyte.id, unit, comparator, number, sex, age


@settings(max_examples=200, deadline=None)
@given(placed_values(), st.text(max_size=12))
def test_no_guideline_the_default_name_and_an_unknown_name_read_alike(
    placed: tuple[str, str, str, float, str | None, float | None], unknown: str
) -> None:
    analyte_id, unit, comparator, number, sex, age = placed
    analyte = BUILT_IN.analytes[analyte_id]
    if unknown in analyte.guidelines:
        unknown = unknown + "\x00"
    outcomes = {
        name: classify(analyte, sex, unit, comparator, number, name, age)
        for name in (None, analyte.default_guideline, unknown)
    }
    assert len(set(map(repr, outcomes.values()))) == 1, outcomes
