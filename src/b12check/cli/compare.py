"""``check --compare``: each typed value's flag under every guideline shipped for its test.

Every output format of ``check`` is honoured, with the same cell rules as the record writers
(render/); a value that cannot be read is an error row and a ``argv:N: reason`` line
on stderr, and the exit status follows ``check``: 3 when a value could not be read, else 1 when
any compared flag is at or above ``--fail-on``, else 0.
"""

import sys
from typing import IO, Any

from b12check.core.evaluate import Settings, evaluate
from b12check.core.records import Record
from b12check.core.vocab import DISCLAIMER, STATUS_ERROR, STATUS_RESULT, fails
from b12check.readers.typed import TYPED_FILE, split_argument
from b12check.render.base import band_text
from b12check.render.people import band_cell
from b12check.run.exitcodes import ExitCode

SHOWN_BAND = "shown_band"  # a row's band as the table and markdown show it (not a field)
# The fields of one comparison, in output order (the columns of csv and tsv).
COLUMNS = (
    "status",
    "line",
    "analyte",
    "value_text",
    "guideline",
    "title",
    "flag",
    "band_label",
    "band",
    "band_source",
    "reason",
)


def _error_row(record: Record) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        status=STATUS_ERROR,
        line=record.line,
        analyte=record.analyte,
        value_text=record.value_text,
        reason=record.reason,
    )
    return row


def comparisons(
    settings: Settings, records: list[Record], arguments: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One row per typed value and guideline of its test; one error row per unreadable value
    (values b12check reads but never flags, such as UIBC, have none)."""
    rows: list[dict[str, Any]] = []
    for record, argument in zip(records, arguments, strict=True):
        if record.status == STATUS_ERROR:
            rows.append(_error_row(record))
            continue
        parts = split_argument(argument)
        if record.status != STATUS_RESULT or parts is None or not record.analyte:
            continue
        guidelines = settings.reference.analytes[record.analyte].guidelines
        for name, guideline in guidelines.items():  # the default first
            again = evaluate(
                settings._replace(guidelines=(("*", name),), notes="none"),
                file=TYPED_FILE,
                line=record.line,
                name=parts[0],
                value_text=parts[1],
            )
            rows.append(
                {
                    "status": again.status,
                    "line": record.line,
                    "analyte": again.analyte,
                    "value_text": again.value_text,
                    "guideline": name,
                    "title": guideline.title,
                    "flag": again.flag,
                    "band_label": again.band_label,
                    "band": band_text(again),
                    "band_source": again.band_source,
                    "reason": again.reason,
                    # for people (table, markdown): also in the value's unit, or each sex's flag
                    SHOWN_BAND: band_cell(again, settings.reference),
                }
            )
    return rows


def exit_status(rows: list[dict[str, Any]], fail_on: str) -> ExitCode:
    """As ``check``: 3 if a value could not be read, 1 if a flag is at or above ``fail_on``."""
    if any(row["status"] == STATUS_ERROR for row in rows):
        return ExitCode.UNREADABLE
    if any(fails(row["flag"] or "unclassified", fail_on) for row in rows):
        return ExitCode.FLAGGED
    return ExitCode.OK


def run_compare(
    settings: Settings,
    records: list[Record],
    arguments: tuple[str, ...],
    out: IO[str],
    *,
    fmt: str,
    fail_on: str,
    quiet: bool = False,
    err: IO[str] | None = None,
) -> ExitCode:
    """Write the comparisons in ``fmt``, report unreadable values on stderr, pick the status."""
    from b12check.run.pipeline import diagnostic

    rows = comparisons(settings, records, arguments)
    write_comparisons(rows, fmt, out)
    if not quiet:
        stream = err if err is not None else sys.stderr
        for record in records:
            if record.status == STATUS_ERROR:
                print(diagnostic(record), file=stream)
    return exit_status(rows, fail_on)


def write_comparisons(rows: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    from b12check.render.delimited import make_delimited
    from b12check.render.json_lines import json_text

    fields = [{column: row[column] for column in COLUMNS} for row in rows]
    if fmt == "json":
        out.write(json_text({"comparisons": fields, "disclaimer": DISCLAIMER}) + "\n")
    elif fmt == "ndjson":
        for row in fields:
            out.write(json_text(row) + "\n")
    elif fmt in ("csv", "tsv"):
        delimited = make_delimited(fmt, out, COLUMNS)
        for row in rows:
            delimited.write_cells([row[column] for column in COLUMNS])
    elif fmt == "markdown":
        _write_markdown(rows, out)
    else:
        _write_table(rows, out)


def _write_markdown(rows: list[dict[str, Any]], out: IO[str]) -> None:
    from b12check.render.markdown import markdown_text

    results = [row for row in rows if row["status"] != STATUS_ERROR]
    if results:
        header = ("Value", "Guideline", "Flag", "Reference band", "Source")
        out.write("| " + " | ".join(header) + " |\n")
        out.write("|" + "---|" * len(header) + "\n")
    for row in results:
        cells = (
            f"{row['analyte']}={row['value_text']}",
            row["guideline"],
            _flag_text(row),
            row.get(SHOWN_BAND) or row["band"],
            row["band_source"] or row["reason"] or "",
        )
        out.write("| " + " | ".join(markdown_text(text) for text in cells) + " |\n")
    if not results:
        out.write("No results.\n")
    problems = [row for row in rows if row["status"] == STATUS_ERROR]
    if problems:
        out.write("\n**Values that could not be read**\n\n")
        for row in problems:
            line = f"{TYPED_FILE}:{row['line']}: {row['reason']}"
            out.write(f"- {markdown_text(line)}\n")
    out.write(f"\n*{DISCLAIMER}*\n")


def _flag_text(row: dict[str, Any]) -> str:
    flag: str = row["flag"] or ""
    return row["band_label"] or flag.replace("_", " ")


def _write_table(rows: list[dict[str, Any]], out: IO[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    from b12check.render.gauge import FLAG_STYLES
    from b12check.render.safe import visible
    from b12check.render.table import make_console

    console = make_console(out)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Value", "Guideline", "Flag", "Band", "Source"):
        table.add_column(column, overflow="fold", no_wrap=column == "Guideline")
    for row in rows:
        if row["status"] == STATUS_ERROR:
            continue  # on stderr, as ``argv:N: reason``
        table.add_row(
            Text(visible(f"{row['analyte']}={row['value_text']}")),
            Text(visible(row["guideline"])),
            Text(visible(_flag_text(row)), style=FLAG_STYLES.get(row["flag"] or "", "")),
            Text(visible(row.get(SHOWN_BAND) or row["band"])),
            Text(visible(row["band_source"] or row["reason"] or "")),
        )
    console.print(table)
    console.print(Text(DISCLAIMER, style="italic"))
