"""The reference data a run works with, built from the compiled copy of the shipped data.

``load_reference()`` turns ``data/compiled.json`` (validated ahead of time by
``b12check.core.build``) into plain objects, so an ordinary run never builds pydantic models.
Overlay files named by ``--ranges`` are validated when loaded (see ``b12check.core.overlays``).

Where things live: bands, scales and guidelines in ``core/bands.py``; one test in
``core/analyte.py``; notes and patterns in ``core/notes_data.py``; the whole (and finding a test
or unit by name) in ``core/reference.py``. Their names are importable from here too.
"""

import json
import os
from collections.abc import Callable
from typing import Any

from b12check.core.analyte import Analyte, Companion, UnitCheck
from b12check.core.bands import DEFAULT_TITLE, Band, Guideline, Scale, joined_source
from b12check.core.names import name_key
from b12check.core.notes_data import BandEdges, Note, Pattern
from b12check.core.numbers import Interval, parse_interval, parse_plain_number
from b12check.core.reference import CACHE_LIMIT, Reference
from b12check.core.units import UnitDef, build_spelling_index, derive_factor

__all__ = [
    "CACHE_LIMIT",
    "COMPILED",
    "DATA_DIR",
    "DEFAULT_TITLE",
    "Analyte",
    "Band",
    "Companion",
    "Guideline",
    "Interval",
    "Note",
    "Pattern",
    "Reference",
    "Scale",
    "UnitCheck",
    "UnitDef",
    "build_reference",
    "clear_loaded",
    "joined_source",
    "load_compiled",
    "load_reference",
]

# Plain os.path rather than pathlib: pathlib (and what it imports) would add to every start-up.
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
COMPILED = os.path.join(DATA_DIR, "compiled.json")


def _source(item: dict[str, Any]) -> tuple[str, str]:
    if item.get("section"):
        return str(item["section"]), "article"
    return str(item["reference"]), "reference"


def _band(raw: dict[str, Any]) -> Band:
    return Band(
        flag=raw["flag"],
        label=raw.get("label") or raw["flag"].replace("_", " "),
        interpretation=raw["interpretation"],
        interval=parse_interval(raw["range"]),
        sex=raw.get("sex"),
        source_name=raw["source"],
        age=parse_interval(raw["age"]) if raw.get("age") else None,
        origin=raw.get("origin"),
        year=raw.get("year"),
        evidence=raw.get("evidence"),
    )


def _guidelines(raw: dict[str, Any]) -> dict[str, Guideline]:
    """The test's guidelines by name: the default bands first (under ``default_guideline``,
    "default" when the data names none), then the others in the order the data gives."""
    default = raw.get("default_guideline") or "default"
    guidelines = {
        default: Guideline(
            DEFAULT_TITLE,
            tuple(_band(band) for band in raw["bands"]),
            _paired(raw.get("paired_edges")),
            default,
            default=True,
        )
    }
    for name, other in (raw.get("guidelines") or {}).items():
        guidelines[name] = Guideline(
            other["title"],
            tuple(_band(band) for band in other["bands"]),
            _paired(other.get("paired_edges")),
            name,
        )
    return guidelines


def _factors(raw: dict[str, Any], units: dict[str, UnitDef]) -> dict[str, float]:
    """Each of a test's units -> the factor that turns it into the test's canonical unit."""
    canonical = units[raw["canonical_unit"]]
    return {
        unit: derive_factor(units[unit], canonical, raw.get("molar_mass"), raw.get("valence"))
        for unit in raw["units"]
    }


def _analyte(analyte_id: str, raw: dict[str, Any], units: dict[str, UnitDef]) -> Analyte:
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
        factors=_factors(raw, units),
        fraction_as_percent=bool(raw.get("fraction_as_percent")),
        plausible=parse_interval(raw["plausible"]),
        expected=parse_interval(raw["expected"]),
        unit_checks=tuple(
            UnitCheck(c["unit"], c["suggest"], c.get("above"), c.get("below"))
            for c in raw.get("unit_checks") or ()
        ),
        guidelines=_guidelines(raw),
        molar_mass=raw.get("molar_mass"),
        valence=raw.get("valence"),
    )


def _paired(raw: dict[str, dict[str, float]] | None) -> dict[str, dict[float, float]]:
    return {
        unit: {parse_plain_number(edge): float(value) for edge, value in pairs.items()}
        for unit, pairs in (raw or {}).items()
    }


def _edges(text: str) -> BandEdges:
    interval = parse_interval(text)
    return interval.low, interval.high


def _described(
    raw: dict[str, Any],
    listing: list[dict[str, Any]],
    edges_of: Callable[[str], BandEdges],
) -> frozenset[BandEdges]:
    """For a note with ``bands: other``: the bands described by the notes of its test and kind
    that share one of its flags (``listing``: the notes of its test and kind that list bands)."""
    flags = set(raw["flags"])
    return frozenset(
        edges_of(text)
        for note in listing
        if "*" in flags or "*" in note["flags"] or flags & set(note["flags"])
        for text in note["bands"]
    )


def _notes(notes: dict[str, Any]) -> tuple[tuple[Note, ...], tuple[Pattern, ...]]:
    note_objects = []
    every = list(notes.get("notes", ()))
    # (built on every run: the notes that list bands by test and kind, and each band's text
    # read once, rather than every note scanned for each ``bands: other``)
    listing: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for note in every:
        if isinstance(note.get("bands"), list):
            listing.setdefault((note["analyte"], note["kind"]), []).append(note)
    read: dict[str, BandEdges] = {}

    def edges_of(text: str) -> BandEdges:
        known = read.get(text)
        if known is None:
            known = read[text] = _edges(text)
        return known

    for raw in every:
        source, source_type = _source(raw)
        bands = raw.get("bands")
        other = bands == "other"
        if other:
            same = listing.get((raw["analyte"], raw["kind"]), [])
            edges: frozenset[BandEdges] | None = _described(raw, same, edges_of)
        else:
            edges = None if bands is None else frozenset(edges_of(text) for text in bands)
        note_objects.append(
            Note(
                raw["analyte"],
                frozenset(raw["flags"]),
                raw["kind"],
                raw["text"],
                source,
                source_type,
                edges,
                other,
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
    return tuple(note_objects), tuple(patterns)


def _companions(
    ranges: dict[str, Any], units: dict[str, UnitDef]
) -> tuple[dict[str, Companion], dict[str, str]]:
    """The companion tests by id, and their folded names and LOINC codes -> id."""
    companions: dict[str, Companion] = {}
    names: dict[str, str] = {}
    for companion_id, raw in (ranges.get("companions") or {}).items():
        companions[companion_id] = Companion(
            companion_id, raw["name"], raw["canonical_unit"], _factors(raw, units), raw["source"]
        )
        for name in (companion_id, raw["name"], *(raw.get("aliases") or ())):
            names[name_key(name)] = companion_id
        for code in raw.get("loinc") or ():
            names[code] = companion_id
    return companions, names


def build_reference(
    ranges: dict[str, Any],
    notes: dict[str, Any],
    origins: tuple[str, ...],
    headers: dict[str, Any] | None = None,
    names: dict[str, Any] | None = None,
) -> Reference:
    """Turn validated ranges and notes data (plain dicts) into the run-time objects."""
    units = {code: UnitDef(u["kind"], float(u["scale"])) for code, u in ranges["units"].items()}
    analytes = {
        analyte_id: _analyte(analyte_id, raw, units)
        for analyte_id, raw in ranges["analytes"].items()
    }
    note_objects, patterns = _notes(notes)
    companions, companion_names = _companions(ranges, units)
    return Reference(
        companions=companions,
        companion_names=companion_names,
        analytes=analytes,
        refused_codes=dict(ranges.get("refused_codes") or {}),
        unit_index=build_spelling_index(units, ranges.get("unit_spellings") or {}),
        units=units,
        notes=note_objects,
        patterns=patterns,
        origins=origins,
        headers=headers,
        name_rules=names,
    )


# ------------------------------------------------------------------ loading, once per process

# The compiled data is read and parsed at most once per process, and the reference built from
# it alone is built once and shared: ``load_reference()`` called again returns the same object.
# Overlay files are read, validated and merged on every call that names them. Their contents
# may change between calls, and a cache keyed by a file's size and modification time could miss
# a rewrite of the same size within the file system's timestamp granularity (often a few
# milliseconds), so only the parsed built-in data is shared with them.
_loaded: dict[str, Any] = {}


def clear_loaded() -> None:
    """Forget the parsed compiled data and the built-in reference (the next load reads the
    file again): for tests, and for a process that has just rewritten ``compiled.json``."""
    _loaded.clear()


def load_compiled() -> dict[str, Any]:
    """The parsed ``compiled.json``, shared by every caller in the process: do not change it
    (``overlays.merge`` works on a deep copy)."""
    data: dict[str, Any] | None = _loaded.get("compiled")
    if data is None:
        with open(COMPILED, encoding="utf-8") as handle:
            data = json.load(handle)
        assert isinstance(data, dict)
        _loaded["compiled"] = data
    return data


def load_reference(overlays: tuple[str, ...] = ()) -> Reference:
    """The shipped reference data, with any overlay files laid over it in order.

    Without overlays the same object is returned on every call; with overlays a new one is
    built each time from the files as they are now (see the comment above ``clear_loaded``).
    """
    compiled = load_compiled()
    if not overlays:
        built_in: Reference | None = _loaded.get("reference")
        if built_in is None:
            built_in = build_reference(
                compiled["ranges"],
                compiled["notes"],
                ("built-in",),
                compiled["headers"],
                compiled.get("names"),
            )
            _loaded["reference"] = built_in
        return built_in
    ranges = effective_ranges(overlays)
    return build_reference(
        ranges,
        compiled["notes"],
        ("built-in", *overlays),
        compiled["headers"],
        compiled.get("names"),
    )


def effective_ranges(overlays: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ranges data in force, in the shape of a ranges file: the shipped data with any
    overlay files laid over it in order (validated). Do not change it (see load_compiled)."""
    compiled = load_compiled()
    if not overlays:
        ranges: dict[str, Any] = compiled["ranges"]
        return ranges
    from b12check.core.overlays import apply_overlays  # pydantic and yaml only when needed

    return apply_overlays(compiled["ranges"], overlays)
