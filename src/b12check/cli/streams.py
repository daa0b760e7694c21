"""Standard streams that were closed before b12check started (``>&-``, ``<&-``, ``2>&-``).

Python then leaves ``sys.stdout`` (or stdin, stderr) as ``None``, and the next file opened takes
the free descriptor, so a result file could end up receiving what was meant for the terminal.
``guard_standard_streams`` holds each closed descriptor with the null device and puts a stand-in
in its place:

- stdout: every write fails with ``OSError(EBADF)``, which the CLI reports as "cannot write
  output: standard output is closed" (exit 4); ``-o FILE`` still works.
- stdin: reading fails the same way, so ``scan -`` gives one error record (exit 3), and
  ``check`` with no values says how to pass them (exit 2).
- stderr: diagnostics are dropped; they never move to stdout.
"""

import errno
import io
import os
import sys
from typing import NoReturn

STDOUT_CLOSED = "standard output is closed"
STDIN_CLOSED = "standard input is closed"


class _ClosedBinaryInput(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)


class ClosedInput(io.TextIOBase):
    """A stdin that was closed: not a terminal, and every read fails."""

    def __init__(self) -> None:
        self.buffer = io.BufferedReader(_ClosedBinaryInput())

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)

    def readline(self, size: int | None = -1) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)


class ClosedOutput(io.TextIOBase):
    """A stdout that was closed: not a terminal, and every write fails."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> NoReturn:
        raise OSError(errno.EBADF, STDOUT_CLOSED)

    def flush(self) -> None:
        return None  # nothing was ever buffered


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _hold(fd: int) -> None:
    """Occupy a closed descriptor with the null device, so no later file lands on it."""
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def guard_standard_streams() -> None:
    """Install the stand-ins above for each standard descriptor that is closed."""
    if not _is_open(0):
        _hold(0)
        sys.stdin = ClosedInput()
    if not _is_open(1):
        _hold(1)
        sys.stdout = ClosedOutput()
    if not _is_open(2):
        _hold(2)
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process)
