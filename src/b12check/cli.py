"""Command-line interface. Kept thin: parsing here, work in the modules each command imports.

Only click is imported at start-up; rich, pydantic and yaml load inside the code that needs
them, so ``--version`` and a JSON check start fast.
"""

import os
import sys
from typing import Any

import click

from b12check import __version__
from b12check.exitcodes import ExitCode
from b12check.options import DEBUG_KEY, output_options, person_options

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAIN_EPILOG = """\b
Examples:
  b12check check b12=250pg/mL "vitamin d=45 nmol/L" mg=0.72mmol/L ferritin=12 --sex female
  b12check check 2132-9=310pg/mL tsat=0.14 iron=9umol/L --format json
  b12check scan portal-export.csv
  curl -s https://lab.example/export.csv | b12check scan - --format csv

Exit status: 0 nothing flagged, 1 something flagged (see --fail-on), 2 usage or ranges-file
error, 3 some input could not be read, 4 output could not be written, 130 interrupted.
Not medical advice — discuss results with a qualified clinician.
"""


class GuardedGroup(click.Group):
    """Turns every way a command can fail into one line on stderr and a documented status."""

    def invoke(self, ctx: click.Context) -> Any:
        from b12check.errors import B12CheckError, ConfigError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            ctx.exit(quiet_broken_pipe())
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(f"b12check: {problem}", err=True)
            ctx.exit(ExitCode.USAGE)
        except B12CheckError as exc:
            click.echo(f"b12check: {exc}", err=True)
            ctx.exit(ExitCode.USAGE)
        except KeyboardInterrupt:
            raise
        except OSError as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            click.echo(f"b12check: cannot write output: {exc.strerror or exc}", err=True)
            ctx.exit(ExitCode.WRITE_FAILED)
        except Exception as exc:  # a bug: one line here, the traceback with --debug
            if ctx.meta.get(DEBUG_KEY):
                raise
            click.echo(
                f"b12check: internal error ({type(exc).__name__}: {exc}); "
                "rerun with --debug and report it",
                err=True,
            )
            ctx.exit(ExitCode.INTERNAL)


@click.group(cls=GuardedGroup, context_settings=CONTEXT_SETTINGS, epilog=MAIN_EPILOG)
@click.version_option(__version__, "-V", "--version", prog_name="b12check")
def cli() -> None:
    """Check vitamin B12, vitamin D, magnesium and iron results against reference ranges."""


CHECK_EPILOG = """\b
Examples:
  b12check check b12=250pg/mL "vitamin d=45 nmol/L" mg=0.72mmol/L ferritin=12 --sex female
  b12check check 2132-9=310 tsat=0.14 iron=9umol/L --units conventional --format json
  b12check check "vitamin d=<5 ng/mL"
  b12check check                # on a terminal: asks for each test in turn

NAME is a test id (b12, vitamin_d, magnesium, ferritin, iron, tibc, tsat, mma, homocysteine),
a common name (Vit B12, 25-OH Vitamin D, Mg, Fe ...) or a LOINC code. VALUE may carry a
comparator (<, <=, >, >=, ≤, ≥) and a unit, glued or spaced: 250pg/mL, "45 nmol/L", <5.
"""


@cli.command(context_settings=CONTEXT_SETTINGS, epilog=CHECK_EPILOG)
@click.argument("values", nargs=-1, metavar="NAME=VALUE...")
@person_options
@output_options
@click.pass_context
def check(ctx: click.Context, /, values: tuple[str, ...], **options: Any) -> None:
    """Check values typed on the command line."""
    from b12check.commands import run_check

    ctx.exit(run_check(values, **options))


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every way a run can end to a documented exit status."""
    args = sys.argv[1:] if argv is None else argv
    code: int = ExitCode.OK
    try:
        result = cli.main(args=args, prog_name="b12check", standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE
    except (click.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = quiet_broken_pipe()
    sys.exit(flush_stdout(code))


def quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as a SIGPIPE'd Unix tool would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return ExitCode.BROKEN_PIPE


def flush_stdout(code: int) -> int:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return quiet_broken_pipe()
    except OSError as exc:
        click.echo(f"b12check: cannot write output: {exc.strerror or exc}", err=True)
        return ExitCode.WRITE_FAILED
    return code
