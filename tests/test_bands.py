"""Every band edge of every analyte, in every unit, classifies exactly as the data says.

Parametrised from the reference data itself, plus hand-written expectations taken straight
from reference-facts.md so a wrong edge in the data cannot pass unnoticed.
"""

from collections.abc import Iterator

import pytest

from b12check.classify import classify
from b12check.refdata import Analyte, Reference, load_reference
from tests.conftest import check_value

REFERENCE = load_reference()


def _edges() -> Iterator[tuple[str, str | None, str, float, str, str, str]]:
    """(analyte, sex, unit, edge in that unit, flag at, just below and just above the edge)."""
    for analyte in REFERENCE.analytes.values():
        sexes: tuple[str | None, ...] = ("female", "male") if analyte.sex_specific else (None,)
        for sex in sexes:
            for unit in analyte.factors:
                scale = analyte.scale(sex, unit)
                for i, cut in enumerate(scale.cuts):
                    below, above = scale.bands[i], scale.bands[i + 1]
                    at = above if scale.upper_inclusive[i] else below
                    yield analyte.id, sex, unit, cut, at.flag, below.flag, above.flag


EDGES = list(_edges())


@pytest.mark.parametrize(
    ("analyte_id", "sex", "unit", "edge", "flag_at", "flag_below", "flag_above"), EDGES
)
def test_every_edge_in_every_unit(
    analyte_id: str,
    sex: str | None,
    unit: str,
    edge: float,
    flag_at: str,
    flag_below: str,
    flag_above: str,
) -> None:
    analyte: Analyte = REFERENCE.analytes[analyte_id]
    step = edge * 1e-6
    assert classify(analyte, sex, unit, "", edge).flag == flag_at
    assert classify(analyte, sex, unit, "", edge - step).flag == flag_below
    assert classify(analyte, sex, unit, "", edge + step).flag == flag_above


def test_edges_cover_every_analyte_and_unit() -> None:
    covered = {(a, u) for a, _, u, *_ in EDGES}
    expected = {(a.id, u) for a in REFERENCE.analytes.values() for u in a.factors}
    assert covered == expected


# Hand-written from reference-facts.md section 0 (and the paired SI edges it quotes).
FACTS = [
    ("b12", "179.9 pg/mL", None, "deficient"),
    ("b12", "180 pg/mL", None, "borderline"),
    ("b12", "350 pg/mL", None, "borderline"),
    ("b12", "350.1 pg/mL", None, "normal"),
    ("b12", "914 pg/mL", None, "normal"),
    ("b12", "915 pg/mL", None, "high"),
    ("b12", "132.9 pmol/L", None, "deficient"),
    ("b12", "133 pmol/L", None, "borderline"),
    ("b12", "258 pmol/L", None, "borderline"),
    ("b12", "259 pmol/L", None, "normal"),
    ("b12", "180 ng/L", None, "borderline"),
    ("vitamin_d", "11.9 ng/mL", None, "deficient"),
    ("vitamin_d", "12 ng/mL", None, "borderline"),
    ("vitamin_d", "19.9 ng/mL", None, "borderline"),
    ("vitamin_d", "20 ng/mL", None, "normal"),
    ("vitamin_d", "49.9 nmol/L", None, "borderline"),
    ("vitamin_d", "50 nmol/L", None, "normal"),
    ("vitamin_d", "29.9 nmol/L", None, "deficient"),
    ("vitamin_d", "30 nmol/L", None, "borderline"),
    ("vitamin_d", "125 nmol/L", None, "normal"),
    ("vitamin_d", "126 nmol/L", None, "high"),
    ("vitamin_d", "50 ng/mL", None, "normal"),
    ("vitamin_d", "80.1 ng/mL", None, "critical_high"),
    ("magnesium", "0.69 mmol/L", None, "deficient"),
    ("magnesium", "0.70 mmol/L", None, "borderline"),
    ("magnesium", "0.85 mmol/L", None, "normal"),
    ("magnesium", "1.10 mmol/L", None, "normal"),
    ("magnesium", "1.11 mmol/L", None, "high"),
    ("magnesium", "0.40 mmol/L", None, "critical_low"),
    ("magnesium", "1.70 mg/dL", None, "borderline"),
    ("magnesium", "1.69 mg/dL", None, "deficient"),
    ("magnesium", "2.07 mg/dL", None, "normal"),
    ("magnesium", "1.40 mEq/L", None, "borderline"),
    ("magnesium", "0.99 mg/dL", None, "critical_low"),
    ("ferritin", "14.9", None, "deficient"),
    ("ferritin", "15", None, "borderline"),
    ("ferritin", "45", None, "normal"),
    ("ferritin", "150", "female", "normal"),
    ("ferritin", "151", "female", "high"),
    ("ferritin", "200", "male", "normal"),
    ("ferritin", "201", "male", "high"),
    ("ferritin", "1001", None, "high"),
    ("iron", "34 ug/dL", "female", "low"),
    ("iron", "35 ug/dL", "female", "normal"),
    ("iron", "49 ug/dL", "male", "low"),
    ("iron", "50 ug/dL", "male", "normal"),
    ("iron", "351 ug/dL", None, "critical_high"),
    ("tibc", "249 ug/dL", None, "low"),
    ("tibc", "400 ug/dL", None, "normal"),
    ("tibc", "401 ug/dL", None, "high"),
    ("tsat", "14.9 %", None, "deficient"),
    ("tsat", "15 %", None, "borderline"),
    ("tsat", "20 %", None, "normal"),
    ("tsat", "45 %", None, "normal"),
    ("tsat", "46 %", None, "high"),
    ("mma", "0.40 umol/L", None, "normal"),
    ("mma", "0.41 umol/L", None, "high"),
    ("mma", "400 nmol/L", None, "normal"),
    ("mma", "401 nmol/L", None, "high"),
    ("homocysteine", "15 umol/L", None, "normal"),
    ("homocysteine", "15.1 umol/L", None, "high"),
]


@pytest.mark.parametrize(("analyte", "value", "sex", "flag"), FACTS)
def test_published_edges(
    reference: Reference, analyte: str, value: str, sex: str | None, flag: str
) -> None:
    assert check_value(reference, analyte, value, sex=sex).flag == flag


def test_unclassified_when_sex_decides(reference: Reference) -> None:
    record = check_value(reference, "ferritin", "170")
    assert record.flag == "unclassified"
    assert record.flag_by_sex == {"female": "high", "male": "normal"}
    assert "--sex" in (record.reason or "")


def test_sex_not_needed_when_both_agree(reference: Reference) -> None:
    record = check_value(reference, "ferritin", "100")
    assert record.flag == "normal"
    assert (record.band_low, record.band_high) == (45.0, 150.0)


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("<5 ng/mL", "deficient"),
        ("<12 ng/mL", "deficient"),
        ("<=12 ng/mL", "unclassified"),
        (">80 ng/mL", "critical_high"),
        (">=80 ng/mL", "unclassified"),
        ("<30 ng/mL", "unclassified"),
    ],
)
def test_censored_values_only_classified_when_settled(
    reference: Reference, value: str, flag: str
) -> None:
    record = check_value(reference, "vitamin_d", value)
    assert record.flag == flag
    assert record.comparator == value[: len(value) - len(value.lstrip("<>="))]
    if flag == "unclassified":
        assert "could be" in (record.reason or "")
