"""``b12check explain ANALYTE``: what a test measures, its names, units, bands, notes and patterns.

``explain_data`` gathers everything as a plain JSON-able dict; ``write_explain`` prints it as a
rich table (for people), markdown (to paste) or json. Text that may come from a user's overlay
goes through ``visible()`` before it reaches a terminal (and, on a stream that is not
UTF, is given the encoding's own characters). rich and yaml load only when needed.
"""

import json
from pathlib import Path
from typing import IO, Any

from b12check.core.errors import B12CheckError, ConfigError
from b12check.core.numbers import format_number
from b12check.core.refdata import Analyte, Note, Pattern, Reference
from b12check.core.vocab import ALL_FLAGS, DISCLAIMER
from b12check.render.ranges_view import band_data, find_analyte

FORMATS = ("table", "json", "markdown")
NOTE_KINDS = ("about", "finding", "follow_up", "pitfall")
KIND_HEADINGS = {
    "about": "About this test",
    "finding": "What each flag means",
    "follow_up": "Questions to discuss with a clinician",
    "pitfall": "Testing pitfalls",
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


# ------------------------------------------------------------------ data


def _unit_kinds(reference: Reference) -> dict[str, str]:
    """Kind (mass, substance, charge, fraction) of every unit: built-in table plus overlays.

    The run-time ``Reference`` keeps factors, not unit kinds, so the kinds are read from the
    compiled data and from the overlay files named in ``reference.origins`` (already
    validated when the reference was built).
    """
    from b12check.core.refdata import load_compiled

    kinds = {code: str(unit["kind"]) for code, unit in load_compiled()["ranges"]["units"].items()}
    for origin in reference.origins:
        if origin == "built-in":
            continue
        from b12check.core.yamlload import load_yaml_file

        try:
            data = load_yaml_file(Path(origin)).data
        except ConfigError:
            continue
        units = data.get("units") if isinstance(data, dict) else None
        if isinstance(units, dict):
            for code, unit in units.items():
                if isinstance(unit, dict) and isinstance(unit.get("kind"), str):
                    kinds[str(code)] = unit["kind"]
    return kinds


def _derivation(analyte: Analyte, unit: str, kinds: dict[str, str]) -> str:
    canonical = analyte.canonical_unit
    if unit == canonical:
        return "canonical unit"
    kind, canonical_kind = kinds.get(unit), kinds.get(canonical)
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


def _units(analyte: Analyte, kinds: dict[str, str]) -> list[dict[str, Any]]:
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
            "derivation": _derivation(analyte, unit, kinds),
        }
        for unit, factor in analyte.factors.items()
    ]


def _flags(flags: frozenset[str]) -> list[str]:
    if "*" in flags:
        return ["*"]
    order = {flag: index for index, flag in enumerate(ALL_FLAGS)}
    return sorted(flags, key=lambda flag: (order.get(flag, len(order)), flag))


def _note(note: Note) -> dict[str, Any]:
    return {
        "text": note.text,
        "flags": _flags(note.flags),
        "source": note.source,
        "source_type": note.source_type,
    }


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
        "units": _units(analyte, _unit_kinds(reference)),
        "paired_edges": {
            unit: {format_number(edge): value for edge, value in sorted(pairs.items())}
            for unit, pairs in analyte.paired_edges.items()
        },
        "plausible": str(analyte.plausible),
        "expected": str(analyte.expected),
        "bands": [band_data(band) for band in analyte.bands],
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


def _roles_text(roles: list[str]) -> str:
    return ", ".join("SI" if role == "si" else role for role in roles) or "also accepted"


def _flags_text(flags: list[str]) -> str:
    return "any flag" if flags == ["*"] else ", ".join(flags)


def _when_text(pattern: dict[str, Any]) -> str:
    parts = [f"{analyte} {' or '.join(flags)}" for analyte, flags in pattern["when"].items()]
    parts.extend(f"no {analyte} result" for analyte in pattern["absent"])
    return "; ".join(parts)


def _unit_facts(data: dict[str, Any]) -> list[str]:
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


SPANS = (
    ("plausible", "Plausible", "outside it a value is refused as a likely typo or wrong unit"),
    ("expected", "Expected", "outside it a value is classified, with a warning"),
)


# ------------------------------------------------------------------ writers


def write_explain(reference: Reference, analyte_id: str, fmt: str, out: IO[str]) -> None:
    data = explain_data(reference, analyte_id)
    if fmt == "json":
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        from b12check.render.encoding import for_people

        for_people(out).write(explain_markdown(data))
    elif fmt == "table":
        _write_table(data, out)
    else:
        raise B12CheckError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _write_table(data: dict[str, Any], out: IO[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    from b12check.render.ranges_view import bands_table
    from b12check.render.table import make_console, shower

    console = make_console(out)
    show = shower(console)  # visible(), then only characters the output's encoding has
    unit = data["canonical_unit"]

    def heading(text: str) -> None:
        console.print()
        console.print(Text(show(text), style="bold underline"))

    def line(text: str, style: str = "") -> None:
        console.print(Text(show(text), style=style))

    def bullets(items: list[tuple[str, str]]) -> None:
        """Bulleted paragraphs with a hanging indent; the second part is dim, on its own line."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for text, small in items:
            cell = Text(show(text))
            if small:
                cell.append("\n")
                cell.append(show(small), style="dim")
            grid.add_row(Text(show("•")), cell)
        console.print(grid)

    console.print(Text(show(f"{data['name']} ({data['id']})"), style="bold"))
    line(data["measures"])
    heading("Names")
    line(f"Recognised names: {', '.join(data['aliases']) or '-'}")
    line(f"LOINC codes: {', '.join(data['loinc']) or '-'}")

    heading("Units")
    units = Table(show_edge=False, pad_edge=False, header_style="bold")
    units.add_column("Unit", no_wrap=True)
    units.add_column("Role", overflow="fold")
    units.add_column(Text(show(f"1 unit in {unit}")), no_wrap=True)
    units.add_column("How the factor is derived", overflow="fold")
    for row in data["units"]:
        units.add_row(
            Text(show(row["unit"])),
            Text(show(_roles_text(row["roles"]))),
            Text(factor_text(row["factor"])),
            Text(show(row["derivation"])),
        )
    console.print(units)
    for fact in _unit_facts(data):
        line(fact)
    for key, title, meaning in SPANS:
        line(f"{title}: {data[key]} {unit} ({meaning})")

    heading(f"Bands ({unit})")
    console.print(bands_table(data["bands"], show=show))
    line(f"From: {', '.join(data['origins'])}", style="dim")

    heading("Notes")
    line(ARTICLE_CAVEAT, style="dim")
    for kind in NOTE_KINDS:
        notes = data["notes"].get(kind) or []
        if notes:
            console.print()
            line(KIND_HEADINGS[kind], style="bold")
            bullets([(f"[{_flags_text(n['flags'])}] {n['text']}", cite(n)) for n in notes])

    if data["patterns"]:
        heading("Patterns with other tests")
        bullets(
            [
                (f"{p['title']} (when {_when_text(p)}): {p['text']}", cite(p))
                for p in data["patterns"]
            ]
        )

    console.print()
    console.print(Text(show(DISCLAIMER), style="italic"))


def _md(text: str) -> str:
    """Plain text for a markdown line or table cell: visible, with markup characters escaped."""
    from b12check.render.safe import visible

    escaped = visible(str(text))
    for char in "\\`*_[]<>|#":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def _code(text: str) -> str:
    """A code span (intervals, flags, ids): nothing inside it is markup."""
    from b12check.render.safe import visible

    plain = visible(str(text)).replace("`", "'")
    return f"`{plain}`"


def _md_flags(flags: list[str]) -> str:
    return "any flag" if flags == ["*"] else ", ".join(_code(flag) for flag in flags)


def explain_markdown(data: dict[str, Any]) -> str:
    unit = data["canonical_unit"]
    lines = [
        f"# {_md(data['name'])} ({_code(data['id'])})",
        "",
        _md(data["measures"]),
        "",
        f"- **Recognised names:** {_md(', '.join(data['aliases'])) or '-'}",
        f"- **LOINC codes:** {', '.join(_code(code) for code in data['loinc']) or '-'}",
        "",
        "## Units",
        "",
        f"| Unit | Role | 1 unit in {_md(unit)} | How the factor is derived |",
        "|---|---|---|---|",
    ]
    for row in data["units"]:
        lines.append(
            f"| {_md(row['unit'])} | {_roles_text(row['roles'])} "
            f"| {factor_text(row['factor'])} | {_md(row['derivation'])} |"
        )
    lines.append("")
    lines.extend(f"- {_md(fact)}" for fact in _unit_facts(data))
    lines.extend(
        f"- {title}: {_code(data[key])} {_md(unit)} ({meaning})" for key, title, meaning in SPANS
    )
    lines += [
        "",
        f"## Bands ({_md(unit)})",
        "",
        "| Range | Flag | Label | FHIR | Sex | Source |",
        "|---|---|---|---|---|---|",
    ]
    for band in data["bands"]:
        lines.append(
            f"| {_code(band['range'])} | {_code(band['flag'])} | {_md(band['label'])} "
            f"| {_md(band['interpretation'])} | {_md(band['sex'] or 'any')} "
            f"| {_md(band['source'])} |"
        )
    lines += ["", f"From: {_md(', '.join(data['origins']))}", "", "## Notes", ""]
    lines += [_md(ARTICLE_CAVEAT), ""]
    for kind in NOTE_KINDS:
        notes = data["notes"].get(kind) or []
        if notes:
            lines += [f"### {KIND_HEADINGS[kind]}", ""]
            lines.extend(
                f"- {_md_flags(n['flags'])}: {_md(n['text'])} ({_md(cite(n))})" for n in notes
            )
            lines.append("")
    if data["patterns"]:
        lines += ["## Patterns with other tests", ""]
        for pattern in data["patterns"]:
            when = "; ".join(
                [
                    *(
                        f"{_code(analyte)} {' or '.join(_code(f) for f in flags)}"
                        for analyte, flags in pattern["when"].items()
                    ),
                    *(f"no {_code(analyte)} result" for analyte in pattern["absent"]),
                ]
            )
            lines.append(
                f"- **{_md(pattern['title'])}** (when {when}): "
                f"{_md(pattern['text'])} ({_md(cite(pattern))})"
            )
        lines.append("")
    lines += [f"> **{_md(DISCLAIMER)}**", ""]
    return "\n".join(lines)
