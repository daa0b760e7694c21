"""The click-free fast path for the common non-interactive runs of ``check``, ``scan`` and
``explain``.

``entry.py`` hands argv here first. When ``fastparse`` reads it exactly as click would, the
command body (``commands.py``, click-free) runs straight away, and ends through the same
mapping the click application uses (``ending.py``). Otherwise, nothing has happened yet and
click takes the run. A usage error met on the way is shown by click itself: click is imported
then, and the command's own context is made, so the message and status are click's.
"""

import os
import sys
from typing import TYPE_CHECKING

from b12check.cli.ending import (
    DEBUG_KEY,
    Guard,
    click_endings,
    echo_err,
    flush_stdout,
    interrupted,
    quiet_broken_pipe,
)
from b12check.cli.usage import UsageProblem
from b12check.run.exitcodes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


FAST_COMMANDS = ("check", "scan", "explain")  # (the ones _body runs)


def _body(command: str, params: "dict[str, Any]") -> "Callable[[], int] | None":
    """The command body to run, or None where click must take the run."""
    if command == "check":
        values = params.pop("values")
        if not values:
            return None  # guided entry, or click's message to pass values
        from b12check.cli.commands import run_check

        return lambda: run_check(values, **params)
    if command == "scan":
        files = params.pop("files")
        from b12check.cli.commands import run_scan

        return lambda: run_scan(files, **params)
    if command == "explain":
        from b12check.cli.commands import run_explain

        return lambda: run_explain(**params)
    return None


def run_fast(args: "list[str]") -> bool:
    """Run ``args`` without click and exit; False (nothing done) when click must run them."""
    if not args or args[0] not in FAST_COMMANDS:
        return False  # (without reading the table)
    from b12check.cli.fastparse import parse

    parsed = parse(args, os.environ)
    if parsed is None:
        return False
    command, params, meta = parsed
    from b12check.cli.stopping import stop_on_signals

    stop_on_signals()
    guard = Guard(lambda: bool(meta.get(DEBUG_KEY)))
    code: int = ExitCode.OK
    try:
        with guard:  # (importing the command's modules too, as click's callback does)
            body = _body(command, params)
            if body is None:
                return False
            code = body()
        if guard.code is not None:
            code = guard.code
    except (EOFError, KeyboardInterrupt) as exc:
        echo_err("")  # (click's main writes an empty line before its Abort)
        code = interrupted(exc)
    except BrokenPipeError:
        code = quiet_broken_pipe()
    except Exception as exc:
        if not isinstance(exc, (UsageProblem, *click_endings())):
            raise  # (--debug: the traceback)
        code = click_ending(exc, command, args[1:])  # shown by click, as click shows them
    sys.exit(flush_stdout(code))


def click_ending(exc: Exception, command: str, rest: "list[str]") -> int:
    """What the click application does with ``exc`` raised inside ``command``'s callback."""
    import click

    from b12check.cli.main import cli, show_click_error

    if isinstance(exc, UsageProblem):
        exc = exc.for_click()
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, click.Abort):
        return interrupted(exc)
    if not isinstance(exc, click.ClickException):  # (none other is passed here)
        raise exc
    if isinstance(exc, click.UsageError) and exc.ctx is None:
        try:  # the command's context, as click made it for the callback
            parent = cli.make_context("b12check", [command, *rest])
            exc.ctx = cli.commands[command].make_context(command, list(rest), parent=parent)
        except click.ClickException as other:
            exc = other
    show_click_error(exc)
    return ExitCode.USAGE
