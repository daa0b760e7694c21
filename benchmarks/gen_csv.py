"""Generate a realistic long-format lab CSV for the b12check benchmarks.

Usage: ``python benchmarks/gen_csv.py N OUT.csv [--seed S]``

Writes exactly N data rows (plus a header) with the columns
``patient_id,collected,analyte,value,unit``. Rows are grouped by patient and by draw
date (ISO 8601); each draw is one lab panel. Nine analytes appear in 17 analyte/unit
pairs; every patient has a "home lab" that fixes the units (US conventional, SI, ...)
and occasionally visits another lab. Values are log-normal around each analyte's
normal range, with a patient effect and a heavier tail so that every band occurs,
converted into the row's unit and printed with the decimals a lab would use. About
0.5 % of the values are censored (``<50``, ``<150``, ``>2000``, ``<5`` ...), written
on the scale of the row's unit. Output is deterministic for a given seed and is
streamed (constant memory), so any N works.
"""

import argparse
import csv
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

HEADER = ("patient_id", "collected", "analyte", "value", "unit")

#: Probability that a value is replaced by a random censored token; values outside the
#: assay range are censored too (about 0.4 %), so about 0.5 % of all values are censored.
CENSOR_RATE = 0.0012
#: Probability that one draw of one analyte comes from the heavy tail (sigma x TAIL_SCALE).
TAIL_RATE = 0.04
TAIL_SCALE = 2.5
#: Share of the variance (on the log scale) that is a stable patient effect.
PATIENT_SHARE = 0.64
#: Probability that a draw is done by another lab than the patient's home lab.
OTHER_LAB_RATE = 0.10
FIRST_DAY = date(2018, 1, 2).toordinal()


@dataclass(frozen=True)
class Analyte:
    """One analyte, in its canonical unit (the unit the medians below are in)."""

    key: str
    label: str
    median: float
    sigma: float  # standard deviation of log(value)
    limits: tuple[float, float]  # assay reporting range; outside it the value is censored
    censor: tuple[tuple[str, float], ...]  # random censored tokens (comparator, bound)


@dataclass(frozen=True)
class Unit:
    """How one analyte is reported in one unit."""

    name: str
    factor: float  # canonical value x factor = value in this unit
    decimals: int


# Medians and spreads give roughly: B12 ~10 % below 180 pg/mL, vitamin D ~7 % below
# 12 ng/mL, magnesium ~10 % below 0.70 mmol/L, ferritin ~6 % below 15 ug/L, MMA ~15 %
# above 0.40 umol/L, homocysteine ~12 % above 15 umol/L; the heavy tail reaches the
# critical bands.
ANALYTES: dict[str, Analyte] = {
    a.key: a
    for a in (
        Analyte(
            "b12",
            "Vitamin B12",
            400.0,
            0.623,
            (50.0, 2000.0),
            (("<", 50.0), ("<", 150.0), ("<", 200.0), (">", 2000.0)),
        ),
        Analyte(
            "vitamin_d",
            "Vitamin D",
            25.0,
            0.50,
            (3.0, 150.0),
            (("<", 4.0), ("<", 8.0), (">", 100.0), (">", 150.0)),
        ),
        Analyte(
            "magnesium",
            "Magnesium",
            0.85,
            0.15,
            (0.1, 4.0),
            (("<", 0.2), ("<", 0.4), (">", 2.5), (">", 4.0)),
        ),
        Analyte(
            "ferritin",
            "Ferritin",
            60.0,
            0.90,
            (1.0, 2000.0),
            (("<", 5.0), ("<", 10.0), (">", 1650.0), (">", 2000.0)),
        ),
        Analyte("iron", "Iron", 90.0, 0.35, (5.0, 1000.0), (("<", 5.0), ("<", 10.0), (">", 500.0))),
        Analyte(
            "tibc", "TIBC", 330.0, 0.18, (50.0, 900.0), (("<", 100.0), (">", 600.0), (">", 700.0))
        ),
        Analyte(
            "tsat",
            "Transferrin saturation",
            25.0,
            0.40,
            (1.0, 100.0),
            (("<", 5.0), ("<", 3.0), (">", 95.0)),
        ),
        Analyte("mma", "MMA", 0.25, 0.45, (0.02, 100.0), (("<", 0.05), ("<", 0.10), (">", 5.0))),
        Analyte(
            "homocysteine",
            "Homocysteine",
            10.0,
            0.35,
            (1.0, 250.0),
            (("<", 2.0), (">", 50.0), (">", 100.0)),
        ),
    )
}

PG_ML = Unit("pg/mL", 1.0, 0)
PMOL_L_B12 = Unit("pmol/L", 0.7378, 0)
NG_ML_D = Unit("ng/mL", 1.0, 1)
NMOL_L_D = Unit("nmol/L", 2.496, 0)
MMOL_L = Unit("mmol/L", 1.0, 2)
MG_DL = Unit("mg/dL", 2.4305, 1)
MEQ_L = Unit("mEq/L", 2.0, 2)
UG_L = Unit("ug/L", 1.0, 0)
NG_ML_FERRITIN = Unit("ng/mL", 1.0, 0)
UG_DL = Unit("ug/dL", 1.0, 0)
UMOL_L_IRON = Unit("umol/L", 0.17907, 1)
PERCENT = Unit("%", 1.0, 0)
UMOL_L_MMA = Unit("umol/L", 1.0, 2)
NMOL_L_MMA = Unit("nmol/L", 1000.0, 0)
UMOL_L_HCY = Unit("umol/L", 1.0, 1)

# Lab "styles": the units a lab reports each analyte in. Together they cover all 17 pairs.
LABS: tuple[dict[str, Unit], ...] = (
    {  # US reference lab, conventional units, MMA in nmol/L
        "b12": PG_ML,
        "vitamin_d": NG_ML_D,
        "magnesium": MG_DL,
        "ferritin": NG_ML_FERRITIN,
        "iron": UG_DL,
        "tibc": UG_DL,
        "tsat": PERCENT,
        "mma": NMOL_L_MMA,
        "homocysteine": UMOL_L_HCY,
    },
    {  # US academic lab: mcg/L ferritin, MMA in umol/L (nmol/mL)
        "b12": PG_ML,
        "vitamin_d": NG_ML_D,
        "magnesium": MG_DL,
        "ferritin": UG_L,
        "iron": UG_DL,
        "tibc": UG_DL,
        "tsat": PERCENT,
        "mma": UMOL_L_MMA,
        "homocysteine": UMOL_L_HCY,
    },
    {  # UK / EU / AU lab, SI units
        "b12": PMOL_L_B12,
        "vitamin_d": NMOL_L_D,
        "magnesium": MMOL_L,
        "ferritin": UG_L,
        "iron": UMOL_L_IRON,
        "tibc": UMOL_L_IRON,
        "tsat": PERCENT,
        "mma": UMOL_L_MMA,
        "homocysteine": UMOL_L_HCY,
    },
    {  # hospital lab reporting magnesium in mEq/L
        "b12": PG_ML,
        "vitamin_d": NG_ML_D,
        "magnesium": MEQ_L,
        "ferritin": NG_ML_FERRITIN,
        "iron": UG_DL,
        "tibc": UG_DL,
        "tsat": PERCENT,
        "mma": NMOL_L_MMA,
        "homocysteine": UMOL_L_HCY,
    },
    {  # SI lab with MMA in nmol/L
        "b12": PMOL_L_B12,
        "vitamin_d": NMOL_L_D,
        "magnesium": MMOL_L,
        "ferritin": UG_L,
        "iron": UMOL_L_IRON,
        "tibc": UMOL_L_IRON,
        "tsat": PERCENT,
        "mma": NMOL_L_MMA,
        "homocysteine": UMOL_L_HCY,
    },
)
LAB_WEIGHTS = (35, 20, 25, 10, 10)

# Panels ordered per draw (the order a lab report lists them in).
PANELS: tuple[tuple[str, ...], ...] = (
    ("b12", "vitamin_d", "magnesium", "ferritin", "iron", "tibc", "tsat", "mma", "homocysteine"),
    ("b12", "mma", "homocysteine"),
    ("b12", "ferritin", "iron", "tibc", "tsat"),
    ("ferritin", "iron", "tibc", "tsat"),
    ("vitamin_d",),
    ("b12", "vitamin_d", "magnesium", "ferritin"),
    ("magnesium",),
)
PANEL_WEIGHTS = (20, 15, 20, 15, 10, 15, 5)
DRAWS_PER_PATIENT = (1, 2, 3, 4, 5, 6)
DRAW_WEIGHTS = (35, 25, 15, 10, 8, 7)


def format_number(value: float, decimals: int) -> str:
    """Print a value the way a lab report would (fixed decimals, no exponent)."""
    return f"{value:.{decimals}f}"


def censored(comparator: str, bound: float, unit: Unit) -> str:
    """A censored result such as ``<150`` on the scale of ``unit`` (no trailing zeros)."""
    text = format_number(bound * unit.factor, unit.decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return comparator + text


def value_text(rng: random.Random, analyte: Analyte, unit: Unit, canonical: float) -> str:
    """The text of the ``value`` cell: a number, or now and then a censored token."""
    if rng.random() < CENSOR_RATE:
        comparator, bound = rng.choice(analyte.censor)
        return censored(comparator, bound, unit)
    low, high = analyte.limits
    if canonical < low:
        return censored("<", low, unit)
    if canonical > high:
        return censored(">", high, unit)
    text = format_number(canonical * unit.factor, unit.decimals)
    if float(text) == 0.0:  # rounds to zero in this unit: below what the lab reports
        return censored("<", low, unit)
    return text


def draw_value(rng: random.Random, analyte: Analyte, patient_z: float) -> float:
    """A canonical value: the patient's own level plus this draw's variation."""
    z = math.sqrt(PATIENT_SHARE) * patient_z + math.sqrt(1.0 - PATIENT_SHARE) * rng.gauss(0, 1)
    sigma = analyte.sigma * (TAIL_SCALE if rng.random() < TAIL_RATE else 1.0)
    return analyte.median * math.exp(sigma * z)


def panel_values(
    rng: random.Random, panel: Sequence[str], patient: dict[str, float]
) -> dict[str, float]:
    """Canonical values for one draw; TSAT follows from iron and TIBC when both exist."""
    values = {key: draw_value(rng, ANALYTES[key], patient[key]) for key in panel}
    if "tsat" in values and "iron" in values and "tibc" in values:
        values["tsat"] = values["iron"] / values["tibc"] * 100.0
    return values


def draw_rows(
    rng: random.Random,
    patient_id: str,
    collected: str,
    lab: dict[str, Unit],
    patient: dict[str, float],
) -> list[tuple[str, str, str, str, str]]:
    """All rows of one draw (one panel, one date, one lab)."""
    panel = rng.choices(PANELS, PANEL_WEIGHTS)[0]
    rows = []
    for key, canonical in panel_values(rng, panel, patient).items():
        analyte, unit = ANALYTES[key], lab[key]
        text = value_text(rng, analyte, unit, canonical)
        rows.append((patient_id, collected, analyte.label, text, unit.name))
    return rows


def patient_rows(rng: random.Random, number: int) -> list[tuple[str, str, str, str, str]]:
    """All rows of one patient: several draws at increasing dates."""
    patient_id = f"P{number:07d}"
    patient = {key: rng.gauss(0, 1) for key in ANALYTES}
    home = rng.choices(LABS, LAB_WEIGHTS)[0]
    day = FIRST_DAY + rng.randrange(2500)
    rows = []
    for _ in range(rng.choices(DRAWS_PER_PATIENT, DRAW_WEIGHTS)[0]):
        lab = home if rng.random() >= OTHER_LAB_RATE else rng.choice(LABS)
        collected = date.fromordinal(day).isoformat()
        rows.extend(draw_rows(rng, patient_id, collected, lab, patient))
        day += rng.randint(14, 400)
    return rows


def write_csv(n_rows: int, out: str, seed: int) -> None:
    """Stream exactly ``n_rows`` data rows to ``out`` (``-`` for stdout)."""
    rng = random.Random(seed)
    handle = sys.stdout if out == "-" else open(out, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        written, number = 0, 0
        while written < n_rows:
            number += 1
            rows = patient_rows(rng, number)[: n_rows - written]
            writer.writerows(rows)
            written += len(rows)
    finally:
        if handle is not sys.stdout:
            handle.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate a long lab CSV for benchmarks.")
    parser.add_argument("rows", type=int, help="number of data rows (header not counted)")
    parser.add_argument("out", help="output path, or - for stdout")
    parser.add_argument("--seed", type=int, default=12, help="random seed (default 12)")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("rows must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    write_csv(args.rows, args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
