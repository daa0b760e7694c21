"""``b12check ranges``: the effective bands after every overlay, and checking an overlay file.

- ``ranges_data`` / ``write_ranges``: every analyte's (or one analyte's) bands in the canonical
  unit, with flag, label, FHIR code, sex and source, as json, yaml or a rich table.
- ``validate_file`` / ``run_validate``: lay one overlay over the built-in ranges and report every
  problem as ``FILE:LINE:COLUMN: reason``.
- ``TEMPLATE``: a commented starter overlay that passes ``validate_file`` as it is.

rich, yaml and pydantic are imported inside the functions that need them (start-up time).
"""

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from b12check.core.errors import B12CheckError, ConfigError, ValueProblem
from b12check.core.numbers import format_number
from b12check.core.refdata import Analyte, Band, Reference

if TYPE_CHECKING:
    from rich.table import Table

    from b12check.core.yamlload import LoadedYaml

FORMATS = ("table", "yaml", "json")


def find_analyte(reference: Reference, text: str) -> Analyte:
    """The analyte named by an id, name, alias or LOINC code; else an error listing the ids."""
    try:
        return reference.find(text)
    except ValueProblem as exc:
        message = str(exc)
        if "known tests:" not in message:
            message = f"{message} (known tests: {', '.join(reference.analytes)})"
        raise B12CheckError(message) from exc


def band_data(band: Band) -> dict[str, Any]:
    return {
        "range": str(band.interval),
        "flag": band.flag,
        "label": band.label,
        "interpretation": band.interpretation,
        "sex": band.sex,
        "age": None if band.age is None else str(band.age),
        "source": band.band_source,
        "from": band.origin or "built-in",
    }


def _analyte_data(analyte: Analyte) -> dict[str, Any]:
    default = analyte.guideline()  # ``ranges`` shows the bands a run reads without --guideline
    return {
        "name": analyte.name,
        "short_name": analyte.short_name,
        "canonical_unit": analyte.canonical_unit,
        "units": dict(analyte.factors),
        "plausible": str(analyte.plausible),
        "expected": str(analyte.expected),
        "paired_edges": {
            unit: {format_number(edge): value for edge, value in sorted(pairs.items())}
            for unit, pairs in default.paired_edges.items()
        },
        "bands": [band_data(band) for band in default.bands],
    }


def ranges_data(reference: Reference, analyte_id: str | None) -> dict[str, Any]:
    """Plain, JSON-able view of the effective ranges (one analyte, or all when ``None``)."""
    if analyte_id is None:
        chosen = list(reference.analytes.values())
    else:
        chosen = [find_analyte(reference, analyte_id)]
    return {
        "origins": list(reference.origins),
        "analytes": {analyte.id: _analyte_data(analyte) for analyte in chosen},
    }


def ranges_file(reference: Reference, analyte_id: str | None) -> dict[str, Any]:
    """The ranges in force (one analyte's, or all) as a ranges file: ``ranges validate``
    accepts it and, given with ``--ranges``, it changes no result."""
    from b12check.core.refdata import effective_ranges

    ranges = effective_ranges(tuple(reference.origins[1:]))  # (origins[0] is "built-in")
    if analyte_id is None:
        return dict(ranges)
    chosen = find_analyte(reference, analyte_id).id
    return {"version": ranges["version"], "analytes": {chosen: ranges["analytes"][chosen]}}


def _ranges_file_text(reference: Reference, analyte_id: str | None) -> str:
    import yaml

    from b12check.render.safe import visible

    laid = visible(", then ".join(reference.origins))  # a file name cannot break the comment
    head = (
        f"# The ranges in force ({laid}) as a b12check ranges file.\n"
        "# Edit it, check it with `b12check ranges validate FILE`, use it with --ranges FILE.\n"
    )
    data = ranges_file(reference, analyte_id)
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_ranges(reference: Reference, analyte_id: str | None, fmt: str, out: IO[str]) -> None:
    """``json`` and ``table``: a view of the bands in force (units as factors, each band's
    source and file); ``yaml``: the ranges in force as a ranges file (``ranges_file``)."""
    if fmt == "yaml":
        out.write(_ranges_file_text(reference, analyte_id))
        return
    data = ranges_data(reference, analyte_id)
    if fmt == "json":
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "table":
        _write_ranges_table(data, out)
    else:
        raise B12CheckError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _units_line(analyte: dict[str, Any]) -> str:
    canonical = analyte["canonical_unit"]
    parts = [
        f"1 {unit} = {format_number(factor)} {canonical}"
        for unit, factor in analyte["units"].items()
        if unit != canonical
    ]
    also = f" (also {'; '.join(parts)})" if parts else ""
    return f"Units: {canonical}{also}"


def bands_table(
    bands: list[dict[str, Any]],
    title: str | None = None,
    *,
    show: Callable[[str], str] | None = None,
) -> "Table":
    """A rich table of bands as ``band_data`` gives them; every cell is plain ``Text`` made
    safe by ``show`` (``visible()`` unless the console's own is given)."""
    from rich.table import Table
    from rich.text import Text

    from b12check.render.gauge import FLAG_STYLES
    from b12check.render.safe import visible

    show = show or visible
    table = Table(
        title=Text(show(title), style="bold") if title else None,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    table.add_column("Range", no_wrap=True)
    table.add_column("Flag", no_wrap=True)
    table.add_column("Label", overflow="fold")
    table.add_column("FHIR", no_wrap=True)
    table.add_column("Sex", no_wrap=True)
    with_age = any(band.get("age") for band in bands)
    if with_age:
        table.add_column("Age", no_wrap=True)
    table.add_column("Source", overflow="fold")
    table.add_column("From", overflow="fold")
    for band in bands:
        cells = [
            Text(show(band["range"])),
            Text(show(band["flag"]), style=FLAG_STYLES.get(band["flag"], "")),
            Text(show(band["label"])),
            Text(show(band["interpretation"])),
            Text(show(band["sex"] or "any")),
        ]
        if with_age:
            cells.append(Text(show(band.get("age") or "any")))
        cells += [Text(show(band["source"])), Text(show(band.get("from") or "built-in"))]
        table.add_row(*cells)
    return table


def _write_ranges_table(data: dict[str, Any], out: IO[str]) -> None:
    from rich.text import Text

    from b12check.render.table import make_console, shower

    console = make_console(out)
    show = shower(console)  # visible(), then only characters the output's encoding has
    origins = ", ".join(show(origin) for origin in data["origins"])
    console.print(Text(f"Bands from: {origins} (later overlays win)"))
    for analyte in data["analytes"].values():
        console.print()
        title = f"{analyte['name']} ({analyte['canonical_unit']})"
        console.print(bands_table(analyte["bands"], title, show=show))
        console.print(Text(show(_units_line(analyte)), style="dim"))
        plausible, expected = show(analyte["plausible"]), show(analyte["expected"])
        console.print(Text(f"Plausible {plausible}, expected {expected}", style="dim"))


# ------------------------------------------------------------------ validate


def validate_file(path: str) -> list[str]:
    """Every problem of one overlay file laid over the built-in ranges (``[]`` when valid)."""
    problems, _ = _validate(path)
    return problems


def _validate(path: str) -> tuple[list[str], Any]:
    from pathlib import Path

    from b12check.core.overlays import apply_overlay
    from b12check.core.refdata import load_compiled
    from b12check.core.yamlload import load_yaml_file

    base = load_compiled()["ranges"]
    try:
        loaded = load_yaml_file(Path(path), display=path)
    except ConfigError as exc:
        return list(exc.problems), None
    try:
        apply_overlay(base, loaded)
    except ConfigError as exc:
        problems = list(exc.problems)
        problems += [p for p in _more_problems(base, loaded) if p not in problems]
        return sorted(problems, key=_position), None
    return [], loaded.data


def _more_problems(base: dict[str, Any], loaded: "LoadedYaml") -> list[str]:
    """Cross-field problems of the analytes pydantic accepted.

    The cross-field checks (units, tiling, names) only run once pydantic accepts the whole
    file, so a typo in one analyte would hide a gap in another. Run them again without the
    analytes pydantic rejected, so one pass reports as much as it can.
    """
    from b12check.core.models import validate_ranges
    from b12check.core.overlays import merge

    if not isinstance(loaded.data, dict) or not isinstance(loaded.data.get("analytes"), dict):
        return []
    merged = merge(base, loaded.data)
    merged["version"] = 1
    model, found = validate_ranges(merged)
    if model is not None or not found:
        return []
    rejected = set()
    for loc, _ in found:
        if len(loc) < 2 or loc[0] != "analytes":
            return []  # a problem outside the analytes: nothing more to learn safely
        rejected.add(loc[1])
    analytes = merged["analytes"]
    if not isinstance(analytes, dict):
        return []
    merged["analytes"] = {key: value for key, value in analytes.items() if key not in rejected}
    _, more = validate_ranges(merged)
    return [f"{loaded.locate(loc)}: {message}" for loc, message in more]


def _position(problem: str) -> tuple[int, int]:
    """(line, column) of a ``FILE:LINE:COLUMN: reason`` problem, for sorting."""
    head, _, _ = problem.partition(": ")
    parts = head.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return 0, 0


def summary_line(path: str, data: Any) -> str:
    """``FILE: valid; ...`` naming the analytes a valid overlay changes or adds."""
    from b12check.core.refdata import load_compiled

    built_in = load_compiled()["ranges"]["analytes"]
    analytes = data.get("analytes") if isinstance(data, dict) else None
    ids = list(analytes) if isinstance(analytes, dict) else []
    changed = [analyte_id for analyte_id in ids if analyte_id in built_in]
    added = [analyte_id for analyte_id in ids if analyte_id not in built_in]

    def listed(words: str, items: list[str]) -> str:
        return f"{len(items)} {words}" + (f" ({', '.join(items)})" if items else "")

    count = len(ids)
    return (
        f"{path}: valid; {count} {'analyte' if count == 1 else 'analytes'} changed/added: "
        f"{listed('changed', changed)}, {listed('added', added)}"
    )


def run_validate(path: str, out: IO[str], err: IO[str]) -> int:
    """``b12check ranges validate FILE``: problems on ``err`` and exit 2, or one line and 0."""
    from b12check.render.safe import visible

    problems, data = _validate(path)
    for problem in problems:
        err.write(visible(problem) + "\n")
    if problems:
        return 2
    out.write(visible(summary_line(path, data)) + "\n")
    return 0


# ------------------------------------------------------------------ template

TEMPLATE = """\
# b12check ranges overlay: a starter file.
#
# An overlay changes only what it names; everything else keeps the built-in values.
# Use it with:   b12check check --ranges my-lab.yaml b12=250pg/mL
# Check it with: b12check ranges validate my-lab.yaml
# See the result: b12check ranges b12 --ranges my-lab.yaml
#
# This example replaces the vitamin B12 bands with a laboratory's own reference
# interval of 180-914 pg/mL. Edit the numbers, labels and source to match the range
# printed on your report. Lines starting with '#' are comments and are ignored.
#
# Not medical advice: a reference interval says how a result compares with other
# people's results, not what it means for you. Discuss results with a clinician.

version: 1            # format version of this file; only 1 exists so far

analytes:             # one entry per test, keyed by its id (see: b12check ranges)
  b12:                # the id of an existing test: only the fields below change
    # bands: the complete list of bands for this test. Giving bands replaces ALL of
    # the built-in bands, so cover the whole number line: the first band has no lower
    # edge, the last has no upper edge, and each edge belongs to exactly one band.
    bands:
      - range: "(, 180)"
        # range: an interval in the test's canonical unit (pg/mL for B12).
        #   "[" or "]" : the edge value is inside this band
        #   "(" or ")" : the edge value is outside it
        #   an empty side, as in "(, 180)", has no limit
        flag: deficient
        # flag: the category scripts rely on, one of critical_low, deficient, low,
        #   borderline, normal, high, critical_high
        label: below lab range
        # label (optional): the words people see in tables; defaults to the flag
        interpretation: L
        # interpretation: the FHIR interpretation code, one of LL, LU, L, N, H, HU,
        #   HH, A, AA (LL and HH: critically low or high; LU and HU: significantly)
        source: My lab reference interval 180-914 pg/mL
        # source: who publishes the limit; shown next to every result in this band
        year: 2025
        # year (optional): when the source was published, 1900-2100
        evidence: V
        # evidence (optional): V verified in the source, S seen in a secondary
        #   source, M from memory, D a design choice, C computed
      - range: "[180, 914]"
        flag: normal
        label: within lab range
        interpretation: N
        source: My lab reference interval 180-914 pg/mL
        year: 2025
        evidence: V
      - range: "(914, )"
        flag: high
        label: above lab range
        interpretation: H
        source: My lab reference interval 180-914 pg/mL
        year: 2025
        evidence: V
        # sex (optional, not used here): female or male for a band that applies to
        #   one sex only; give a full set of bands for each sex, as for ferritin.

    # paired_edges (optional): where the lab prints an edge in a second unit too,
    # give it here so a result reported in that unit is compared with the printed
    # edge instead of a converted one (no band flips by rounding). Keys are edges of
    # the bands above, written as text; values are in the named unit.
    paired_edges:
      pmol/L: {"180": 133, "914": 674}

    # Other fields you can give for an existing test (uncomment to use):
    # aliases: [B12 Lab X]        # more names to recognise; added to the built-in ones
    # loinc: [2132-9]             # more LOINC codes; added to the built-in ones
    # plausible: "(0, 50000]"     # outside this a value is refused as a likely typo
    # expected: "[100, 2000]"     # outside this a value is classified with a warning

# A new test needs every required field: name, measures, canonical_unit,
# conventional_unit, si_unit, units, plausible, expected and bands; a unit of another
# kind than the canonical one also needs molar_mass (g/mol) or valence (for mEq/L).
# New units go in a top-level table, for example:
# units:
#   umol/mL: {kind: substance, scale: 1.0e-3}   # kind: mass, substance, charge or
#                                               # fraction; scale: in g, mol, eq per L
"""
