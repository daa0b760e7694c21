"""Checks of a ranges file that span fields: units that convert, bands that tile the number
line for each sex and age group, paired edges that are band edges, names and codes used once.

Each check yields ``(location, message)`` problems; ``core/models.py`` runs them once pydantic
has accepted the file (``core/schema.py``).
"""

from collections.abc import Iterator

from b12check.core.names import name_key
from b12check.core.numbers import Interval, format_number, parse_plain_number
from b12check.core.schema import (
    AnalyteModel,
    BandModel,
    CompanionModel,
    Loc,
    Problem,
    RangesModel,
)
from b12check.core.units import NoFactor, UnitDef, UnusableFactor, derive_factor
from b12check.core.vocab import SEXES


def ranges_problems(model: RangesModel) -> list[Problem]:
    """Everything pydantic cannot see field by field: units, tiling, names."""
    problems: list[Problem] = []
    for code in model.unit_spellings.values():
        if code not in model.units:
            problems.append((("unit_spellings",), f"spelling maps to unknown unit {code!r}"))
    seen_names: dict[str, str] = {}
    seen_codes: dict[str, str] = {}
    for analyte_id, analyte in model.analytes.items():
        base: Loc = ("analytes", analyte_id)
        problems.extend(_band_problems(model, analyte, base))
        names = (analyte_id, analyte.name, analyte.short_name or analyte.name, *analyte.aliases)
        problems.extend(_name_problems(seen_names, analyte_id, names, base))
        for index, code in enumerate(analyte.loinc):
            owner = seen_codes.setdefault(code, analyte_id)
            if owner != analyte_id:
                problems.append(
                    ((*base, "loinc", index), f"LOINC {code} is also used by {owner!r}")
                )
            if code in model.refused_codes:
                problems.append(((*base, "loinc", index), f"LOINC {code} is listed as refused"))
    for companion_id, companion in model.companions.items():
        base = ("companions", companion_id)
        problems.extend(_companion_unit_problems(model, companion, base))
        names = (companion_id, companion.name, *companion.aliases)
        problems.extend(_name_problems(seen_names, companion_id, names, base))
        for index, code in enumerate(companion.loinc):
            if seen_codes.setdefault(code, companion_id) != companion_id:
                problems.append(((*base, "loinc", index), f"LOINC {code} is used twice"))
    return problems


def _band_problems(model: RangesModel, analyte: AnalyteModel, base: Loc) -> Iterator[Problem]:
    """A test's units, and the bands of its default and other guidelines."""
    yield from _unit_problems(model, analyte, base)
    yield from _tiling_problems(analyte.bands, base)
    yield from _paired_edge_problems(analyte.bands, analyte.paired_edges, analyte.units, base)
    for name, guideline in analyte.guidelines.items():
        where: Loc = (*base, "guidelines", name)
        if name == analyte.default_guideline:
            yield where, f"{name!r} is already the name of the default bands"
        yield from _tiling_problems(guideline.bands, where)
        yield from _paired_edge_problems(
            guideline.bands, guideline.paired_edges, analyte.units, where
        )


def _name_problems(
    seen: dict[str, str], owner_id: str, names: tuple[str, ...], base: Loc
) -> Iterator[Problem]:
    """Names (folded) another test already goes by; ``seen`` records who uses each."""
    for name in names:
        key = name_key(name)
        if not key:  # it would match nothing, or (folded carelessly) everything
            yield (*base, "aliases"), f"name {name!r} has no letter or digit"
            continue
        owner = seen.setdefault(key, owner_id)
        if owner != owner_id:
            yield (*base, "aliases"), f"name {name!r} is also used by {owner!r}"


def _companion_unit_problems(
    model: RangesModel, companion: CompanionModel, base: Loc
) -> Iterator[Problem]:
    if companion.canonical_unit not in companion.units:
        yield (*base, "canonical_unit"), "not one of this test's units"
    yield from _factor_problems(model, companion, base)


def _factor_problems(
    model: RangesModel, test: AnalyteModel | CompanionModel, base: Loc
) -> Iterator[Problem]:
    """A problem for each unit of ``test`` (an analyte or a companion) that has no factor."""
    for index, unit in enumerate(test.units):
        problem = _factor_problem(
            model,
            (*base, "units", index),
            unit,
            test.canonical_unit,
            test.molar_mass,
            test.valence,
        )
        if problem:
            yield problem


def _factor_problem(
    model: RangesModel,
    where: Loc,
    unit: str,
    canonical_unit: str,
    molar_mass: float | None,
    valence: int | None,
) -> Problem | None:
    """Why ``unit`` (listed at ``where``) cannot be converted to ``canonical_unit``, or None
    when it can. A factor that overflows or vanishes is reported at the unit's scale."""
    definition = model.units.get(unit)
    if definition is None:
        return where, f"unknown unit {unit!r}; add it to the units table"
    canonical = model.units.get(canonical_unit)
    if canonical is None:
        return None  # reported once, as the canonical unit's own problem
    try:
        derive_factor(
            UnitDef(definition.kind, definition.scale),
            UnitDef(canonical.kind, canonical.scale),
            molar_mass,
            valence,
        )
    except UnusableFactor as exc:
        return ("units", unit, "scale"), f"unit {unit!r} (for {canonical_unit!r}): {exc}"
    except NoFactor as exc:
        return where, f"unit {unit!r} has no factor: {exc}"
    return None


def _unit_problems(model: RangesModel, analyte: AnalyteModel, base: Loc) -> Iterator[Problem]:
    for field in ("canonical_unit", "conventional_unit", "si_unit"):
        unit = getattr(analyte, field)
        if unit not in analyte.units:
            yield (*base, field), f"{unit!r} is not one of this analyte's units"
    yield from _factor_problems(model, analyte, base)
    for index, check in enumerate(analyte.unit_checks):
        for field in ("unit", "suggest"):
            if getattr(check, field) not in analyte.units:
                yield (*base, "unit_checks", index, field), "not one of this analyte's units"


def _tiling_problems(bands: list[BandModel], base: Loc) -> Iterator[Problem]:
    """Bands must tile the line for each sex, separately for each age group: the bands
    without an age, and the bands of each ``age`` interval (which must not overlap)."""
    groups: dict[Interval | None, list[tuple[int, BandModel]]] = {}
    for index, band in enumerate(bands):
        groups.setdefault(band.ages, []).append((index, band))
    ordered = sorted((age for age in groups if age is not None), key=_sort_key)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first.high is None or second.low is None or _overlaps(first, second):
            index = groups[second][0][0]
            yield (*base, "bands", index, "age"), f"age {second} overlaps age {first}"
    reported: set[str] = set()
    for age, members in groups.items():
        sexes: tuple[str | None, ...] = SEXES if any(b.sex for _, b in members) else (None,)
        for sex in sexes:
            indexed = [(index, band) for index, band in members if band.sex in (None, sex)]
            indexed.sort(key=lambda item: _sort_key(item[1].interval))
            who = (f" for {sex}s" if sex else "") + (f" aged {age}" if age else "")
            for problem in _walk_bands(indexed, who):
                loc, message = problem
                if message not in reported:
                    reported.add(message)
                    yield (*base, "bands", *loc), message


def _overlaps(first: Interval, second: Interval) -> bool:
    """Do two age intervals, ``first`` starting no later than ``second``, share an age?"""
    assert first.high is not None and second.low is not None
    if second.low < first.high:
        return True
    return second.low == first.high and first.high_inclusive and second.low_inclusive


def _sort_key(interval: Interval) -> tuple[float, bool]:
    low = float("-inf") if interval.low is None else interval.low
    return (low, not interval.low_inclusive)


def _walk_bands(indexed: list[tuple[int, BandModel]], who: str) -> Iterator[tuple[Loc, str]]:
    if not indexed:
        yield (), f"no bands{who}"
        return
    first_index, first = indexed[0]
    if first.interval.low is not None:
        yield (first_index, "range"), f"nothing covers values below {first.range}{who}"
    for (_, before), (index, after) in zip(indexed, indexed[1:], strict=False):
        edge, start = before.interval, after.interval
        if edge.high is None or start.low is None or start.low < edge.high:
            yield (index, "range"), f"band {after.range} overlaps band {before.range}{who}"
        elif start.low > edge.high:
            gap = f"{format_number(edge.high)} to {format_number(start.low)}"
            yield (index, "range"), f"gap{who}: nothing covers {gap}"
        elif edge.high_inclusive == start.low_inclusive:
            share = "both include" if edge.high_inclusive else "neither includes"
            yield (
                (index, "range"),
                (
                    f"bands {before.range} and {after.range} {share} the edge "
                    f"{format_number(start.low)}{who}"
                ),
            )
    last_index, last = indexed[-1]
    if last.interval.high is not None:
        yield (last_index, "range"), f"nothing covers values above {last.range}{who}"


def _paired_edge_problems(
    bands: list[BandModel],
    paired_edges: dict[str, dict[str, float]],
    units: list[str],
    base: Loc,
) -> Iterator[Problem]:
    edges = {
        edge
        for band in bands
        for edge in (band.interval.low, band.interval.high)
        if edge is not None
    }
    for unit, pairs in paired_edges.items():
        if unit not in units:
            yield (*base, "paired_edges", unit), f"{unit!r} is not one of this analyte's units"
        for key in pairs:
            try:
                edge = parse_plain_number(key)
            except ValueError as exc:
                yield (*base, "paired_edges", unit, key), str(exc)
                continue
            if edge not in edges:
                yield (*base, "paired_edges", unit, key), f"{key} is not an edge of any band"
