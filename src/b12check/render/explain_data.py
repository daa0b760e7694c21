"""What ``b12check explain ANALYTE`` says about a test, whatever the format.

``explain_data`` gathers the facts (what the test measures, its names, units, bands, notes and
patterns) as a plain JSON-able dict, read from the loaded ``Reference`` alone (unit kinds
included, so no data file is read again). The wording helpers below turn parts of that dict
into the sentences both people's formats print (``explain.py``, ``explain_markdown.py``).
"""

from typing import Any

from b12check.core.numbers import format_number
from b12check.core.refdata import Analyte, Note, Pattern, Reference
from b12check.core.vocab import ALL_FLAGS, DISCLAIMER, NoteKind
from b12check.render.ranges_view import band_data, find_analyte

# The kinds of note written in notes.yaml, in explain's reading order (the test first, then what
# its flags mean); a result's own notes follow ``NoteKind.order`` instead.
NOTE_KINDS = (NoteKind.ABOUT, NoteKind.FINDING, NoteKind.FOLLOW_UP, NoteKind.PITFALL)
KIND_HEADINGS = {
    NoteKind.ABOUT: "About this test",
    NoteKind.FINDING: "What each flag means",
    NoteKind.FOLLOW_UP: "Questions to discuss with a clinician",
    NoteKind.PITFALL: "Testing pitfalls",
}
_QUANTITY = {
    "mass": "mass",
    "substance": "amount of substance",
    "charge": "charge",
    "fraction": "fraction",
}
ARTICLE_CAVEAT = (
    "Notes citing an article section draw on one largely anecdotal article about "
    "fibromyalgia and B12; notes citing a reference draw on laboratory and guideline sources."
)
SPANS = (
    ("plausible", "Plausible", "outside it a value is refused as a likely typo or wrong unit"),
    ("expected", "Expected", "outside it a value is classified, with a warning"),
)


# ------------------------------------------------------------------ data


def _derivation(analyte: Analyte, unit: str, reference: Reference) -> str:
    canonical = analyte.canonical_unit
    if unit == canonical:
        return "canonical unit"
    kind, canonical_kind = reference.unit_kind(unit), reference.unit_kind(canonical)
    if kind is None or canonical_kind is None:
        return "derived from the units table"
    if kind == canonical_kind:
        return f"same kind ({_QUANTITY.get(kind, kind)}): ratio of the unit scales"
    steps = []
    for side in (kind, canonical_kind):
        if side == "mass" and analyte.molar_mass is not None:
            steps.append(f"molar mass {format_number(analyte.molar_mass)} g/mol")
        elif side == "charge" and analyte.valence is not None:
            steps.append(f"valence {analyte.valence} eq/mol")
    return (
        f"{_QUANTITY.get(kind, kind)} to {_QUANTITY.get(canonical_kind, canonical_kind)} "
        f"via {' and '.join(steps) or 'amount of substance'}"
    )


def _units(analyte: Analyte, reference: Reference) -> list[dict[str, Any]]:
    roles = {
        "canonical": analyte.canonical_unit,
        "conventional": analyte.conventional_unit,
        "si": analyte.si_unit,
    }
    return [
        {
            "unit": unit,
            "factor": factor,
            "roles": [role for role, named in roles.items() if named == unit],
            "derivation": _derivation(analyte, unit, reference),
        }
        for unit, factor in analyte.factors.items()
    ]


def _flags(flags: frozenset[str]) -> list[str]:
    if "*" in flags:
        return ["*"]
    order = {flag: index for index, flag in enumerate(ALL_FLAGS)}
    return sorted(flags, key=lambda flag: (order.get(flag, len(order)), flag))


def _edges_text(edges: tuple[float | None, float | None]) -> str:
    low, high = edges
    if low is None:
        return f"< {format_number(high or 0)}"
    if high is None:
        return f"> {format_number(low)}"
    return f"{format_number(low)}–{format_number(high)}"


def _note_bands(note: Note) -> list[str] | str | None:
    """The bands a note goes on (notes.yaml ``bands``): None for any band, "other" for bands
    no other note of its kind describes, else each band's edges ('< 180', '180–350')."""
    if note.bands is None:
        return None
    if note.other:
        return "other"
    ordered = sorted(note.bands, key=lambda e: (e[0] is not None, e[0] or 0.0, e[1] or 0.0))
    return [_edges_text(edges) for edges in ordered]


def _note(note: Note) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": note.text,
        "flags": _flags(note.flags),
        "source": note.source,
        "source_type": note.source_type,
    }
    bands = _note_bands(note)
    if bands is not None:
        data["bands"] = bands
    return data


def _pattern(pattern: Pattern) -> dict[str, Any]:
    return {
        "id": pattern.id,
        "title": pattern.title,
        "when": {analyte: _flags(flags) for analyte, flags in pattern.when.items()},
        "absent": sorted(pattern.absent),
        "text": pattern.text,
        "source": pattern.source,
        "source_type": pattern.source_type,
    }


def explain_data(reference: Reference, analyte_id: str) -> dict[str, Any]:
    """Everything b12check knows about one test, as a plain JSON-able dict."""
    analyte = find_analyte(reference, analyte_id)
    default = analyte.guideline()
    notes: dict[str, list[dict[str, Any]]] = {kind: [] for kind in NOTE_KINDS}
    for note in reference.notes:
        if note.analyte in ("*", analyte.id):
            notes.setdefault(note.kind, []).append(_note(note))
    patterns = [
        _pattern(pattern)
        for pattern in reference.patterns
        if analyte.id in pattern.when or analyte.id in pattern.absent
    ]
    return {
        "id": analyte.id,
        "name": analyte.name,
        "short_name": analyte.short_name,
        "measures": analyte.measures,
        "aliases": list(analyte.aliases),
        "loinc": list(analyte.loinc),
        "canonical_unit": analyte.canonical_unit,
        "conventional_unit": analyte.conventional_unit,
        "si_unit": analyte.si_unit,
        "molar_mass": analyte.molar_mass,
        "valence": analyte.valence,
        "fraction_as_percent": analyte.fraction_as_percent,
        "unit_needed": analyte.unit_needed,
        "units": _units(analyte, reference),
        "paired_edges": {
            unit: {format_number(edge): value for edge, value in sorted(pairs.items())}
            for unit, pairs in default.paired_edges.items()
        },
        "plausible": str(analyte.plausible),
        "expected": str(analyte.expected),
        "bands": [band_data(band) for band in default.bands],
        "notes": notes,
        "patterns": patterns,
        "origins": list(reference.origins),
        "disclaimer": DISCLAIMER,
    }


# ------------------------------------------------------------------ shared wording


def cite(item: dict[str, Any]) -> str:
    """``Article section "…"`` or ``Reference: …`` for a note or pattern."""
    if item["source_type"] == "article":
        return f"Article section \u201c{item['source']}\u201d"
    return f"Reference: {item['source']}"


def factor_text(factor: float) -> str:
    """A factor for people: six significant digits (json keeps the full value)."""
    return format_number(float(f"{factor:.6g}"))


def roles_text(roles: list[str]) -> str:
    return ", ".join("SI" if role == "si" else role for role in roles) or "also accepted"


def flags_text(flags: list[str], bands: list[str] | str | None = None) -> str:
    """'deficient', 'any flag'; with the note's bands: 'deficient; band < 180',
    'deficient; other bands'."""
    text = "any flag" if flags == ["*"] else ", ".join(flags)
    if bands == "other":
        return f"{text}; other bands"
    if bands:
        return f"{text}; band {' or '.join(bands)}"
    return text


def when_text(pattern: dict[str, Any]) -> str:
    parts = [f"{analyte} {' or '.join(flags)}" for analyte, flags in pattern["when"].items()]
    parts.extend(f"no {analyte} result" for analyte in pattern["absent"])
    return "; ".join(parts)


def unit_facts(data: dict[str, Any]) -> list[str]:
    facts = []
    if data["molar_mass"] is not None:
        facts.append(f"Molar mass: {format_number(data['molar_mass'])} g/mol")
    if data["valence"] is not None:
        facts.append(f"Valence: {data['valence']} (equivalents per mole)")
    if data["fraction_as_percent"]:
        facts.append("A bare number of at most 1 is read as a fraction and turned into a percent.")
    if data["unit_needed"]:
        facts.append("A number without a unit needs --units conventional or --units si.")
    else:
        facts.append("A number without a unit is read in the canonical unit.")
    return facts
