"""The console entry point. Answers ``--version`` and ``--help`` before importing click, and
runs a plain ``check`` or ``scan`` without it (``fast.py``).

``b12check --help`` prints the help click renders at 80 columns, saved beside the data by
``python -m b12check.cli.build`` (a test and CI check that it matches what click renders now).
On a terminal narrower than that, and for everything else, the click application in
``b12check.cli.main`` takes over.
"""

import os
import sys

from b12check import __version__
from b12check.cli.streams import guard_standard_streams

HELP_FILE = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "data", "help.txt"
)  # no pathlib: start-up
HELP_WIDTH = 80


def _wide_enough() -> bool:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns >= HELP_WIDTH
    except (OSError, ValueError):
        return True  # not a terminal: any width will do


def _print_fast(text: str) -> None:
    """Write ``--version`` or ``--help`` text; a closed or failing stdout ends as any run does."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from b12check.cli.ending import quiet_broken_pipe

        sys.exit(quiet_broken_pipe())
    except OSError as exc:
        from b12check.cli.ending import cannot_write

        sys.exit(cannot_write(exc))


def main() -> None:
    guard_standard_streams()
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        _print_fast(f"b12check, version {__version__}\n")
        return
    if args in (["--help"], ["-h"]) and os.path.exists(HELP_FILE) and _wide_enough():
        with open(HELP_FILE, encoding="utf-8") as handle:
            _print_fast(handle.read())
        return
    from b12check.cli.fast import run_fast

    run_fast(args)  # (exits, unless click must take the run)
    from b12check.cli.main import main as cli_main

    cli_main(args)
