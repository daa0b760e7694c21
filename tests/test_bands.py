"""Every band edge of every analyte, in every unit, classifies exactly as the data says.

The expected flags come from reference_ranges.yaml read directly (its "[", "(" edge brackets,
its unit table and paired edges), not from the loaded reference, and the edges themselves are
checked against a hand-written table taken from reference-facts.md, so a wrong edge in the
data or in the loader cannot pass unnoticed.
"""

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import yaml

from b12check.core.refdata import Reference
from tests.conftest import REPO, check_value

RANGES: dict[str, Any] = yaml.safe_load((REPO / "reference_ranges.yaml").read_text("utf-8"))
INTERVAL = re.compile(r"^([\[(])\s*([^,]*?)\s*,\s*([^\])]*?)\s*([\])])$")
# One unit of each kind is this much of a mole (mass: the molar mass; charge: the valence).
MOLE_KEYS = {"mass": "molar_mass", "charge": "valence"}


class Band(NamedTuple):
    low: float | None  # None: unbounded
    low_in: bool  # "[": the low edge belongs to this band
    high: float | None
    high_in: bool
    flag: str
    sex: str | None


def _band(raw: dict[str, Any]) -> Band:
    match = INTERVAL.match(raw["range"].strip())
    assert match, f"unreadable range {raw['range']!r}"
    opening, low, high, closing = match.groups()
    return Band(
        float(low) if low else None,
        opening == "[",
        float(high) if high else None,
        closing == "]",
        raw["flag"],
        raw.get("sex"),
    )


def _sexes(raw: dict[str, Any]) -> tuple[str | None, ...]:
    return ("female", "male") if any(b.get("sex") for b in raw["bands"]) else (None,)


def _factor(raw: dict[str, Any], unit: str) -> float:
    """Canonical units in one ``unit``, from the unit table (each unit's scale in g/L, mol/L,
    eq/L or 1); across kinds through the analyte's molar mass or valence (per mole)."""
    here, canonical = RANGES["units"][unit], RANGES["units"][raw["canonical_unit"]]
    if here["kind"] == canonical["kind"]:
        return float(here["scale"]) / float(canonical["scale"])

    def moles(spec: dict[str, Any]) -> float:
        key = MOLE_KEYS.get(spec["kind"])
        return float(spec["scale"]) / (float(raw[key]) if key else 1.0)

    return moles(here) / moles(canonical)


def _edge_in(raw: dict[str, Any], unit: str, edge: float) -> float:
    """A canonical-unit edge expressed in ``unit``: the paired value an authority published,
    else converted through the unit table."""
    for key, value in (raw.get("paired_edges") or {}).get(unit, {}).items():
        if float(key) == edge:
            return float(value)
    return edge / _factor(raw, unit)


def _in_unit(raw: dict[str, Any], unit: str, band: Band) -> Band:
    low = None if band.low is None else _edge_in(raw, unit, band.low)
    high = None if band.high is None else _edge_in(raw, unit, band.high)
    return band._replace(low=low, high=high)


def _contains(band: Band, value: float) -> bool:
    above_low = band.low is None or value > band.low or (band.low_in and value == band.low)
    below_high = band.high is None or value < band.high or (band.high_in and value == band.high)
    return above_low and below_high


def _flag_of(bands: list[Band], value: float) -> str:
    """The flag of the one band (in the value's unit) that holds ``value``."""
    holding = [band.flag for band in bands if _contains(band, value)]
    assert len(holding) == 1, f"{value} is in {len(holding)} bands: the bands must tile"
    return holding[0]


def _text(number: float) -> str:
    """A number as a lab report could print it (up to 12 significant digits)."""
    return f"{number:.12g}"


def _exact_text(edge: float) -> str | None:
    """The edge as a short decimal when that is exactly the edge (canonical and paired edges,
    and conversions such as mmol/L to meq/L); None for a converted edge with endless digits
    (35 ug/dL is 6.2673... umol/L), where only the values either side mean anything."""
    short = f"{edge:.6g}"
    return short if float(short) == edge else None


def _edges() -> Iterator[tuple[str, str | None, str, str, str, str, str, str, str]]:
    """(analyte, sex, unit, then the value text and its expected flag at, just below and
    just above each edge; "at" is empty where the edge has no exact decimal in the unit)."""
    for analyte_id, raw in RANGES["analytes"].items():
        for sex in _sexes(raw):
            mine = [_band(b) for b in raw["bands"] if b.get("sex") in (None, sex)]
            for unit in raw["units"]:
                bands = [_in_unit(raw, unit, band) for band in mine]
                for edge in sorted({b.low for b in bands if b.low is not None}):
                    at = _exact_text(edge)
                    below, above = _text(edge * (1 - 1e-6)), _text(edge * (1 + 1e-6))
                    yield (
                        analyte_id,
                        sex,
                        unit,
                        at or "",
                        _flag_of(bands, edge) if at else "",
                        below,
                        _flag_of(bands, float(below)),
                        above,
                        _flag_of(bands, float(above)),
                    )


EDGES = list(_edges())


def _about(below: str, above: str) -> str:
    return f"about-{(float(below) + float(above)) / 2:.6g}"


@pytest.mark.parametrize(
    ("analyte", "sex", "unit", "at", "flag_at", "below", "flag_below", "above", "flag_above"),
    EDGES,
    ids=[f"{e[0]}-{e[1] or 'any'}-{e[2]}-{e[3] or _about(e[5], e[7])}" for e in EDGES],
)
def test_every_edge_in_every_unit(
    reference: Reference,
    analyte: str,
    sex: str | None,
    unit: str,
    at: str,
    flag_at: str,
    below: str,
    flag_below: str,
    above: str,
    flag_above: str,
) -> None:
    def flag(value: str) -> str | None:
        return check_value(reference, analyte, f"{value} {unit}", sex=sex).flag

    assert (flag(below), flag(above)) == (flag_below, flag_above)
    if at:
        assert flag(at) == flag_at


# Canonical-unit edges of the default bands, by hand from reference-facts.md section 0 (the
# suggested shipped defaults) and the lab critical values there.
PUBLISHED_EDGES: dict[tuple[str, str | None], tuple[float, ...]] = {
    ("b12", None): (180, 350, 914),
    ("vitamin_d", None): (12, 20, 50, 80),
    ("magnesium", None): (0.41, 0.70, 0.85, 1.10, 2.06),
    ("ferritin", "female"): (15, 45, 150, 1000),
    ("ferritin", "male"): (15, 45, 200, 1000),
    ("iron", "female"): (35, 145, 350),
    ("iron", "male"): (50, 150, 350),
    ("tibc", None): (250, 400),
    ("tsat", None): (15, 20, 45, 60),
    ("mma", None): (0.40,),
    ("homocysteine", None): (15, 50),
}


def test_edges_are_the_published_ones() -> None:
    found: dict[tuple[str, str | None], tuple[float, ...]] = {}
    for analyte_id, raw in RANGES["analytes"].items():
        for sex in _sexes(raw):
            bands = [_band(b) for b in raw["bands"] if b.get("sex") in (None, sex)]
            found[analyte_id, sex] = tuple(sorted({b.low for b in bands if b.low is not None}))
    assert found == PUBLISHED_EDGES


def test_edges_cover_every_analyte_unit_and_sex(reference: Reference) -> None:
    """The cases above span every analyte and unit the package loads, and both sexes where
    the bands differ by sex; each (analyte, sex, unit) has every published edge."""
    covered = {(a, u) for a, _, u, *_ in EDGES}
    loaded = {(a.id, u) for a in reference.analytes.values() for u in a.factors}
    assert covered == loaded
    per_case: dict[tuple[str, str | None, str], int] = {}
    for analyte, sex, unit, *_ in EDGES:
        per_case[analyte, sex, unit] = per_case.get((analyte, sex, unit), 0) + 1
    for (analyte, sex, unit), count in per_case.items():
        assert count == len(PUBLISHED_EDGES[analyte, sex]), (analyte, sex, unit)
    assert {(a, s) for a, s, _ in per_case} == set(PUBLISHED_EDGES)


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
