"""The "Python floor": the least work a streaming classifier of a long lab CSV can do.

Usage: ``python benchmarks/floor.py IN.csv > OUT.csv``

For each row of ``patient_id,collected,analyte,value,unit``: strip a leading ``<``, ``>``,
``<=`` or ``>=`` from the value and ``float()`` the number (a censored value takes its
bound), look up (analyte label, unit) to get a factor to the canonical unit, cut points and
flags, convert, ``bisect`` the cut points, and write the input row plus a ``flag`` column
through ``csv.writer``. Unknown pairs get ``skipped``, unparsable values ``error``.

A wide file (``patient_id,collected`` and a column per ``Analyte (unit)``, as
``gen_csv.py --shape wide`` writes) gets the wide floor: each filled cell is classified the
same way and written as one row ``patient_id,collected,analyte,value,unit,flag``.

This is the reference that ``b12check scan`` is measured against (see PRODUCT.md,
"Numbers it must reach"). The cut points are approximate: it is a speed floor, not a
product. Keep it minimal: every line added here makes the target easier to meet.
"""

import csv
import sys
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

Bands = tuple[tuple[float, ...], tuple[str, ...]]
Entry = tuple[float, tuple[float, ...], tuple[str, ...]]

# Cut points in the canonical unit, and one flag more than there are cut points.
DEF, BORD, NORM, HIGH = "deficient", "borderline", "normal", "high"
CRIT_LO, CRIT_HI = "critical_low", "critical_high"
B12: Bands = ((180.0, 350.0, 914.0, 2000.0), (DEF, BORD, NORM, HIGH, HIGH))
VITAMIN_D: Bands = ((12.0, 20.0, 50.0, 80.0), (DEF, BORD, NORM, HIGH, CRIT_HI))
MAGNESIUM: Bands = ((0.41, 0.70, 1.10, 2.06), (CRIT_LO, DEF, NORM, HIGH, CRIT_HI))
FERRITIN: Bands = ((15.0, 30.0, 300.0, 1000.0), (DEF, BORD, NORM, HIGH, HIGH))
IRON: Bands = ((35.0, 50.0, 150.0, 350.0), (DEF, BORD, NORM, HIGH, CRIT_HI))
TIBC: Bands = ((150.0, 250.0, 400.0, 500.0), ("low", "low", NORM, HIGH, HIGH))
TSAT: Bands = ((16.0, 20.0, 45.0, 60.0), (DEF, BORD, NORM, HIGH, CRIT_HI))
MMA: Bands = ((0.10, 0.40, 0.75, 5.0), (NORM, NORM, HIGH, HIGH, CRIT_HI))
HOMOCYSTEINE: Bands = ((5.0, 15.0, 30.0, 100.0), (NORM, NORM, HIGH, HIGH, CRIT_HI))

# (analyte label, unit) -> (factor to the canonical unit, cut points, flags).
TABLE: dict[tuple[str, str], Entry] = {
    ("Vitamin B12", "pg/mL"): (1.0, *B12),
    ("Vitamin B12", "pmol/L"): (1.3554, *B12),
    ("Vitamin D", "ng/mL"): (1.0, *VITAMIN_D),
    ("Vitamin D", "nmol/L"): (0.4006, *VITAMIN_D),
    ("Magnesium", "mmol/L"): (1.0, *MAGNESIUM),
    ("Magnesium", "mg/dL"): (0.4114, *MAGNESIUM),
    ("Magnesium", "mEq/L"): (0.5, *MAGNESIUM),
    ("Ferritin", "ug/L"): (1.0, *FERRITIN),
    ("Ferritin", "ng/mL"): (1.0, *FERRITIN),
    ("Iron", "ug/dL"): (1.0, *IRON),
    ("Iron", "umol/L"): (5.5845, *IRON),
    ("TIBC", "ug/dL"): (1.0, *TIBC),
    ("TIBC", "umol/L"): (5.5845, *TIBC),
    ("Transferrin saturation", "%"): (1.0, *TSAT),
    ("MMA", "umol/L"): (1.0, *MMA),
    ("MMA", "nmol/L"): (0.001, *MMA),
    ("Homocysteine", "umol/L"): (1.0, *HOMOCYSTEINE),
}


def main(path: str) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        writer = csv.writer(sys.stdout, lineterminator="\n")
        header = next(reader, None)
        if header is None:
            return 0
        if header[2:3] == ["analyte"]:
            long_floor(reader, writer, header)
        else:
            wide_floor(reader, writer, header)
    return 0


def long_floor(reader: Iterator[list[str]], writer: Any, header: list[str]) -> None:
    """One value per row (any columns after the first five are carried along)."""
    table = TABLE
    writer.writerow([*header, "flag"])
    write = writer.writerow
    for row in reader:
        try:
            factor, cuts, flags = table[row[2], row[4]]
        except (KeyError, IndexError):  # unknown analyte/unit, or a short row
            write([*row, "skipped"])
            continue
        text = row[3]
        if text[:1] in ("<", ">"):
            text = text[2:] if text[1:2] == "=" else text[1:]
        try:
            value = float(text) * factor
        except ValueError:
            write([*row, "error"])
            continue
        row.append(flags[bisect_right(cuts, value)])
        write(row)


def wide_floor(reader: Iterator[list[str]], writer: Any, header: list[str]) -> None:
    """``patient_id,collected`` and a column per ``Analyte (unit)``: each filled cell becomes
    one output row ``patient_id,collected,analyte,value,unit,flag``, as the long floor writes."""
    columns = []
    for position, name in enumerate(header[2:], 2):
        label, _, unit = name.rstrip(")").rpartition(" (")
        columns.append((position, label, unit, TABLE.get((label, unit))))
    writer.writerow(["patient_id", "collected", "analyte", "value", "unit", "flag"])
    write = writer.writerow
    for row in reader:
        for position, label, unit, entry in columns:
            text = row[position]
            if not text:
                continue
            out = [row[0], row[1], label, text, unit]
            if entry is None:
                write([*out, "skipped"])
                continue
            factor, cuts, flags = entry
            if text[:1] in ("<", ">"):
                text = text[2:] if text[1:2] == "=" else text[1:]
            try:
                value = float(text) * factor
            except ValueError:
                write([*out, "error"])
                continue
            out.append(flags[bisect_right(cuts, value)])
            write(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/floor.py IN.csv")
    sys.exit(main(sys.argv[1]))
