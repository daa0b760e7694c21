"""Command-line interface. Kept thin: parsing here, work in the modules each command imports.

Only click is imported at start-up; rich, pydantic and yaml load inside the code that needs
them, so ``--version`` and a JSON check start fast.
"""

import sys
from collections.abc import Callable
from typing import Any

import click

from b12check import __version__
from b12check.cli.ending import (
    Guard,
    flush_stdout,
    interrupted,
    quiet_broken_pipe,
    say,
)
from b12check.cli.options import (
    DEBUG_KEY,
    cohort_options,
    engine_option,
    events_option,
    format_option,
    output_options,
    person_options,
    ranges_option,
)
from b12check.cli.usage import UsageProblem
from b12check.core.vocab import LAB_RANGE_POLICIES
from b12check.run.exitcodes import ExitCode

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAIN_EPILOG = """\b
Examples:
  b12check check b12=250pg/mL "vitamin d=45 nmol/L" mg=0.72mmol/L ferritin=12 --sex female
  b12check check 2132-9=310pg/mL tsat=0.14 iron=9umol/L --format json
  b12check scan portal-export.csv
  curl -s https://lab.example/export.csv | b12check scan - --format csv

Exit status: 0 nothing flagged, 1 something flagged (see --fail-on), 2 usage or ranges-file
error, 3 some input could not be read, 4 output could not be written, 129 hung up (SIGHUP),
130 interrupted (Ctrl-C), 141 the reader closed the pipe early, 143 terminated (SIGTERM).
Not medical advice — discuss results with a qualified clinician.
"""


class GuardedGroup(click.Group):
    """Turns every way a command can fail into one line on stderr and a documented status
    (``ending.Guard``, which the click-free fast path uses too)."""

    def invoke(self, ctx: click.Context) -> Any:
        guard = Guard(lambda: bool(ctx.meta.get(DEBUG_KEY)))
        with guard:
            return super().invoke(ctx)
        ctx.exit(guard.code if guard.code is not None else ExitCode.INTERNAL)


def for_click(run: Callable[[], int]) -> int:
    """A command body's ``UsageProblem`` as the click error it stands for; raised inside the
    command's callback, click adds the command's usage line to it."""
    try:
        return run()
    except UsageProblem as exc:
        raise exc.for_click() from None


@click.group(cls=GuardedGroup, context_settings=CONTEXT_SETTINGS, epilog=MAIN_EPILOG)
@click.version_option(__version__, "-V", "--version", prog_name="b12check")
def cli() -> None:
    """Check vitamin B12, vitamin D, magnesium and iron results against reference ranges."""


CHECK_EPILOG = """\b
Examples:
  b12check check b12=250pg/mL "vitamin d=45 nmol/L" mg=0.72mmol/L ferritin=12 --sex female
  b12check check 2132-9=310 tsat=0.14 iron=9umol/L --units conventional --format json
  b12check check "vitamin d=<5 ng/mL"
  b12check check d=25ng/mL --compare          # IOM 2011 against Endocrine Society 2011
  b12check check                # on a terminal: asks for each test in turn

NAME is a test id (b12, vitamin_d, magnesium, ferritin, iron, tibc, tsat, mma, homocysteine),
a common name (Vit B12, 25-OH Vitamin D, Mg, Fe ...) or a LOINC code. VALUE may carry a
comparator (<, <=, >, >=, ≤, ≥) and a unit, glued or spaced: 250pg/mL, "45 nmol/L", <5.
"""


@cli.command(context_settings=CONTEXT_SETTINGS, epilog=CHECK_EPILOG)
@click.argument("values", nargs=-1, metavar="NAME=VALUE...")
@click.option(
    "--compare",
    is_flag=True,
    help="Show each value's flag under every guideline shipped for its test, side by side.",
)
@person_options
@output_options
@click.pass_context
def check(ctx: click.Context, /, values: tuple[str, ...], **options: Any) -> None:
    """Check values typed on the command line."""
    from b12check.cli.commands import run_check

    ctx.exit(for_click(lambda: run_check(values, **options)))


SCAN_EPILOG = """\b
Examples:
  b12check scan examples/us-portal-export.csv
  b12check scan exports/*.csv --format csv > flagged.csv
  curl -s https://lab.example/export.csv | b12check scan - --format ndjson
  b12check scan odd.csv --column test="Assay" --column result="Reading" --delimiter ";"
  b12check scan odd.csv --show-layout
  b12check scan labevents.csv --patients patients.csv --codes items.csv
  b12check scan portal-export.csv --format html --events my-events.csv -o report.html
  b12check scan labevents.csv.gz --only flagged --analyte b12 --format csv
  b12check scan labevents.csv.gz --per-patient --format csv

Long exports (one value per row) and wide ones (a column per test, unit in the header or in a
units row) are recognised from their headers; title lines above the header are passed over.
gzip, bzip2, xz and zstd files (and pipes) are read as they stream in.
"""


@cli.command(context_settings=CONTEXT_SETTINGS, epilog=SCAN_EPILOG)
@click.argument("files", nargs=-1, metavar="[FILE|-]...")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="ROLE=HEADER",
    help="Say which column holds a role (test, loinc, result, unit, patient, date, sex, age, "
    "birth_date, lab_range, lab_low, lab_high, lab_flag, code); repeatable. It always wins "
    "over the header names b12check knows.",
)
@click.option(
    "--layout",
    type=click.Choice(["long", "wide"]),
    default=None,
    help="Force the layout instead of detecting it.",
)
@click.option(
    "--delimiter",
    type=click.Choice([",", ";", "tab", "|"]),
    default=None,
    help="Force the field delimiter instead of detecting it.",
)
@click.option("--encoding", default=None, help="Force the text encoding (e.g. cp1252, utf-16).")
@click.option(
    "--lab-ranges",
    type=click.Choice(LAB_RANGE_POLICIES),
    default="show",
    show_default=True,
    help="The lab's own reference range and flag: ignore them, show where they disagree with "
    "the built-in band (a note), or prefer them to decide low / normal / high.",
)
@click.option(
    "--date-format",
    default=None,
    metavar="FORMAT",
    help="How to read collection dates, as for strptime (e.g. %d/%m/%Y).",
)
@click.option(
    "--patients",
    "patients",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="A patients table (patient id, and sex, birth date or age) joined to every row by "
    "its patient column; a row's own sex or age wins.",
)
@click.option(
    "--codes",
    "codes",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="A codes table (a lab system's code, and the test label, optionally LOINC and unit) "
    "joined to every row by its code column.",
)
@click.option(
    "--show-layout",
    is_flag=True,
    help="Read no values: show each file's delimiter, encoding, layout, header line, the "
    "column each role took and why, the date order, and every test label with what it "
    "matched (like csvcut -n).",
)
@events_option
@cohort_options
@engine_option
@person_options
@output_options
@click.pass_context
def scan(ctx: click.Context, /, files: tuple[str, ...], **options: Any) -> None:
    """Check CSV/TSV lab exports from files or stdin (- or no file)."""
    from b12check.cli.commands import run_scan

    ctx.exit(for_click(lambda: run_scan(files, **options)))


class RangesGroup(click.Group):
    """``ranges [ANALYTE] [OPTIONS]`` or ``ranges validate FILE`` / ``ranges template``.

    An ANALYTE argument on the group itself would swallow the subcommand's name (``ranges
    validate X`` would read ANALYTE='validate' and then look for a command 'X'), so a first
    word that is not a subcommand or a help option goes, with everything after it, to the
    hidden ``show`` command.
    """

    SHOW = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            if args:
                import difflib

                near = difflib.get_close_matches(args[0], ["validate", "template"], 1, 0.75)
                if near:
                    raise click.UsageError(
                        f"No such command {args[0]!r}; did you mean {near[0]!r}?", ctx
                    )
            args = [self.SHOW, *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``ranges --help`` lists show's options too, then the subcommands."""
        params = [*self.commands[self.SHOW].params, *self.get_params(ctx)]
        records = [
            record
            for param in params
            if isinstance(param, click.Option) and (record := param.get_help_record(ctx))
        ]
        with formatter.section("Options"):
            formatter.write_dl(records)
        self.format_commands(ctx, formatter)


RANGES_EPILOG = """\b
Examples:
  b12check ranges                        every test's bands, with their sources
  b12check ranges b12 --format json      one test (id, name or LOINC code)
  b12check ranges --ranges my-lab.yaml   the bands after your overlay
  b12check ranges --format yaml > in-force.yaml   the ranges in force, as a file to edit
  b12check ranges template > my-lab.yaml
  b12check ranges validate my-lab.yaml
"""


@cli.group(
    "ranges",
    cls=RangesGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=RANGES_EPILOG,
    options_metavar="",
    subcommand_metavar="[ANALYTE] [OPTIONS] | COMMAND [ARGS]...",
)
def ranges() -> None:
    """Show the reference bands in force, with sources; check or start an overlay file."""


@ranges.command("show", hidden=True, context_settings=CONTEXT_SETTINGS, epilog=RANGES_EPILOG)
@click.argument("analyte", required=False)
@format_option(("table", "yaml", "json"))
@ranges_option
def ranges_show(analyte: str | None, fmt: str, ranges_files: tuple[str, ...]) -> None:
    """Show the bands of every test, or of ANALYTE, after every overlay."""
    from b12check.core.refdata import load_reference
    from b12check.render.ranges_view import write_ranges

    write_ranges(load_reference(tuple(ranges_files)), analyte, fmt, sys.stdout)


@ranges.command("validate", context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def ranges_validate(ctx: click.Context, /, file: str) -> None:
    """Check a ranges overlay FILE; print each problem as FILE:LINE:COLUMN: reason."""
    from b12check.render.ranges_view import run_validate

    ctx.exit(run_validate(file, sys.stdout, sys.stderr))


@ranges.command("template", context_settings=CONTEXT_SETTINGS)
def ranges_template() -> None:
    """Print a commented starter overlay: b12check ranges template > my-lab.yaml"""
    from b12check.render.ranges_view import TEMPLATE

    click.echo(TEMPLATE, nl=False)


EXPLAIN_EPILOG = """\b
Examples:
  b12check explain b12
  b12check explain "vitamin d" --format markdown > vitamin-d.md
  b12check explain 2601-3 --format json
"""


@cli.command(context_settings=CONTEXT_SETTINGS, epilog=EXPLAIN_EPILOG)
@click.argument("analyte")
@format_option(("table", "json", "markdown"))
@ranges_option
def explain(analyte: str, fmt: str, ranges_files: tuple[str, ...]) -> None:
    """What a test measures: names, units and factors, bands with sources, notes."""
    from b12check.cli.commands import run_explain

    run_explain(analyte, fmt, ranges_files)


from b12check.cli.sqlcmd import sql  # noqa: E402  (click only; the work loads when it runs)

cli.add_command(sql)

from b12check.cli.extract import extract  # noqa: E402  (click only; the work loads when it runs)

cli.add_command(extract)


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every way a run can end to a documented exit status."""
    from b12check.cli.stopping import stop_on_signals

    stop_on_signals()
    args = sys.argv[1:] if argv is None else argv
    code: int = ExitCode.OK
    try:
        result = cli.main(args=args, prog_name="b12check", standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        show_click_error(exc)
        code = ExitCode.USAGE
    except (click.Abort, KeyboardInterrupt) as exc:
        code = interrupted(exc)
    except BrokenPipeError:
        code = quiet_broken_pipe()
    sys.exit(flush_stdout(code))


def show_click_error(exc: click.ClickException) -> None:
    """click's usage message, with any file name or argument quoted in it made harmless."""
    import io

    buffer = io.StringIO()
    exc.show(file=buffer)
    say(buffer.getvalue().rstrip("\n"))
