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

import os
import sys


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
    """Install the stand-ins (closed.py) for each standard descriptor that is closed."""
    if not _is_open(0):
        from b12check.cli.closed import ClosedInput  # (made only when needed: start-up)

        _hold(0)
        sys.stdin = ClosedInput()
    if not _is_open(1):
        from b12check.cli.closed import ClosedOutput

        _hold(1)
        sys.stdout = ClosedOutput()
    if not _is_open(2):
        _hold(2)
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process)
