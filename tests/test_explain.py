"""``b12check explain``: the facts gathered for a test, every format, and through the CLI."""

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from b12check.cli.main import cli
from b12check.core.errors import B12CheckError
from b12check.core.refdata import Reference, load_reference
from b12check.core.vocab import DISCLAIMER
from b12check.render.explain import explain_data, write_explain
from tests.conftest import SPEC_ANALYTES, overlay, written

NOTES_YAML = Path(__file__).resolve().parents[1] / "src/b12check/data/notes.yaml"
BUILT_IN_IDS = set(SPEC_ANALYTES)
B12_RANGES = ["(, 180)", "[180, 350]", "(350, 914]", "(914, )"]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "B12CHECK_RANGES": ""})


def test_explain_units_and_factors(ref: Reference) -> None:
    data = explain_data(ref, "b12")
    assert [u["unit"] for u in data["units"]] == ["pg/mL", "ng/L", "pmol/L"]
    factors = [u["factor"] for u in data["units"]]
    assert factors == pytest.approx([1, 1, 1.3554], rel=1e-4)
    assert data["canonical_unit"] == "pg/mL" and data["si_unit"] == "pmol/L"
    assert data["units"][0]["roles"] == ["canonical", "conventional"]
    assert data["units"][2]["roles"] == ["si"]
    assert "molar mass 1355.37 g/mol" in data["units"][2]["derivation"]
    assert "same kind" in data["units"][1]["derivation"]
    assert data["molar_mass"] == 1355.37 and data["valence"] is None
    assert data["measures"].startswith("Total cobalamin")
    assert "Cobalamin" in data["aliases"] and data["loinc"] == ["2132-9", "14685-2"]
    assert data["plausible"] == "(0, 50000]" and data["expected"] == "[100, 2000]"
    assert [band["range"] for band in data["bands"]] == B12_RANGES


def test_explain_magnesium_valence(ref: Reference) -> None:
    units = {u["unit"]: u for u in explain_data(ref, "magnesium")["units"]}
    assert units["meq/L"]["factor"] == pytest.approx(0.5)
    assert "valence 2" in units["meq/L"]["derivation"]
    assert units["mg/dL"]["factor"] == pytest.approx(10 / 24.305)
    assert "molar mass 24.305" in units["mg/dL"]["derivation"]


def test_explain_notes_of_every_kind_with_sources(ref: Reference) -> None:
    notes = explain_data(ref, "b12")["notes"]
    assert list(notes) == ["about", "finding", "follow_up", "pitfall"]
    for kind, items in notes.items():
        assert items, kind
        for note in items:
            assert note["text"] and note["source"] and note["flags"]
            assert note["source_type"] in ("article", "reference")
    assert {"deficient", "borderline", "normal", "high", "unclassified"} <= {
        flag for note in notes["finding"] for flag in note["flags"]
    }


def test_explain_article_notes_are_marked_as_headings(ref: Reference) -> None:
    shipped = yaml.safe_load(NOTES_YAML.read_text(encoding="utf-8"))["notes"]
    sections = {(n["text"], n["section"]) for n in shipped if "section" in n}
    references = {(n["text"], n["reference"]) for n in shipped if "reference" in n}
    seen_article = 0
    for analyte_id in ref.analytes:
        data = explain_data(ref, analyte_id)
        markdown = written(write_explain, ref, analyte_id, "markdown")
        for items in data["notes"].values():
            for note in items:
                pair = (note["text"], note["source"])
                if note["source_type"] == "article":
                    seen_article += 1
                    assert pair in sections
                    assert f"Article section \u201c{note['source']}\u201d" in markdown
                else:
                    assert pair in references
    assert seen_article >= len(sections) > 0


def test_explain_patterns_that_mention_the_test(ref: Reference) -> None:
    b12 = {p["id"] for p in explain_data(ref, "b12")["patterns"]}
    assert b12 == {
        "b12-functional-deficiency",
        "b12-borderline-no-mma",
        "b12-borderline-high-homocysteine",
    }
    mma = {p["id"] for p in explain_data(ref, "mma")["patterns"]}
    assert "b12-borderline-no-mma" in mma  # named in `absent`
    pattern = explain_data(ref, "tsat")["patterns"][0]
    assert set(pattern) >= {"id", "title", "when", "absent", "text", "source", "source_type"}


def test_explain_formats(ref: Reference, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert json.loads(written(write_explain, ref, "b12", "json")) == explain_data(ref, "b12")
    table = written(write_explain, ref, "vitamin d", "table")
    assert DISCLAIMER in table
    assert "\x1b" not in table
    for heading in ("Names", "Units", "Bands (ng/mL)", "Notes", "What each flag means"):
        assert heading in table
    assert "1 unit in ng/mL" in table and "2.49625" not in table  # nmol/L -> ng/mL is 0.40065
    assert "0.40065" in table
    markdown = written(write_explain, ref, "b12", "markdown")
    assert markdown.startswith("# Vitamin B12 (`b12`)")
    assert "| `[180, 350]` | `borderline` | indeterminate |" in markdown
    assert DISCLAIMER in markdown


def test_explain_unknown_test(ref: Reference) -> None:
    with pytest.raises(B12CheckError, match="did you mean vitamin_d"):
        explain_data(ref, "vitamn d")
    with pytest.raises(B12CheckError, match="known tests: ") as caught:
        write_explain(ref, "nonsense", "table", io.StringIO())
    assert all(analyte_id in str(caught.value) for analyte_id in BUILT_IN_IDS)


def test_explain_unit_added_by_an_overlay(tmp_path: Path) -> None:
    text = "units:\n  ug/mL: {kind: mass, scale: 1.0e-3}\nanalytes:\n  b12:\n    units: [ug/mL]\n"
    reference = load_reference((overlay(tmp_path, text),))
    units = {u["unit"]: u for u in explain_data(reference, "b12")["units"]}
    assert units["ug/mL"]["factor"] == pytest.approx(1e6)
    assert units["ug/mL"]["derivation"].startswith("same kind (mass)")


def test_importing_does_not_load_rich_yaml_or_pydantic() -> None:
    code = (
        "import sys, b12check.render.ranges_view, b12check.render.explain; "
        "print(sorted(m for m in ('rich', 'yaml', 'pydantic') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------ through the CLI


def test_cli_explain() -> None:
    result = run("explain", "b12")
    assert result.exit_code == 0, result.stderr
    assert "Not medical advice" in result.stdout
    assert "pmol/L" in result.stdout


def test_cli_explain_unknown_test() -> None:
    result = run("explain", "nonsense")
    assert result.exit_code == 2
    assert "b12" in result.stderr and "vitamin_d" in result.stderr
    assert result.stdout == ""
