"""Rebuild (or with ``--check`` verify) every generated file: the compiled reference data and
the top-level help that ``b12check --help`` prints without importing click, and the table of
every command's parameters the click-free fast path reads argv with (``cli/paramtable.py``).

    python -m b12check.cli.build
    python -m b12check.cli.build --check
"""

import sys
from pathlib import Path

from b12check.cli.entry import HELP_FILE, HELP_WIDTH
from b12check.core.build import build, data_outputs


def render_help() -> str:
    """The top-level help as click renders it at the fixed width ``b12check --help`` uses."""
    import click

    from b12check.cli.main import cli

    context = click.Context(
        # click leaves two columns free on a real terminal of that width
        cli,
        info_name="b12check",
        terminal_width=HELP_WIDTH - 2,
        **cli.context_settings,
    )
    return cli.get_help(context) + "\n"


def outputs() -> dict[Path, str]:
    from b12check.cli.fastparse import TABLE_FILE
    from b12check.cli.paramtable import render_table

    return {**data_outputs(), Path(HELP_FILE): render_help(), Path(TABLE_FILE): render_table()}


def main(argv: list[str]) -> int:
    return build(outputs, argv, "b12check.cli.build")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
