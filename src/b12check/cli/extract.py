"""``b12check extract REPORT``: what a lab report holds, as CSV for a person to check.

One row per line that gave a record (a result, a test not covered, a line not read without
doubt), with its page, line and source text. The columns are ones ``scan`` reads (Test,
Result, Unit, Reference Range, Flag, Patient, Date, Sex, Age), so the CSV, once checked and
corrected, scans to the same values. A line not read without doubt keeps its Result empty
and says why in Problem: scanned as it is, it gives no result (an error, or a skipped row
where it names no test), never a guess. Text cells a
spreadsheet would run as a formula get a leading apostrophe, as in ``--format csv``.
"""

import csv
from collections.abc import Iterator
from typing import IO

import click

from b12check.cli.options import ranges_option
from b12check.core.numbers import format_number
from b12check.core.records import Record
from b12check.core.vocab import STATUS_ERROR
from b12check.run.exitcodes import ExitCode

COLUMNS = (
    "Page",
    "Line",
    "Status",
    "Test",
    "Result",
    "Unit",
    "Reference Range",
    "Flag",
    "Patient",
    "Date",
    "Sex",
    "Age",
    "Problem",
    "Source Text",
)

EXTRACT_EPILOG = """\b
Examples:
  b12check extract report.pdf -o found.csv     # check and correct found.csv, then:
  b12check scan found.csv
  pdftotext -layout report.pdf - | b12check extract -

Reads a PDF with a text layer (needs: pip install 'b12check[pdf]') or report text (aligned
columns, Markdown or grid tables, Name: value lists). Lines that could not be read without
doubt have an empty Result and a Problem: fill them in from the report, or leave them out.
"""


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXTRACT_EPILOG,
)
@click.argument("report", metavar="REPORT")
@click.option("--encoding", metavar="NAME", help="The text's encoding (default: detected).")
@ranges_option
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default="-",
    help="Write the CSV to this file instead of stdout (replaced only when done).",
)
@click.pass_context
def extract(
    ctx: click.Context,
    report: str,
    encoding: str | None,
    ranges_files: tuple[str, ...],
    output: str,
) -> None:
    """Write the results found in a lab report (PDF or text) as CSV, to review before scan."""
    from b12check.cli.commands import open_output
    from b12check.render.safe import visible

    with open_output(output, "csv", (report, *ranges_files)) as out:
        problems = write_found(report, encoding, ranges_files, out)
    for problem in problems:
        click.echo(visible(f"b12check: {problem}"), err=True)
    ctx.exit(ExitCode.UNREADABLE if problems else ExitCode.OK)


def write_found(
    report: str, encoding: str | None, ranges_files: tuple[str, ...], out: IO[str]
) -> list[str]:
    """Write the CSV; returns what stopped the file being read (nothing when it was)."""
    from b12check.render.delimited import safe_text_cell

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    problems: list[str] = []
    for record in _records(report, encoding, ranges_files):
        if record.locator is None:  # the whole file: nothing of it read
            problems.append(f"{record.place()}: {record.reason}")
            continue
        writer.writerow([safe_text_cell(cell) for cell in _row(record)])
    return problems


def _records(report: str, encoding: str | None, ranges_files: tuple[str, ...]) -> Iterator[Record]:
    from b12check.core.refdata import load_reference
    from b12check.core.settings import Settings
    from b12check.readers.context import RowDates
    from b12check.readers.layout import HeaderIndex
    from b12check.readers.report_scan import read_report
    from b12check.readers.source import FileProblem, open_source

    settings = Settings(load_reference(ranges_files), notes="none")
    try:
        source = open_source(report, encoding=encoding)
    except FileProblem as exc:
        yield Record(STATUS_ERROR, file=report, line=exc.line or 0, reason=str(exc))
        return
    with source:
        if source.kind not in ("pdf", "report"):
            what = {"hl7": "HL7 v2", "fhir": "FHIR JSON"}.get(source.kind, "CSV or TSV")
            reason = f"reads as {what}, not as a report: scan it directly"
            yield Record(STATUS_ERROR, file=report, line=0, reason=reason)
            return
        headers = HeaderIndex(settings.reference.headers)
        yield from read_report(settings, headers, RowDates(None), source, {})


def _row(record: Record) -> list[str]:
    page, _, line = (record.locator or "").partition(", ")
    return [
        page.removeprefix("page "),
        line.removeprefix("line "),
        record.status,
        record.label or "",
        record.value_text or "",  # (None for a line not read without doubt)
        record.unit or "",
        record.lab_range or "",
        record.lab_flag or "",
        record.patient or "",
        record.date or "",
        record.sex or "",
        "" if record.age is None else format_number(record.age),
        (record.reason or "") if record.status == STATUS_ERROR else "",
        record.source_text or "",
    ]
