"""Options shared by several commands, defined once and stacked where needed."""

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from b12check.cli.ending import DEBUG_KEY
from b12check.core.separators import THOUSANDS_CHOICES
from b12check.core.vocab import FAIL_ON_CHOICES, NOTES_MODES, ONLY_CHOICES, SEXES, UNIT_SYSTEMS

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["DEBUG_KEY"]  # (main.py reads it from here)


def _remember_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[DEBUG_KEY] = True


def _finite_age(_ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """``--age nan`` slips through FloatRange (NaN compares false with both ends)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of years", param=param)
    return value


def _sex(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--sex``: female or male, or F, M (any case), as files and the prompts take them."""
    if value is None:
        return None
    from b12check.core.evaluate import read_sex  # (not on start-up: --help, ranges, explain)

    sex = read_sex(value)
    if sex is None:
        raise click.BadParameter(
            f"{value!r} is not a sex b12check reads; use {' or '.join(SEXES)} (f, m)",
            param=param,
        )
    return sex


FORMATS = ("table", "json", "ndjson", "csv", "tsv", "markdown", "fhir", "html")


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


output_options = _stack(
    click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format. table is for people; html is a self-contained page to bring to a "
        "clinician (-o report.html); the others are for scripts and pasting.",
    ),
    click.option(
        "--notes",
        type=click.Choice(NOTES_MODES),
        default=None,
        help="Notes per result: none (the default for csv, tsv and ndjson), brief (one line; "
        "the default for table and markdown) or full (the default for json).",
    ),
    click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON_CHOICES),
        default="any",
        show_default=True,
        help="Exit 1 when a result is flagged: any flag but normal, only critical flags, or never.",
    ),
    click.option(
        "-o",
        "--output",
        metavar="FILE",
        default="-",
        help="Write results to this file instead of stdout. It is replaced only when the run "
        "ends normally, and may not be one of the inputs.",
    ),
    click.option(
        "--only-flagged",
        is_flag=True,
        help="table, markdown and html: hide normal results (machine formats keep every record).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="No diagnostics on stderr."),
    click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=_remember_debug,
        help="Show Python tracebacks (for bug reports).",
    ),
)

ranges_option = click.option(
    "--ranges",
    "ranges_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    envvar="B12CHECK_RANGES",
    help="A ranges overlay file laid over the built-in ranges (repeatable; also the "
    "B12CHECK_RANGES environment variable, a path list).",
)


def format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    """``-f/--format`` for the commands that describe the data (ranges, explain)."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


person_options = _stack(
    click.option(
        "--sex",
        metavar="[female|male|f|m]",
        callback=_sex,
        default=None,
        help="Sex for sex-specific bands (ferritin, serum iron). Without it a value whose flag "
        "differs between the sexes is 'unclassified'.",
    ),
    click.option(
        "--age",
        type=click.FloatRange(0, 130),
        callback=_finite_age,
        default=None,
        help="Age in years; under 18 warns that the built-in bands are for adults.",
    ),
    click.option(
        "--units",
        "units_system",
        type=click.Choice(UNIT_SYSTEMS),
        default=None,
        help="What a value without a unit means: conventional (pg/mL, ng/mL, mg/dL, ug/dL) or "
        "si (pmol/L, nmol/L, mmol/L, umol/L). Without it such a value is an error where the "
        "units differ.",
    ),
    click.option(
        "--decimal-comma",
        is_flag=True,
        help="Read every comma in a number as a decimal separator (1,450 = 1.45), so that a "
        "dot between groups of three digits groups thousands (1.250,5 = 1250.5).",
    ),
    click.option(
        "--thousands",
        type=click.Choice(THOUSANDS_CHOICES),
        default=None,
        help="The mark that groups thousands: . (1.250 = 1250, 1.250,5 = 1250.5), "
        ", (1,250 = 1250, 1,250.5 = 1250.5) or none (1.250 = 1.25). Without it a number that "
        "reads differently either way is an error saying which reading is plausible.",
    ),
    ranges_option,
    click.option(
        "--guideline",
        multiple=True,
        metavar="[ANALYTE=]NAME",
        help="Read values against another guideline's bands (see 'b12check ranges'): NAME for "
        "every test that has it, or ANALYTE=NAME for one (e.g. vitamin_d=endocrine-society-2011)."
        " Repeatable.",
    ),
)

events_option = click.option(
    "--events",
    "events_file",
    metavar="FILE",
    default=None,
    type=click.Path(dir_okay=False),
    help="html only: a CSV of your own dated events (date,text rows, dates as YYYY-MM-DD, "
    "e.g. 2025-02-01,started B12 supplement) to mark on the trend charts and list.",
)

# scan: which records are written, or one row per patient and test instead of records
cohort_options = _stack(
    click.option(
        "--only",
        type=click.Choice(ONLY_CHOICES),
        default=None,
        help="Write only results, only flagged results (anything but normal) or only errors. "
        "The summary, the exit status and the diagnostics on stderr still count every record "
        "read.",
    ),
    click.option(
        "--analyte",
        "analytes",
        multiple=True,
        metavar="ID",
        help="Write only the records of this test (b12, vitamin_d, ferritin ...; repeatable), "
        "and errors whose test could not be told. The summary and exit status still count "
        "every record read.",
    ),
    click.option(
        "--per-patient",
        is_flag=True,
        help="Instead of records: one row per patient and test with the count, first and last "
        "date, latest value and flag, and worst flag (memory grows with patients × tests).",
    ),
)

engine_option = click.option(
    "--engine",
    type=click.Choice(("python", "duckdb")),
    default="python",
    show_default=True,
    help="duckdb: classify a big CSV (also .gz or .zst) or a Parquet file in embedded DuckDB "
    "(pip install 'b12check[duckdb]'), with the same records as python; runs it cannot "
    "honour exactly go the python path, with a note on stderr.",
)
