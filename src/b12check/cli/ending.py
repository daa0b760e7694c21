"""How a run ends: one line on stderr and a documented exit status for every way it can fail.

Shared by the click application (``main.py``: ``GuardedGroup.invoke`` and ``main``) and the
click-free fast path (``fast.py``), so the mapping exists once. Nothing here imports click:
a click exception is recognised only when click has been loaded (it cannot be raised before).
"""

import sys
from typing import TYPE_CHECKING

from b12check.cli.stopping import Stopped
from b12check.cli.usage import UsageProblem
from b12check.run.exitcodes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import TextIO

DEBUG_KEY = "b12check.debug"  # (in click's ctx.meta, or the fast path's): --debug was given


def echo_err(text: str) -> None:
    """One line on stderr, written as ``click.echo(text, err=True)`` writes it."""
    stream = sys.stderr
    if stream is None:
        return
    message = text + "\n"
    if "\x1b" in message and not _isatty(stream):
        import re  # (click strips colour codes from a stream that is not a terminal)

        message = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", message)
    encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
    binary = getattr(stream, "buffer", None)
    if encoding in ("ascii", "usascii", "646") and binary is not None:
        stream.flush()  # (click writes UTF-8 under a locale that claims ASCII)
        binary.write(message.encode("utf-8", "replace"))
        binary.flush()
        return
    stream.write(message)
    stream.flush()


def _isatty(stream: "TextIO") -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False


def say(text: str) -> None:
    """One diagnostic on stderr, every line of it safe for a terminal."""
    from b12check.render.safe import visible

    echo_err("\n".join(visible(line) for line in text.split("\n")))


def quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as a SIGPIPE'd Unix tool would."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return ExitCode.BROKEN_PIPE


def cannot_write(exc: OSError) -> int:
    say(f"b12check: cannot write output: {exc.strerror or exc}")
    return ExitCode.WRITE_FAILED


def flush_stdout(code: int) -> int:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return quiet_broken_pipe()
    except OSError as exc:
        return cannot_write(exc)
    return code


def interrupted(exc: BaseException) -> int:
    """Ctrl-C, or SIGTERM / SIGHUP (``Stopped``, perhaps the cause of click's ``Abort``)."""
    stopped = exc if isinstance(exc, Stopped) else exc.__cause__
    if isinstance(stopped, Stopped):
        say(stopped.message)
        return stopped.code
    say("Interrupted.")
    return ExitCode.INTERRUPTED


def click_endings() -> "tuple[type[BaseException], ...]":
    """click's own ways to end a run, once click is loaded (none before: none can be raised)."""
    click = sys.modules.get("click")
    if click is None:
        return ()
    return (click.exceptions.Exit, click.ClickException, click.Abort)


class Guard:
    """``with guard:`` around a command: a failure it knows becomes one line on stderr and
    ``guard.code``; usage errors, click's own endings and interruptions go on up."""

    def __init__(self, debug: "Callable[[], bool]") -> None:
        self.debug = debug
        self.code: int | None = None

    def __enter__(self) -> "Guard":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: "TracebackType | None",
    ) -> bool:
        if not isinstance(exc, Exception):  # none, KeyboardInterrupt, SystemExit
            return False
        self.code = self.status(exc)
        return self.code is not None

    def status(self, exc: Exception) -> int | None:
        """The exit status for ``exc``, or None when it must go on up."""
        from b12check.core.errors import B12CheckError, ConfigError, OutputUnwritable

        if isinstance(exc, (UsageProblem, *click_endings())):
            return None
        if isinstance(exc, BrokenPipeError):
            return quiet_broken_pipe()
        if isinstance(exc, ConfigError):
            for problem in exc.problems:
                say(f"b12check: {problem}")
            return ExitCode.USAGE
        if isinstance(exc, OutputUnwritable):
            say(f"b12check: {exc}")
            return ExitCode.WRITE_FAILED
        if isinstance(exc, B12CheckError):
            say(f"b12check: {exc}")
            return ExitCode.USAGE
        if self.debug():
            return None
        if isinstance(exc, OSError):
            return cannot_write(exc)
        # a bug: one line here, the traceback with --debug
        say(
            f"b12check: internal error ({type(exc).__name__}: {exc}); "
            "rerun with --debug and report it"
        )
        return ExitCode.INTERNAL
