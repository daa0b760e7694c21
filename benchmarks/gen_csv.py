"""Generate a realistic long-format lab CSV for the b12check benchmarks.

Usage: ``python benchmarks/gen_csv.py N OUT.csv [--seed S] [--shape SHAPE]``

Writes exactly N values (plus a header). The default shape, ``long``, has the columns
``patient_id,collected,analyte,value,unit``, one value per row. The other shapes hold the same
values: ``lab`` adds the lab's reference range and flag (``ref_range,flag``), ``loinc`` a
LOINC code column, ``birth`` a birth date per patient (``birth_date``), and ``wide`` has one
row per draw and a column per analyte and unit (``Vitamin B12 (pg/mL)``, ...).

Rows are grouped by patient and by draw date (ISO 8601); each draw is one lab panel. Nine
analytes appear in 17 analyte/unit pairs; every patient has a "home lab" that fixes the
units (US conventional, SI, ...) and occasionally visits another lab. Values are log-normal
around each analyte's normal range, with a patient effect and a heavier tail so that every
band occurs, converted into the row's unit and printed with the decimals a lab would use.
About 0.5 % of the values are censored (``<50``, ``<150``, ``>2000``, ``<5`` ...), written
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
SHAPES = ("long", "lab", "loinc", "birth", "wide")
EXTRA = {"lab": ("ref_range", "flag"), "loinc": ("loinc",), "birth": ("birth_date",)}
LOINC = {
    "b12": "2132-9",
    "vitamin_d": "62292-8",
    "magnesium": "19123-9",
    "ferritin": "2276-4",
    "iron": "2498-4",
    "tibc": "2500-7",
    "tsat": "2502-3",
    "mma": "13964-2",
    "homocysteine": "13965-9",
}
# A lab's reference range per analyte, in the canonical unit (written in the row's unit).
LAB_RANGES = {
    "b12": (232.0, 1245.0),
    "vitamin_d": (30.0, 100.0),
    "magnesium": (0.66, 1.07),
    "ferritin": (15.0, 150.0),
    "iron": (50.0, 170.0),
    "tibc": (250.0, 450.0),
    "tsat": (20.0, 50.0),
    "mma": (0.0, 0.4),
    "homocysteine": (5.0, 15.0),
}

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


Draw = list[tuple[str, str, str, str, str, str]]  # patient, date, label, value, unit, key


def draw_rows(
    rng: random.Random,
    patient_id: str,
    collected: str,
    lab: dict[str, Unit],
    patient: dict[str, float],
) -> Draw:
    """All values of one draw (one panel, one date, one lab)."""
    panel = rng.choices(PANELS, PANEL_WEIGHTS)[0]
    rows = []
    for key, canonical in panel_values(rng, panel, patient).items():
        analyte, unit = ANALYTES[key], lab[key]
        text = value_text(rng, analyte, unit, canonical)
        rows.append((patient_id, collected, analyte.label, text, unit.name, key))
    return rows


def patient_draws(rng: random.Random, number: int) -> tuple[list[Draw], str]:
    """All draws of one patient at increasing dates, and the patient's birth date."""
    patient_id = f"P{number:07d}"
    patient = {key: rng.gauss(0, 1) for key in ANALYTES}
    home = rng.choices(LABS, LAB_WEIGHTS)[0]
    day = FIRST_DAY + rng.randrange(2500)
    # (not from rng, so that every shape draws the same values as the long file)
    born = date.fromordinal(day - 18 * 365 - number * 7919 % (72 * 365)).isoformat()
    draws = []
    for _ in range(rng.choices(DRAWS_PER_PATIENT, DRAW_WEIGHTS)[0]):
        lab = home if rng.random() >= OTHER_LAB_RATE else rng.choice(LABS)
        collected = date.fromordinal(day).isoformat()
        draws.append(draw_rows(rng, patient_id, collected, lab, patient))
        day += rng.randint(14, 400)
    return draws, born


def unit_of(key: str, name: str) -> Unit:
    return next(lab[key] for lab in LABS if lab[key].name == name)


def lab_cells(key: str, text: str, unit_name: str) -> tuple[str, str]:
    """The lab's range for the analyte in the row's unit, and its flag for the value."""
    unit = unit_of(key, unit_name)
    low, high = (bound * unit.factor for bound in LAB_RANGES[key])
    shown = f"{low:.{unit.decimals}f}-{high:.{unit.decimals}f}"
    number = float(text.lstrip("<>="))
    flag = "H" if number > high else "L" if number < low else ""
    return shown, flag


def long_row(shape: str, value: tuple[str, ...], born: str) -> tuple[str, ...]:
    patient_id, collected, label, text, unit, key = value
    row: tuple[str, ...] = (patient_id, collected, label, text, unit)
    if shape == "lab":
        row += lab_cells(key, text, unit)
    elif shape == "loinc":
        row += (LOINC[key],)
    elif shape == "birth":
        row += (born,)
    return row


WIDE_COLUMNS = tuple(
    dict.fromkeys(
        (key, lab[key].name)
        for key in ANALYTES
        for lab in sorted(LABS, key=lambda lab: lab is not LABS[0])
    )
)


def wide_row(draw: Draw) -> list[str]:
    cells = {(key, unit): text for _, _, _, text, unit, key in draw}
    return [draw[0][0], draw[0][1], *(cells.get(column, "") for column in WIDE_COLUMNS)]


def write_csv(n_rows: int, out: str, seed: int, shape: str = "long") -> None:
    """Stream exactly ``n_rows`` values to ``out`` (``-`` for stdout) in ``shape``."""
    rng = random.Random(seed)
    handle = sys.stdout if out == "-" else open(out, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(handle, lineterminator="\n")
        if shape == "wide":
            names = [f"{ANALYTES[key].label} ({unit})" for key, unit in WIDE_COLUMNS]
            writer.writerow(["patient_id", "collected", *names])
        else:
            writer.writerow(HEADER + EXTRA.get(shape, ()))
        written, number = 0, 0
        while written < n_rows:
            number += 1
            draws, born = patient_draws(rng, number)
            for draw in draws:
                draw = draw[: n_rows - written]
                if not draw:
                    break
                written += len(draw)
                if shape == "wide":
                    writer.writerow(wide_row(draw))
                else:
                    writer.writerows(long_row(shape, value, born) for value in draw)
    finally:
        if handle is not sys.stdout:
            handle.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate a long lab CSV for benchmarks.")
    parser.add_argument("rows", type=int, help="number of data rows (header not counted)")
    parser.add_argument("out", help="output path, or - for stdout")
    parser.add_argument("--seed", type=int, default=12, help="random seed (default 12)")
    parser.add_argument("--shape", choices=SHAPES, default="long", help="layout (default long)")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("rows must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    write_csv(args.rows, args.out, args.seed, args.shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
