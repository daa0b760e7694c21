"""The reference data as rows of SQL tables: names and codes, units, factors, tests, age
groups and bands, each band row already placed on the scale of one unit.

Everything a query needs to place a value is worked out here, in Python, by the core's own
objects (``Analyte.group_scale`` builds the cut points a run bisects), so the SQL only compares
a number with the cut points of one row. Only the reference data is read: no click, no output.
"""

import math
import sys
from collections.abc import Iterator
from typing import NamedTuple

from b12check.core.analyte import Analyte
from b12check.core.bands import Band, Scale
from b12check.core.errors import B12CheckError
from b12check.core.numbers import Interval
from b12check.core.reference import Reference
from b12check.core.settings import Settings
from b12check.core.units import PREFIXES, per_volume
from b12check.core.vocab import SEXES

Cell = str | float | int | None
ANY_SEX = "any"  # the sex of a band row that applies to everyone


class Table(NamedTuple):
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, type: text, double or int)
    rows: list[tuple[Cell, ...]]


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    """'name text, factor double' -> (('name', 'text'), ('factor', 'double'))."""
    pairs = (part.split() for part in spec.split(","))
    return tuple((name, kind) for name, kind in pairs)


def _names(reference: Reference) -> Table:
    """Folded test names -> what they are; an analyte's name wins over a companion's."""
    rows: dict[str, tuple[Cell, ...]] = {}
    for key, companion_id in reference.companion_names.items():
        if "-" not in key:  # (LOINC codes go to the codes table)
            rows[key] = (key, "companion", companion_id)
    for key, analyte_id in reference.names.items():
        rows[key] = (key, "analyte", analyte_id)
    return Table("b12_names", _cols("name_key text, kind text, id text"), list(rows.values()))


def _codes(reference: Reference) -> Table:
    """LOINC codes: refused ones first, then the analytes', then the companions'."""
    rows: dict[str, tuple[Cell, ...]] = {}
    for key, companion_id in reference.companion_names.items():
        if "-" in key:
            rows[key] = (key, "companion", companion_id, None)
    for code, analyte_id in reference.codes.items():
        rows[code] = (code, "analyte", analyte_id, None)
    for code, reason in reference.refused_codes.items():
        rows[code] = (code, "refused", None, reason)
    return Table(
        "b12_codes", _cols("code text, kind text, id text, reason text"), list(rows.values())
    )


def prefix_units(reference: Reference) -> list[str]:
    """Every folded spelling of a mass, amount or charge per volume the core reads by its
    prefix (core/units.per_volume) that is not a listed unit: each is its own code here."""
    found = []
    for prefix in PREFIXES:
        for base in ("g", "mol", "eq", "iu", "[iu]"):
            for volume in ("", "d", "m", "u"):
                key = f"{prefix}{base}/{volume}l"
                if key not in reference.unit_index and per_volume(key) is not None:
                    found.append(key)
    return found


def _units(reference: Reference) -> Table:
    rows: list[tuple[Cell, ...]] = [(key, code) for key, code in reference.unit_index.items()]
    rows += [(key, key) for key in prefix_units(reference)]
    return Table("b12_units", _cols("unit_key text, code text"), rows)


def largest_finite_multiplicand(factor: float) -> float:
    """The largest number whose product with ``factor`` is still finite (so the SQL can tell
    an overflow before multiplying: some engines raise on it)."""
    guess = sys.float_info.max / factor
    while not math.isfinite(guess * factor):
        guess = math.nextafter(guess, 0.0)
    while math.isfinite(math.nextafter(guess, math.inf) * factor):
        guess = math.nextafter(guess, math.inf)
    return guess


def _factors(reference: Reference) -> Table:
    rows: list[tuple[Cell, ...]] = []
    tests = [(a.id, a.factors) for a in reference.analytes.values()]
    tests += [(c.id, c.factors) for c in reference.companions.values()]
    for test_id, factors in tests:
        for unit, factor in factors.items():
            rows.append((test_id, unit, factor, largest_finite_multiplicand(factor), 0))
    # units an analyte takes only by their prefix and its molar mass or valence: the core
    # reads them, the SQL declines them (its bands are per listed unit)
    spellings = [*reference.units, *prefix_units(reference)]
    for analyte in reference.analytes.values():
        for unit in spellings:
            if unit not in analyte.factors and reference.unit_factor(analyte, unit) is not None:
                rows.append((analyte.id, unit, None, None, 1))
    return Table(
        "b12_factors",
        _cols("id text, unit text, factor double, max_number double, by_prefix int"),
        rows,
    )


def _bare_unit(analyte: Analyte, settings: Settings) -> str | None:
    """The unit of a number given without one (``--units`` decides when units differ)."""
    if not analyte.unit_needed:
        return analyte.canonical_unit
    if settings.units_system == "conventional":
        return analyte.conventional_unit
    if settings.units_system == "si":
        return analyte.si_unit
    return None


def _tests(reference: Reference, settings: Settings) -> Table:
    columns = _cols(
        "id text, kind text, name text, canonical_unit text, guideline text, "
        "plausible_low double, plausible_low_in int, plausible_high double, "
        "plausible_high_in int, fraction_as_percent int, bare_unit text, units text, "
        "skip_reason text"
    )
    rows: list[tuple[Cell, ...]] = []
    for a in reference.analytes.values():
        p = a.plausible
        rows.append(
            (a.id, "analyte", a.name, a.canonical_unit, a.guideline(settings.guideline_for(a)).name)
            + (p.low, int(p.low_inclusive), p.high, int(p.high_inclusive))
            + (int(a.fraction_as_percent), _bare_unit(a, settings), ", ".join(a.factors), None)
        )
    for c in reference.companions.values():
        reason = f"{c.name} is read only to work out other values; it is not flagged"
        rows.append(
            (c.id, "companion", c.name, c.canonical_unit, None, None, 0, None, 0, 0, None)
            + (", ".join(c.factors), reason)
        )
    return Table("b12_tests", columns, rows)


def age_groups(analyte: Analyte, guideline: str) -> list[Interval | None]:
    """The age groups of a guideline's bands, numbered from 0: bands without an age first."""
    ages = {band.age for band in analyte.guideline(guideline).bands if band.age is not None}
    ordered = sorted(ages, key=lambda age: -math.inf if age.low is None else age.low)
    return [None, *ordered]


def _sexes(bands: tuple[Band, ...]) -> tuple[str, ...]:
    return SEXES if any(band.sex for band in bands) else (ANY_SEX,)


def _groups(reference: Reference) -> Table:
    columns = _cols(
        "analyte text, guideline text, age_group int, age_low double, age_low_in int, "
        "age_high double, age_high_in int, sex_specific int, band_count int"
    )
    rows: list[tuple[Cell, ...]] = []
    for a in reference.analytes.values():
        for guideline in a.guidelines:
            for number, age in enumerate(age_groups(a, guideline)):
                bands = a.group_bands(guideline, age)
                low = high = None
                low_in = high_in = 0
                if age is not None:
                    low, high = age.low, age.high
                    low_in, high_in = int(age.low_inclusive), int(age.high_inclusive)
                specific = int(_sexes(bands) == SEXES)
                rows.append(
                    (a.id, guideline, number, low, low_in, high, high_in, specific, len(bands))
                )
    return Table("b12_groups", columns, rows)


BAND_COLUMNS = _cols(
    "analyte text, guideline text, age_group int, sex text, unit text, pos int, "
    "cut_low double, cut_low_in int, cut_low_paired int, cut_high double, cut_high_next int, "
    "flag text, label text, interpretation text, band_source text, band_low double, "
    "band_high double, below_flag text, below_label text, below_interpretation text, "
    "below_source text, below_low double, above_flag text, above_high double"
)


def _uniform(bands: tuple[Band, ...]) -> str | None:
    """The one flag of these bands, or None when they carry several."""
    flags = {band.flag for band in bands}
    return flags.pop() if len(flags) == 1 else None


def _scale_rows(
    a: Analyte, guideline: str, number: int, sex: str, unit: str, scale: Scale
) -> Iterator[tuple[Cell, ...]]:
    """One row per band of a scale: its cut points in ``unit``, then what a value in it
    reads as, exact, censored from above (``<``: bands 0 to this one) or from below."""
    cuts, inclusive, bands = scale.cuts, scale.upper_inclusive, scale.bands
    if any(later <= earlier for earlier, later in zip(cuts, cuts[1:], strict=False)):
        raise B12CheckError(
            f"{a.id} ({guideline}): the band edges in {unit} do not rise strictly, "
            "so the SQL cannot place values in them"
        )
    paired = a.guideline(guideline).paired_edges.get(unit, {})
    last = len(bands) - 1
    first = bands[0]
    for pos, band in enumerate(bands):
        below, above = bands[: pos + 1], bands[pos:]
        low_cut = cuts[pos - 1] if pos else None
        yield (
            (a.id, guideline, number, sex, unit, pos)
            + (low_cut, int(inclusive[pos - 1]) if pos else 0)
            + (int(pos > 0 and band.interval.low in paired),)
            + (cuts[pos] if pos < last else None, int(inclusive[pos]) if pos < last else 0)
            + (band.flag, band.label, band.interpretation, band.band_source)
            + (band.interval.low, band.interval.high)
            + (_uniform(below), first.label, first.interpretation, first.band_source)
            + (first.interval.low, _uniform(above), bands[last].interval.high)
        )


def _bands(reference: Reference) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for a in reference.analytes.values():
        for guideline in a.guidelines:
            for number, age in enumerate(age_groups(a, guideline)):
                bands = a.group_bands(guideline, age)
                if not bands:
                    continue
                for sex in _sexes(bands):
                    for unit in a.factors:
                        scale = a.group_scale(None if sex == ANY_SEX else sex, unit, guideline, age)
                        rows.extend(_scale_rows(a, guideline, number, sex, unit, scale))
    return Table("b12_bands", BAND_COLUMNS, rows)


def reference_tables(settings: Settings) -> list[Table]:
    """Every table the classifying view joins, for these settings (guidelines, units)."""
    reference = settings.reference
    return [
        _names(reference),
        _codes(reference),
        _units(reference),
        _factors(reference),
        _tests(reference, settings),
        _groups(reference),
        _bands(reference),
    ]
