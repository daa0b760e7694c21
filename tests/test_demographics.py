"""Age groups in the data, the add_bands merge rule, and where each band came from."""

import json
from pathlib import Path
from typing import Any

from tests.conftest import CHILD_FERRITIN, invoke, overlay

CHILDREN_ONLY = """\
analytes:
  ferritin:
    bands:
      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Paediatric}
      - {range: "[10, )", flag: normal, interpretation: N, age: "[0, 18)", source: Paediatric}
"""


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


BIRTH_DATES = """\
patient,date,dob,age,test,result,unit
C1,2025-03-01,2016-02-29,,Ferritin,12,ug/L
A1,2025-03-01,1985-03-02,,Ferritin,12,ug/L
T1,2025-03-01,2007-03-01,,Ferritin,12,ug/L
T2,2025-02-28,2007-03-01,,Ferritin,12,ug/L
G1,2025-03-01,1980-01-01,9,Ferritin,12,ug/L
B1,2025-03-01,2030-01-01,,Ferritin,12,ug/L
B2,,1980-01-01,,Ferritin,12,ug/L
B3,2025-03-01,someday,,Ferritin,12,ug/L
"""


def test_a_birth_date_gives_the_age_on_the_collection_date(tmp_path: Path) -> None:
    lab = overlay(tmp_path, CHILD_FERRITIN)
    export = tmp_path / "export.csv"
    export.write_text(BIRTH_DATES, encoding="utf-8")
    result = invoke("scan", str(export), "--ranges", lab, "--format", "json", "--notes", "none")
    assert result.exit_code == 1, result.stderr
    records = {r["patient"]: r for r in json.loads(result.stdout)["records"]}
    read = {p: (r["age"], r["flag"]) for p, r in records.items()}
    assert read["C1"] == (9.0, "normal")  # born 29 Feb: the birthday is 28 Feb in 2025
    assert read["A1"] == (39.99, "deficient")  # a day short of 40: still an adult
    assert read["T1"] == (18.0, "deficient")  # 18 on the day: the adult bands
    assert read["T2"] == (17.99, "normal")  # the day before: the children's bands
    assert read["G1"] == (9.0, "normal")  # an age cell wins over the birth date
    for patient in ("A1", "C1", "G1", "T1", "T2"):
        assert records[patient]["warnings"] == []
    assert records["B1"]["age"] is None
    assert "does not fit the collection date 2025-03-01" in records["B1"]["warnings"][0]
    assert records["B2"]["warnings"] == [
        "no readable collection date to work out the age from the birth date"
    ]
    assert records["B3"]["warnings"][0].startswith("birth date 'someday' not understood")
    # without an age, the bands without an age group, as for a typed value
    assert all(records[p]["flag"] == "deficient" for p in ("B1", "B2", "B3"))


def test_a_child_by_birth_date_is_told_the_built_in_bands_are_for_adults(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(BIRTH_DATES, encoding="utf-8")
    result = invoke("scan", str(export), "--format", "json", "--notes", "none")
    records = {r["patient"]: r for r in json.loads(result.stdout)["records"]}
    assert records["T2"]["warnings"] == [
        "the built-in bands are for adults; children's ranges differ"
    ]
    assert records["T1"]["warnings"] == []


OLD_AGES = """\
patient,date,dob,test,result,unit
A1,2025-03-01,1985-03-02,Ferritin,12,ug/L
O1,2025-03-01,1895-03-01,Ferritin,12,ug/L
O2,2025-03-01,1895-02-20,Ferritin,12,ug/L
O2,2025-03-02,1895-02-20,Ferritin,12,ug/L
A2,2025-03-01,1985-03-02,Ferritin,12,ug/L
"""


def test_a_birth_date_over_130_years_back_is_a_typo_on_every_row(tmp_path: Path) -> None:
    # the same value on each row: all but the first are read from the scan's cache
    export = tmp_path / "export.csv"
    export.write_text(OLD_AGES, encoding="utf-8")
    result = invoke("scan", str(export), "--format", "json", "--notes", "none")
    records = json.loads(result.stdout)["records"]
    ages = [(r["patient"], r["age"], r["warnings"]) for r in records]
    typo = "birth date '1895-02-20' does not fit the collection date"
    assert ages[:2] == [("A1", 39.99, []), ("O1", 130.0, [])]  # 130 on the day: still an age
    assert [(p, a) for p, a, _ in ages[2:]] == [("O2", None), ("O2", None), ("A2", 39.99)]
    assert ages[2][2][0].startswith(f"{typo} 2025-03-01")
    assert ages[3][2][0].startswith(f"{typo} 2025-03-02")
    assert ages[4][2] == []
