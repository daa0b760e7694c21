"""Ranges overlays: a new test added by data alone, the merge rules, the environment variable."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke

FOLATE = """\
# Serum folate, a test b12check does not ship: added by this file alone.
analytes:
  folate:
    name: Folate (serum)
    short_name: Folate
    measures: Serum folate.
    aliases: [Folate, Serum folate, Folic acid]
    loinc: [2284-8]
    canonical_unit: ng/mL
    conventional_unit: ng/mL
    si_unit: nmol/L
    units: [ng/mL, nmol/L]
    molar_mass: 441.4
    plausible: "(0, 100]"
    expected: "[1, 40]"
    bands:
      - {range: "(, 3)", flag: deficient, interpretation: L, source: test overlay}
      - {range: "[3, 20]", flag: normal, interpretation: N, source: test overlay}
      - {range: "(20, )", flag: high, interpretation: H, source: test overlay}
"""

LAB_B12 = """\
analytes:
  b12:
    aliases: [Cobalamine totale]
    bands:
      - {range: "(, 200)", flag: deficient, interpretation: L, source: My lab, year: 2025}
      - {range: "[200, 900]", flag: normal, interpretation: N, source: My lab, year: 2025}
      - {range: "(900, )", flag: high, interpretation: H, source: My lab, year: 2025}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def records(args: list[str], **kwargs: Any) -> list[dict[str, Any]]:
    result = invoke(*args, "--format", "json", **kwargs)
    assert result.exit_code in (0, 1), result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)["records"]
    return data


def test_a_new_analyte_by_data_alone_through_check_and_scan(tmp_path: Path) -> None:
    overlay = write(tmp_path, "folate.yaml", FOLATE)
    typed = records(["check", "folate=2.1ng/mL", "2284-8=9 ng/mL", "--ranges", overlay])
    assert [(r["analyte"], r["flag"]) for r in typed] == [
        ("folate", "deficient"),
        ("folate", "normal"),
    ]
    si = records(["check", "Serum folate=10 nmol/L", "--ranges", overlay])[0]
    assert si["value"] == pytest.approx(4.414, abs=0.001) and si["flag"] == "normal"
    export = "Test,Result,Unit\nFolic acid,25,ng/mL\nFerritin,60,ng/mL\n"
    scanned = records(["scan", "-", "--ranges", overlay], input=export)
    assert [(r["analyte"], r["flag"]) for r in scanned] == [
        ("folate", "high"),
        ("ferritin", "normal"),
    ]
    # without the overlay the same row is a test b12check does not cover
    plain = invoke("scan", "-", "--format", "json", input=export)
    assert json.loads(plain.stdout)["records"][0]["status"] == "skipped"


def test_replacing_bands_and_adding_aliases(tmp_path: Path) -> None:
    overlay = write(tmp_path, "lab.yaml", LAB_B12)
    (record,) = records(["check", "cobalamine totale=250pg/mL", "--ranges", overlay])
    assert (record["flag"], record["band_low"], record["band_high"]) == ("normal", 200, 900)
    assert record["band_source"] == "My lab (2025)"
    # the built-in paired pmol/L edges belonged to the old bands and are dropped with them
    (si,) = records(["check", "b12=147 pmol/L", "--ranges", overlay])
    assert si["flag"] == "deficient"  # 147 pmol/L = 199.2 pg/mL, below the lab's 200


def test_overlays_apply_in_order_and_from_the_environment(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", LAB_B12)
    second = write(
        tmp_path,
        "b.yaml",
        LAB_B12.replace("(, 200)", "(, 300)").replace("[200, 900]", "[300, 900]"),
    )
    flags = [
        records(["check", "b12=250pg/mL", "--ranges", a, "--ranges", b])[0]["flag"]
        for a, b in ((first, second), (second, first))
    ]
    assert flags == ["deficient", "normal"]  # the later file wins
    from_env = records(["check", "b12=250pg/mL"], env={"B12CHECK_RANGES": f"{first}:{second}"})
    assert from_env[0]["flag"] == "deficient"


def test_an_overlay_that_breaks_tiling_is_refused_with_its_line(tmp_path: Path) -> None:
    overlay = write(tmp_path, "bad.yaml", LAB_B12.replace("[200, 900]", "[250, 900]"))
    result = invoke("check", "b12=250pg/mL", "--ranges", overlay)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{overlay}:6:" in result.stderr and "gap" in result.stderr


LAB_FEMALE_FERRITIN = """\
analytes:
  ferritin:
    add_bands:
      - {range: "[45, 120]", flag: normal, interpretation: N, sex: female, source: My lab}
      - {range: "(120, 1000]", flag: high, interpretation: H, sex: female, source: My lab}
"""


def test_added_bands_for_one_sex_take_that_sexs_place(tmp_path: Path) -> None:
    lab = write(tmp_path, "f.yaml", LAB_FEMALE_FERRITIN)
    female = records(["check", "ferritin=130", "--sex", "female", "--ranges", lab])[0]
    male = records(["check", "ferritin=130", "--sex", "male", "--ranges", lab])[0]
    assert (female["flag"], female["band_source"]) == ("high", "My lab")
    assert male["flag"] == "normal" and "WHO" in male["band_source"]  # men's bands untouched
    low = records(["check", "ferritin=10", "--sex", "female", "--ranges", lab])[0]
    assert low["flag"] == "deficient"  # the shared bands below 45 stay


def test_units_loinc_and_limits_can_be_added_or_changed(tmp_path: Path) -> None:
    lab = write(
        tmp_path,
        "u.yaml",
        "units:\n  ng/dL: {kind: mass, scale: 1.0e-8}\n"
        "analytes:\n  ferritin:\n    units: [ng/dL]\n    loinc: [99999-9]\n"
        '    plausible: "(0, 2000]"\n',
    )
    (converted,) = records(["check", "99999-9=3000 ng/dL", "--ranges", lab])
    assert (converted["analyte"], converted["value"], converted["flag"]) == (
        "ferritin",
        30,
        "borderline",
    )
    result = invoke("check", "ferritin=5000ug/L", "--ranges", lab, "--format", "json")
    assert result.exit_code == 3 and "plausible: (0, 2000]" in result.stderr
    # with a unit that differs by a factor, a bare ferritin value now needs its unit
    bare = invoke("check", "ferritin=30", "--ranges", lab, "--format", "json")
    assert "no unit given for Ferritin; add one (ug/L, ng/mL, ng/dL)" in bare.stderr
