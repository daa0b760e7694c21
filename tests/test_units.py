"""Unit spellings and conversion factors derived from molar mass and valence."""

import pytest

from b12check.core.refdata import Reference
from tests.conftest import check_value


@pytest.mark.parametrize(
    ("analyte", "unit", "factor"),
    [
        # (analyte, unit, published factor to the canonical unit) from reference-facts.md 1
        ("b12", "pmol/L", 1.3554),
        ("b12", "ng/L", 1.0),
        ("vitamin_d", "nmol/L", 0.4006),
        ("magnesium", "mg/dL", 0.4114),
        ("magnesium", "meq/L", 0.5),
        ("iron", "umol/L", 5.5845),
        ("tibc", "umol/L", 5.5845),
        ("ferritin", "ng/mL", 1.0),
        ("mma", "nmol/L", 0.001),
    ],
)
def test_derived_factors_match_published_ones(
    reference: Reference, analyte: str, unit: str, factor: float
) -> None:
    assert reference.analytes[analyte].factors[unit] == pytest.approx(factor, rel=2e-4)


@pytest.mark.parametrize(
    "spelling",
    ["ug/L", "µg/L", "μg/L", "mcg/L", "UG/L", "ng/ml", "NG/ML", "ng/mL\u00a0", " ng / mL "],
)
def test_ferritin_unit_spellings(reference: Reference, spelling: str) -> None:
    record = check_value(reference, "ferritin", f"30 {spelling}")
    assert record.status == "result", record.reason
    assert record.value == 30.0


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("1.40 mEq/L", 0.7),
        ("1.40 meq/L", 0.7),
        ("1.40 MEQ/L", 0.7),
        ("0.72mmol/L", 0.72),
        ("0.72 mmol/l", 0.72),
    ],
)
def test_magnesium_spellings(reference: Reference, value: str, canonical: float) -> None:
    assert check_value(reference, "mg", value).value == pytest.approx(canonical)


@pytest.mark.parametrize(
    "value", ["250 pmol/l", "250 PMOL/L", "250pmol/L", "250 pg/ml", "250 ng/L"]
)
def test_b12_spellings(reference: Reference, value: str) -> None:
    assert check_value(reference, "b12", value).status == "result"


@pytest.mark.parametrize(
    "value", ["9umol/L", "9 µmol/L", "9 μmol/L", "9 mcmol/L", "50 mcg/dL", "50 µg/dL", "50 ug/dl"]
)
def test_iron_spellings(reference: Reference, value: str) -> None:
    assert check_value(reference, "iron", value, sex="female").status == "result"


def test_unit_that_does_not_fit_names_the_units_that_do(reference: Reference) -> None:
    record = check_value(reference, "b12", "250 %")
    assert record.status == "error"
    assert "pg/mL, ng/L, pmol/L" in (record.reason or "")
    # a mass per volume is read by its prefix, and a wrong one is caught as implausible
    wrong = check_value(reference, "b12", "250 ng/mL")
    assert wrong.status == "error" and "was it 250 pg/mL?" in (wrong.reason or "")
    arbitrary = check_value(reference, "ferritin", "30 IU/mL")  # a unit, but not of ferritin
    assert "'IU/mL' is not a unit of this test" in (arbitrary.reason or "")
    unknown = check_value(reference, "ferritin", "30 beans/mL")
    assert "unknown unit" in (unknown.reason or "")


@pytest.mark.parametrize("analyte", ["b12", "vitamin_d", "magnesium", "iron", "tibc"])
def test_bare_value_needs_a_unit_where_units_differ(reference: Reference, analyte: str) -> None:
    record = check_value(reference, analyte, "1")
    assert record.status == "error"
    assert "--units conventional|si" in (record.reason or "")


@pytest.mark.parametrize(
    ("analyte", "number", "system", "unit"),
    [
        ("b12", "250", "conventional", "pg/mL"),
        ("b12", "250", "si", "pmol/L"),
        ("magnesium", "0.8", "si", "mmol/L"),
        ("magnesium", "2.1", "conventional", "mg/dL"),
        ("vitamin_d", "50", "si", "nmol/L"),
        ("iron", "20", "si", "umol/L"),
    ],
)
def test_units_option_says_what_a_bare_value_means(
    reference: Reference, analyte: str, number: str, system: str, unit: str
) -> None:
    bare = check_value(reference, analyte, number, units_system=system)
    explicit = check_value(reference, analyte, f"{number} {unit}")
    assert bare.status == "result"
    assert (bare.value, bare.flag) == (explicit.value, explicit.flag)


def test_ferritin_and_tsat_need_no_unit(reference: Reference) -> None:
    assert check_value(reference, "ferritin", "30").status == "result"
    tsat = check_value(reference, "tsat", "0.14")
    assert (tsat.value, tsat.flag) == (14.0, "deficient")
    assert any("fraction" in w for w in tsat.warnings)
    assert check_value(reference, "tsat", "14").value == 14.0


def test_converted_value_is_in_the_canonical_unit(reference: Reference) -> None:
    record = check_value(reference, "vitamin d", "50 nmol/L")
    assert record.canonical_unit == "ng/mL"
    assert record.value == pytest.approx(20.03, abs=0.01)
    assert record.flag == "normal"
