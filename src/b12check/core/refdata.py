"""The reference data a run works with: analytes, units, bands and notes as plain objects.

Built from the compiled copy of the shipped data (``data/compiled.json``, validated ahead of
time by ``b12check.core.build``) so that an ordinary run never builds pydantic models. Overlay
files named by ``--ranges`` are validated when loaded (see ``b12check.core.overlays``).
"""

import json
import os
from bisect import bisect_left, bisect_right
from typing import Any, NamedTuple

from b12check.core.errors import ValueProblem
from b12check.core.names import loinc_code, name_key
from b12check.core.numbers import Interval, parse_interval, parse_plain_number
from b12check.core.units import UnitDef, build_spelling_index, derive_factor, unit_key

# Plain os.path rather than pathlib: pathlib (and what it imports) would add to every start-up.
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
COMPILED = os.path.join(DATA_DIR, "compiled.json")
CACHE_LIMIT = 4096


# Plain classes with __slots__ rather than dataclasses: this module loads on every run, and
# building dataclasses costs start-up time the spec's targets do not leave room for.


class Band(NamedTuple):
    flag: str
    label: str
    interpretation: str
    interval: Interval
    sex: str | None
    source: str
    age: Interval | None = None  # the ages (years) the band is for; None: any age
    origin: str | None = None  # the overlay file it came from; None: built in


class Scale:
    """Bands of one analyte for one sex, with cut points in one unit."""

    __slots__ = ("cuts", "upper_inclusive", "bands")

    def __init__(
        self, cuts: tuple[float, ...], upper_inclusive: tuple[bool, ...], bands: tuple[Band, ...]
    ) -> None:
        self.cuts = cuts
        self.upper_inclusive = upper_inclusive  # a value equal to cuts[i] is in bands[i + 1]
        self.bands = bands

    def index(self, value: float) -> int:
        i = bisect_left(self.cuts, value)
        if i < len(self.cuts) and self.cuts[i] == value and self.upper_inclusive[i]:
            i += 1
        return i

    def index_below(self, value: float) -> int:
        """Band of the values just below ``value``."""
        return bisect_left(self.cuts, value)

    def index_above(self, value: float) -> int:
        """Band of the values just above ``value``."""
        return bisect_right(self.cuts, value)


class UnitCheck(NamedTuple):
    unit: str
    suggest: str
    above: float | None
    below: float | None


class Note(NamedTuple):
    analyte: str
    flags: frozenset[str]
    kind: str
    text: str
    source: str
    source_type: str  # "article" or "reference"

    def applies(self, analyte: str, flag: str) -> bool:
        return self.analyte in ("*", analyte) and ("*" in self.flags or flag in self.flags)


class Pattern(NamedTuple):
    id: str
    title: str
    when: dict[str, frozenset[str]]
    absent: frozenset[str]
    text: str
    source: str
    source_type: str


class Companion(NamedTuple):
    """A test read only to derive another (UIBC, for TIBC); never flagged."""

    id: str
    name: str
    canonical_unit: str
    factors: dict[str, float]
    source: str


class Guideline(NamedTuple):
    """Another authority's bands for a test."""

    title: str
    bands: tuple[Band, ...]
    paired_edges: dict[str, dict[float, float]]


class Analyte:
    """One test: names, units and factors, plausibility and bands."""

    __slots__ = (
        "id",
        "name",
        "short_name",
        "measures",
        "aliases",
        "loinc",
        "canonical_unit",
        "conventional_unit",
        "si_unit",
        "factors",
        "fraction_as_percent",
        "plausible",
        "expected",
        "unit_checks",
        "bands",
        "paired_edges",
        "molar_mass",
        "valence",
        "default_guideline",
        "guidelines",
        "_scales",
        "_ageless",
    )

    def __init__(
        self,
        *,
        id: str,
        name: str,
        short_name: str,
        measures: str,
        aliases: tuple[str, ...],
        loinc: tuple[str, ...],
        canonical_unit: str,
        conventional_unit: str,
        si_unit: str,
        factors: dict[str, float],
        fraction_as_percent: bool,
        plausible: Interval,
        expected: Interval,
        unit_checks: tuple[UnitCheck, ...],
        bands: tuple[Band, ...],
        paired_edges: dict[str, dict[float, float]],
        molar_mass: float | None,
        valence: int | None,
        default_guideline: str = "default",
        guidelines: dict[str, "Guideline"] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.short_name = short_name
        self.measures = measures
        self.aliases = aliases
        self.loinc = loinc
        self.canonical_unit = canonical_unit
        self.conventional_unit = conventional_unit
        self.si_unit = si_unit
        self.factors = factors  # unit -> factor to the canonical unit
        self.fraction_as_percent = fraction_as_percent
        self.plausible = plausible
        self.expected = expected
        self.unit_checks = unit_checks
        self.bands = bands
        self.paired_edges = paired_edges
        self.molar_mass = molar_mass
        self.valence = valence
        self.default_guideline = default_guideline  # the name the default bands go by
        self.guidelines: dict[str, Guideline] = guidelines or {}
        self._scales: dict[tuple[str | None, str, str | None, Interval | None], Scale] = {}
        self._ageless: dict[str | None, tuple[Band, ...]] = {}

    def bands_of(self, guideline: str | None) -> tuple[Band, ...]:
        chosen = self.guidelines.get(guideline) if guideline else None
        return chosen.bands if chosen else self.bands

    def bands_for(self, guideline: str | None, age: float | None) -> tuple[Band, ...]:
        """The bands that apply at ``age``: those of a matching age group if the data has one,
        else those without an age (empty: no band covers this person)."""
        if age is not None:
            bands = self.bands_of(guideline)
            matching = tuple(b for b in bands if b.age is not None and b.age.contains(age))
            if matching:
                return matching
        ageless = self._ageless.get(guideline)
        if ageless is None:  # the same for every value read: worked out once
            ageless = tuple(b for b in self.bands_of(guideline) if b.age is None)
            self._ageless[guideline] = ageless
        return ageless

    def age_specific_in(self, guideline: str | None) -> bool:
        return any(band.age is not None for band in self.bands_of(guideline))

    def sex_specific_in(self, guideline: str | None, age: float | None = None) -> bool:
        return any(band.sex for band in self.bands_for(guideline, age))

    @property
    def sex_specific(self) -> bool:
        return self.sex_specific_in(None)

    @property
    def unit_needed(self) -> bool:
        """True when the accepted units differ by a factor, so a bare number is ambiguous."""
        return len(set(self.factors.values())) > 1

    def edge_in(self, unit: str, edge: float, guideline: str | None = None) -> float:
        chosen = self.guidelines.get(guideline) if guideline else None
        pairs = chosen.paired_edges if chosen else self.paired_edges
        paired = pairs.get(unit, {}).get(edge)
        if paired is not None:
            return paired
        return float(f"{edge / self.factors[unit]:.12g}")

    def scale(
        self, sex: str | None, unit: str, guideline: str | None = None, age: float | None = None
    ) -> Scale:
        """Cut points in ``unit`` for the bands that apply; an empty scale (no bands) when no
        band covers this age."""
        if guideline not in self.guidelines:
            guideline = None
        chosen = self.bands_for(guideline, age)
        group = chosen[0].age if chosen else None
        key = (sex, unit, guideline, group)
        cached = self._scales.get(key)
        if cached is None:
            cached = self._scales[key] = self._build_scale(sex, unit, guideline, chosen)
        return cached

    def _build_scale(
        self, sex: str | None, unit: str, guideline: str | None, chosen: tuple[Band, ...]
    ) -> Scale:
        bands = sorted(
            (band for band in chosen if band.sex in (None, sex)),
            key=lambda band: -1e308 if band.interval.low is None else band.interval.low,
        )
        cuts: list[float] = []
        upper: list[bool] = []
        for band in bands[1:]:
            low = band.interval.low
            assert low is not None  # validated: bands tile the line
            cuts.append(self.edge_in(unit, low, guideline))
            upper.append(band.interval.low_inclusive)
        return Scale(tuple(cuts), tuple(upper), tuple(bands))


class Reference:
    """Everything a run knows: analytes, unit spellings, refused codes, notes, patterns."""

    def __init__(
        self,
        *,
        analytes: dict[str, Analyte],
        refused_codes: dict[str, str],
        unit_index: dict[str, str],
        notes: tuple[Note, ...],
        patterns: tuple[Pattern, ...],
        origins: tuple[str, ...],
        headers: dict[str, Any] | None = None,
        companions: dict[str, Companion] | None = None,
        companion_names: dict[str, str] | None = None,
    ) -> None:
        self.analytes = analytes
        self.companions = companions or {}
        self.companion_names = companion_names or {}  # folded name or LOINC code -> id
        self.refused_codes = refused_codes
        self.unit_index = unit_index
        self.notes = notes
        self.patterns = patterns
        self.origins = origins
        self.headers = headers or {}  # column header aliases (scan)
        self.names: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        # Exports repeat the same few test names and units on every row: remember the answers
        # (bounded, so a file of endless distinct names cannot grow memory).
        self._lookup_cache: dict[str, Analyte | str | None] = {}
        self._unit_cache: dict[str, str | None] = {}
        for analyte in self.analytes.values():
            for name in (analyte.id, analyte.name, analyte.short_name, *analyte.aliases):
                self.names.setdefault(name_key(name), analyte.id)
            for code in analyte.loinc:
                self.codes[code] = analyte.id

    def lookup(self, text: str) -> Analyte | None:
        """The analyte for a name or LOINC code; None if unknown; ValueProblem if refused."""
        cached: Analyte | str | None
        if text in self._lookup_cache:
            cached = self._lookup_cache[text]
        else:
            try:
                cached = self._lookup(text)
            except ValueProblem as exc:
                cached = str(exc)  # a refused code: remember the reason
            if len(self._lookup_cache) < CACHE_LIMIT:
                self._lookup_cache[text] = cached
        if isinstance(cached, str):
            raise ValueProblem(cached)
        return cached

    def _lookup(self, text: str) -> Analyte | None:
        code = loinc_code(text)
        if code is not None:
            if code in self.refused_codes:
                raise ValueProblem(self.refused_codes[code])
            found = self.codes.get(code)
        else:
            found = self.names.get(name_key(text))
        return self.analytes[found] if found else None

    def guideline_names(self) -> set[str]:
        names = set()
        for analyte in self.analytes.values():
            names.add(analyte.default_guideline)
            names.update(analyte.guidelines)
        return names

    def companion(self, text: str) -> Companion | None:
        """The companion test (read, never flagged) named by ``text``, if any."""
        key = loinc_code(text) or name_key(text)
        found = self.companion_names.get(key)
        return self.companions[found] if found else None

    def find(self, text: str) -> Analyte:
        """The analyte named by an id, a name, an alias or a LOINC code; else a clear error."""
        analyte = self.lookup(text)
        if analyte is None:
            raise ValueProblem(f"unknown test {text!r}" + self.suggestions(text))
        return analyte

    def suggestions(self, text: str) -> str:
        import difflib  # only when a name is unknown

        by_key = {name_key(a.id): a.id for a in self.analytes.values()}
        for key, analyte_id in self.names.items():
            by_key.setdefault(key, analyte_id)
        close = difflib.get_close_matches(name_key(text), list(by_key), n=6, cutoff=0.6)
        ids = list(dict.fromkeys(by_key[key] for key in close))
        if not ids:
            return f"; known tests: {', '.join(self.analytes)}"
        return f"; did you mean {' or '.join(ids)}?"

    def unit_code(self, text: str) -> str | None:
        if text in self._unit_cache:
            return self._unit_cache[text]
        code = self.unit_index.get(unit_key(text))
        if len(self._unit_cache) < CACHE_LIMIT:
            self._unit_cache[text] = code
        return code


def _source(item: dict[str, Any]) -> tuple[str, str]:
    if item.get("section"):
        return str(item["section"]), "article"
    return str(item["reference"]), "reference"


def _band(raw: dict[str, Any]) -> Band:
    source = raw["source"]
    if raw.get("year") and str(raw["year"]) not in source:
        source = f"{source} ({raw['year']})"
    if raw.get("evidence"):
        source = f"{source} [{raw['evidence']}]"
    return Band(
        flag=raw["flag"],
        label=raw.get("label") or raw["flag"].replace("_", " "),
        interpretation=raw["interpretation"],
        interval=parse_interval(raw["range"]),
        sex=raw.get("sex"),
        source=source,
        age=parse_interval(raw["age"]) if raw.get("age") else None,
        origin=raw.get("origin"),
    )


def _analyte(analyte_id: str, raw: dict[str, Any], units: dict[str, UnitDef]) -> Analyte:
    canonical = units[raw["canonical_unit"]]
    factors = {
        unit: derive_factor(units[unit], canonical, raw.get("molar_mass"), raw.get("valence"))
        for unit in raw["units"]
    }
    paired = _paired(raw.get("paired_edges"))
    guidelines = {
        name: Guideline(
            g["title"], tuple(_band(band) for band in g["bands"]), _paired(g.get("paired_edges"))
        )
        for name, g in (raw.get("guidelines") or {}).items()
    }
    return Analyte(
        id=analyte_id,
        name=raw["name"],
        short_name=raw.get("short_name") or raw["name"],
        measures=raw["measures"],
        aliases=tuple(raw.get("aliases") or ()),
        loinc=tuple(raw.get("loinc") or ()),
        canonical_unit=raw["canonical_unit"],
        conventional_unit=raw["conventional_unit"],
        si_unit=raw["si_unit"],
        factors=factors,
        fraction_as_percent=bool(raw.get("fraction_as_percent")),
        plausible=parse_interval(raw["plausible"]),
        expected=parse_interval(raw["expected"]),
        unit_checks=tuple(
            UnitCheck(c["unit"], c["suggest"], c.get("above"), c.get("below"))
            for c in raw.get("unit_checks") or ()
        ),
        bands=tuple(_band(band) for band in raw["bands"]),
        paired_edges=paired,
        molar_mass=raw.get("molar_mass"),
        valence=raw.get("valence"),
        default_guideline=raw.get("default_guideline") or "default",
        guidelines=guidelines,
    )


def _paired(raw: dict[str, dict[str, float]] | None) -> dict[str, dict[float, float]]:
    return {
        unit: {parse_plain_number(edge): float(value) for edge, value in pairs.items()}
        for unit, pairs in (raw or {}).items()
    }


def build_reference(
    ranges: dict[str, Any],
    notes: dict[str, Any],
    origins: tuple[str, ...],
    headers: dict[str, Any] | None = None,
) -> Reference:
    """Turn validated ranges and notes data (plain dicts) into the run-time objects."""
    units = {code: UnitDef(u["kind"], float(u["scale"])) for code, u in ranges["units"].items()}
    analytes = {
        analyte_id: _analyte(analyte_id, raw, units)
        for analyte_id, raw in ranges["analytes"].items()
    }
    note_objects = []
    for raw in notes.get("notes", ()):
        source, source_type = _source(raw)
        note_objects.append(
            Note(
                raw["analyte"],
                frozenset(raw["flags"]),
                raw["kind"],
                raw["text"],
                source,
                source_type,
            )
        )
    patterns = []
    for raw in notes.get("patterns", ()):
        source, source_type = _source(raw)
        patterns.append(
            Pattern(
                id=raw["id"],
                title=raw["title"],
                when={k: frozenset(v) for k, v in raw["when"].items()},
                absent=frozenset(raw.get("absent") or ()),
                text=raw["text"],
                source=source,
                source_type=source_type,
            )
        )
    companions: dict[str, Companion] = {}
    companion_names: dict[str, str] = {}
    for companion_id, raw in (ranges.get("companions") or {}).items():
        canonical = units[raw["canonical_unit"]]
        factors = {
            unit: derive_factor(units[unit], canonical, raw.get("molar_mass"), raw.get("valence"))
            for unit in raw["units"]
        }
        companions[companion_id] = Companion(
            companion_id, raw["name"], raw["canonical_unit"], factors, raw["source"]
        )
        for name in (companion_id, raw["name"], *(raw.get("aliases") or ())):
            companion_names[name_key(name)] = companion_id
        for code in raw.get("loinc") or ():
            companion_names[code] = companion_id
    return Reference(
        companions=companions,
        companion_names=companion_names,
        analytes=analytes,
        refused_codes=dict(ranges.get("refused_codes") or {}),
        unit_index=build_spelling_index(units, ranges.get("unit_spellings") or {}),
        notes=tuple(note_objects),
        patterns=tuple(patterns),
        origins=origins,
        headers=headers,
    )


def load_compiled() -> dict[str, Any]:
    with open(COMPILED, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_reference(overlays: tuple[str, ...] = ()) -> Reference:
    """The shipped reference data, with any overlay files laid over it in order."""
    compiled = load_compiled()
    if not overlays:
        return build_reference(
            compiled["ranges"], compiled["notes"], ("built-in",), compiled["headers"]
        )
    from b12check.core.overlays import apply_overlays  # pydantic and yaml only when needed

    ranges = apply_overlays(compiled["ranges"], overlays)
    return build_reference(ranges, compiled["notes"], ("built-in", *overlays), compiled["headers"])
