"""pydantic models for the ranges and notes files, and the checks that span fields.

Only loaded when a file has to be validated (compiling the shipped data, ``--ranges`` overlays,
``ranges validate``): building pydantic models costs more start-up than a run may spend.
"""

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from b12check.core.names import loinc_code, name_key
from b12check.core.numbers import Interval, format_number, parse_interval, parse_plain_number
from b12check.core.units import NoFactor, UnitDef, UnusableFactor, derive_factor
from b12check.core.vocab import ALL_FLAGS, BAND_FLAGS, HEADER_ROLES, INTERPRETATIONS, SEXES

Loc = tuple[int | str, ...]
Problem = tuple[Loc, str]

NonEmpty = Annotated[str, Field(min_length=1, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class UnitModel(_Strict):
    kind: Literal["mass", "substance", "charge", "fraction"]
    scale: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class BandModel(_Strict):
    range: str
    flag: Literal[BAND_FLAGS]  # type: ignore[valid-type]
    interpretation: Literal[INTERPRETATIONS]  # type: ignore[valid-type]
    label: NonEmpty | None = None
    sex: Literal[SEXES] | None = None  # type: ignore[valid-type]
    source: NonEmpty
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    evidence: Literal["V", "S", "M", "D", "C"] | None = None
    age: str | None = None  # years, e.g. "[0, 18)": the band applies at those ages only
    origin: NonEmpty | None = None  # the overlay file the band came from (set when merging)

    @field_validator("range", "age")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value

    @property
    def interval(self) -> Interval:
        return parse_interval(self.range)

    @property
    def ages(self) -> Interval | None:
        return None if self.age is None else parse_interval(self.age)


class UnitCheckModel(_Strict):
    unit: NonEmpty
    suggest: NonEmpty
    above: Annotated[float, Field(allow_inf_nan=False)] | None = None
    below: Annotated[float, Field(allow_inf_nan=False)] | None = None


class GuidelineModel(_Strict):
    """Another authority's bands for the same test, chosen with --guideline."""

    title: NonEmpty
    bands: Annotated[list[BandModel], Field(min_length=1)]
    paired_edges: dict[str, dict[str, Annotated[float, Field(allow_inf_nan=False)]]] = {}


class AnalyteModel(_Strict):
    name: NonEmpty
    short_name: Annotated[str, Field(min_length=1, max_length=24)] | None = None
    measures: NonEmpty
    aliases: list[NonEmpty] = []
    loinc: list[NonEmpty] = []
    canonical_unit: NonEmpty
    conventional_unit: NonEmpty
    si_unit: NonEmpty
    units: Annotated[list[NonEmpty], Field(min_length=1)]
    molar_mass: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    valence: Annotated[int, Field(ge=1, le=8)] | None = None
    molar_mass_source: NonEmpty | None = None
    fraction_as_percent: bool = False
    paired_edges: dict[str, dict[str, Annotated[float, Field(allow_inf_nan=False)]]] = {}
    plausible: str
    expected: str
    unit_checks: list[UnitCheckModel] = []
    bands: Annotated[list[BandModel], Field(min_length=1)]
    default_guideline: NonEmpty | None = None  # the name the default bands go by
    guidelines: dict[NonEmpty, GuidelineModel] = {}

    @field_validator("plausible", "expected")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_interval(value)
        return value

    @field_validator("loinc")
    @classmethod
    def _loinc(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if loinc_code(code) != code:
                raise ValueError(f"{code!r} is not a LOINC code like '2132-9'")
        return codes


class CompanionModel(_Strict):
    """A test read only to derive another (UIBC for TIBC): no bands, never flagged."""

    name: NonEmpty
    aliases: list[NonEmpty] = []
    loinc: list[NonEmpty] = []
    canonical_unit: NonEmpty
    units: Annotated[list[NonEmpty], Field(min_length=1)]
    molar_mass: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    valence: Annotated[int, Field(ge=1, le=8)] | None = None
    source: NonEmpty


class RangesModel(_Strict):
    version: Literal[1]
    units: dict[NonEmpty, UnitModel]
    unit_spellings: dict[NonEmpty, NonEmpty] = {}
    refused_codes: dict[NonEmpty, NonEmpty] = {}
    analytes: dict[NonEmpty, AnalyteModel]
    companions: dict[NonEmpty, CompanionModel] = {}


class NoteModel(_Strict):
    analyte: NonEmpty
    flags: Annotated[list[NonEmpty], Field(min_length=1)]
    kind: Literal["about", "finding", "follow_up", "pitfall"]
    text: Annotated[str, Field(min_length=1, max_length=300)]
    section: NonEmpty | None = None
    reference: NonEmpty | None = None


class PatternModel(_Strict):
    id: NonEmpty
    title: NonEmpty
    when: Annotated[dict[NonEmpty, list[NonEmpty]], Field(min_length=1)]
    absent: list[NonEmpty] = []
    text: Annotated[str, Field(min_length=1, max_length=400)]
    section: NonEmpty | None = None
    reference: NonEmpty | None = None


class NotesModel(_Strict):
    version: Literal[1]
    notes: list[NoteModel]
    patterns: list[PatternModel] = []


class HeadersModel(_Strict):
    version: Literal[1]
    roles: dict[Literal[HEADER_ROLES], list[NonEmpty]]  # type: ignore[valid-type]
    non_results: dict[NonEmpty, NonEmpty] = {}


def headers_problems(model: HeadersModel) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for role, names in model.roles.items():
        for index, name in enumerate(names):
            key = name_key(name)
            if owner.setdefault(key, role) != role:
                problems.append((("roles", role, index), f"{name!r} is also a {owner[key]} header"))
    return problems


def validate_headers(data: Any) -> tuple[HeadersModel | None, list[Problem]]:
    model, problems = _validate(HeadersModel, data)
    if model is None:
        return None, problems
    problems = headers_problems(model)
    return (None if problems else model), problems


def pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        elif error["type"] == "missing":
            message = f"missing field {loc[-1]!r}"
        elif loc and isinstance(loc[-1], str):
            message = f"{loc[-1]}: {message}"
        problems.append((loc, message))
    return problems


# ---------------------------------------------------------------- checks across fields


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
        problems.extend(_unit_problems(model, analyte, base))
        problems.extend(_tiling_problems(analyte.bands, base))
        problems.extend(
            _paired_edge_problems(analyte.bands, analyte.paired_edges, analyte.units, base)
        )
        for name, guideline in analyte.guidelines.items():
            where: Loc = (*base, "guidelines", name)
            if name == analyte.default_guideline:
                problems.append((where, f"{name!r} is already the name of the default bands"))
            problems.extend(_tiling_problems(guideline.bands, where))
            problems.extend(
                _paired_edge_problems(guideline.bands, guideline.paired_edges, analyte.units, where)
            )
        names = (analyte_id, analyte.name, analyte.short_name or analyte.name, *analyte.aliases)
        for name in names:
            key = name_key(name)
            owner = seen_names.setdefault(key, analyte_id)
            if owner != analyte_id:
                problems.append(((*base, "aliases"), f"name {name!r} is also used by {owner!r}"))
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
        if companion.canonical_unit not in companion.units:
            problems.append(((*base, "canonical_unit"), "not one of this test's units"))
        for index, unit in enumerate(companion.units):
            problem = _factor_problem(
                model,
                (*base, "units", index),
                unit,
                companion.canonical_unit,
                companion.molar_mass,
                companion.valence,
            )
            if problem:
                problems.append(problem)
        for name in (companion_id, companion.name, *companion.aliases):
            owner = seen_names.setdefault(name_key(name), companion_id)
            if owner != companion_id:
                problems.append(((*base, "aliases"), f"name {name!r} is also used by {owner!r}"))
        for index, code in enumerate(companion.loinc):
            if seen_codes.setdefault(code, companion_id) != companion_id:
                problems.append(((*base, "loinc", index), f"LOINC {code} is used twice"))
    return problems


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
    for index, unit in enumerate(analyte.units):
        problem = _factor_problem(
            model,
            (*base, "units", index),
            unit,
            analyte.canonical_unit,
            analyte.molar_mass,
            analyte.valence,
        )
        if problem:
            yield problem
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


def notes_problems(notes: NotesModel, ranges: RangesModel) -> list[Problem]:
    """Notes must name known analytes and flags, and cite exactly one source."""
    problems: list[Problem] = []
    flags_of = {
        analyte_id: {band.flag for band in analyte.bands} | {"unclassified"}
        for analyte_id, analyte in ranges.analytes.items()
    }
    every_flag = set(ALL_FLAGS)
    for index, note in enumerate(notes.notes):
        loc: Loc = ("notes", index)
        if (note.section is None) == (note.reference is None):
            problems.append((loc, "give exactly one of 'section' or 'reference'"))
        if note.analyte != "*" and note.analyte not in flags_of:
            problems.append(((*loc, "analyte"), f"unknown analyte {note.analyte!r}"))
            continue
        allowed = every_flag if note.analyte == "*" else flags_of[note.analyte]
        for flag in note.flags:
            if flag != "*" and flag not in allowed:
                problems.append(((*loc, "flags"), f"{note.analyte} has no flag {flag!r}"))
    ids: set[str] = set()
    for index, pattern in enumerate(notes.patterns):
        loc = ("patterns", index)
        if pattern.id in ids:
            problems.append(((*loc, "id"), f"duplicate pattern id {pattern.id!r}"))
        ids.add(pattern.id)
        if (pattern.section is None) == (pattern.reference is None):
            problems.append((loc, "give exactly one of 'section' or 'reference'"))
        for analyte_id, flags in pattern.when.items():
            if analyte_id not in flags_of:
                problems.append(((*loc, "when", analyte_id), f"unknown analyte {analyte_id!r}"))
                continue
            for flag in flags:
                if flag not in flags_of[analyte_id]:
                    problems.append(((*loc, "when", analyte_id), f"no flag {flag!r}"))
        for analyte_id in pattern.absent:
            if analyte_id not in flags_of:
                problems.append(((*loc, "absent"), f"unknown analyte {analyte_id!r}"))
    return problems


def _validate(model_type: type[_Strict], data: Any) -> tuple[Any, list[Problem]]:
    try:
        return model_type.model_validate(data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc)


def validate_ranges(data: Any) -> tuple[RangesModel | None, list[Problem]]:
    model, problems = _validate(RangesModel, data)
    if model is None:
        return None, problems
    problems = ranges_problems(model)
    return (None if problems else model), problems


def validate_notes(data: Any, ranges: RangesModel) -> tuple[NotesModel | None, list[Problem]]:
    model, problems = _validate(NotesModel, data)
    if model is None:
        return None, problems
    problems = notes_problems(model, ranges)
    return (None if problems else model), problems
