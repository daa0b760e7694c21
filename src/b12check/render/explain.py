"""``b12check explain ANALYTE``: what a test measures, its names, units, bands, notes and patterns.

The facts come from ``explain_data`` (``render/explain_data.py``); ``write_explain`` prints them
as a rich table (for people, written here), Markdown (``render/explain_markdown.py``) or JSON.
Text that may come from a user's overlay goes through ``visible()`` before it reaches a terminal
(and, on a stream that is not UTF, is given the encoding's own characters). rich loads only when
needed.
"""

import json
from typing import IO, Any

from b12check.core.errors import B12CheckError
from b12check.core.refdata import Reference
from b12check.core.vocab import DISCLAIMER
from b12check.render.explain_data import (
    ARTICLE_CAVEAT,
    KIND_HEADINGS,
    NOTE_KINDS,
    SPANS,
    cite,
    explain_data,
    factor_text,
    flags_text,
    roles_text,
    unit_facts,
    when_text,
)
from b12check.render.explain_markdown import explain_markdown

__all__ = ["FORMATS", "explain_data", "explain_markdown", "write_explain"]

FORMATS = ("table", "json", "markdown")


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
            Text(show(roles_text(row["roles"]))),
            Text(factor_text(row["factor"])),
            Text(show(row["derivation"])),
        )
    console.print(units)
    for fact in unit_facts(data):
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
            bullets(
                [
                    (f"[{flags_text(n['flags'], n.get('bands'))}] {n['text']}", cite(n))
                    for n in notes
                ]
            )

    if data["patterns"]:
        heading("Patterns with other tests")
        bullets(
            [
                (f"{p['title']} (when {when_text(p)}): {p['text']}", cite(p))
                for p in data["patterns"]
            ]
        )

    console.print()
    console.print(Text(show(DISCLAIMER), style="italic"))
