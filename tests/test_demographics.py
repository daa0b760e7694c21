"""Age groups in the data, the add_bands merge rule, and where each band came from."""

import json
from pathlib import Path
from typing import Any

from tests.conftest import invoke

CHILD_FERRITIN = """\
# Children's ferritin bands, added beside the adult ones.
analytes:
  ferritin:
    add_bands:
      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Child lab}
      - {range: "[10, 140]", flag: normal, interpretation: N, age: "[0, 18)", source: Child lab}
      - {range: "(140, )", flag: high, interpretation: H, age: "[0, 18)", source: Child lab}
"""

CHILDREN_ONLY = """\
analytes:
  ferritin:
    bands:
      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Paediatric}
      - {range: "[10, )", flag: normal, interpretation: N, age: "[0, 18)", source: Paediatric}
"""


def overlay(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lab.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def record(*args: str) -> dict[str, Any]:
    result = invoke("check", *args, "--format", "json", "--notes", "none")
    assert result.exit_code in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)["records"][0]
    return data


def test_an_age_group_reads_its_own_bands(tmp_path: Path) -> None:
    lab = overlay(tmp_path, CHILD_FERRITIN)
    child = record("ferritin=12", "--age", "9", "--ranges", lab)
    assert (child["flag"], child["band_low"], child["band_high"]) == ("normal", 10, 140)
    assert child["warnings"] == []  # no "adult bands" warning: there are bands for children
    adult = record("ferritin=12", "--age", "40", "--ranges", lab)
    assert adult["flag"] == "deficient"  # the adult bands: below 15
    unknown = record("ferritin=12", "--ranges", lab)
    assert unknown["flag"] == "deficient"  # without an age, the bands without an age group


def test_a_person_outside_every_band_is_said_to_be_so(tmp_path: Path) -> None:
    lab = overlay(tmp_path, CHILDREN_ONLY)
    adult = record("ferritin=12", "--age", "40", "--ranges", lab)
    assert (adult["flag"], adult["reason"]) == ("unclassified", "no band covers age 40")
    unknown = record("ferritin=12", "--ranges", lab)
    assert unknown["flag"] == "unclassified" and "depend on age" in unknown["reason"]


def test_age_groups_must_each_tile_and_not_overlap(tmp_path: Path) -> None:
    gap = overlay(tmp_path, CHILD_FERRITIN.replace('"[10, 140]"', '"[11, 140]"'))
    result = invoke("check", "ferritin=12", "--ranges", gap)
    assert result.exit_code == 2 and "gap aged [0, 18)" in result.stderr
    clash = overlay(
        tmp_path,
        CHILD_FERRITIN + CHILD_FERRITIN.split("add_bands:\n")[1].replace("[0, 18)", "[16, 20)"),
    )
    result = invoke("check", "ferritin=12", "--ranges", clash)
    assert result.exit_code == 2 and "overlaps age [0, 18)" in result.stderr


def test_ranges_says_which_file_each_band_came_from(tmp_path: Path) -> None:
    lab = overlay(tmp_path, CHILD_FERRITIN)
    result = invoke("ranges", "ferritin", "--format", "json", "--ranges", lab)
    bands = json.loads(result.stdout)["analytes"]["ferritin"]["bands"]
    origins = {(band["age"], band["from"]) for band in bands}
    assert origins == {(None, "built-in"), ("[0, 18)", lab)}
