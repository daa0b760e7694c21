"""Validate the shipped ranges and notes, and write the fast-loading copy the CLI reads.

    python -m b12check.compile          # rewrite src/b12check/data/compiled.json
    python -m b12check.compile --check  # exit 1 if the copy is out of date

The test suite runs the same check, so the two can never drift apart.
"""

import json
import sys
from pathlib import Path
from typing import Any

from b12check.errors import ConfigError
from b12check.models import validate_headers, validate_notes, validate_ranges
from b12check.overlays import dump
from b12check.refdata import COMPILED as COMPILED_PATH
from b12check.refdata import DATA_DIR as DATA_PATH
from b12check.yamlload import load_yaml_file

DATA_DIR = Path(DATA_PATH)
COMPILED = Path(COMPILED_PATH)
NOTES = DATA_DIR / "notes.yaml"
HEADERS = DATA_DIR / "headers.yaml"


def shipped_ranges_path() -> Path:
    """The packaged copy in an installed wheel, else the file at the repository root."""
    packaged = DATA_DIR / "reference_ranges.yaml"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "reference_ranges.yaml"


def compile_data(
    ranges_path: Path, notes_path: Path = NOTES, headers_path: Path = HEADERS
) -> dict[str, Any]:
    ranges_yaml = load_yaml_file(ranges_path)
    ranges, problems = validate_ranges(ranges_yaml.data)
    if ranges is None:
        raise ConfigError([f"{ranges_yaml.locate(loc)}: {msg}" for loc, msg in problems])
    notes_yaml = load_yaml_file(notes_path)
    notes, problems = validate_notes(notes_yaml.data, ranges)
    if notes is None:
        raise ConfigError([f"{notes_yaml.locate(loc)}: {msg}" for loc, msg in problems])
    headers_yaml = load_yaml_file(headers_path)
    headers, problems = validate_headers(headers_yaml.data)
    if headers is None:
        raise ConfigError([f"{headers_yaml.locate(loc)}: {msg}" for loc, msg in problems])
    return {
        "ranges": dump(ranges),
        "notes": notes.model_dump(mode="json", exclude_none=True),
        "headers": headers.model_dump(mode="json"),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"  # keeps the YAML order


def render_help() -> str:
    """The top-level help as click renders it at the fixed width ``b12check --help`` uses."""
    import click

    from b12check.cli import cli
    from b12check.entry import HELP_WIDTH

    context = click.Context(
        # click leaves two columns free on a real terminal of that width
        cli,
        info_name="b12check",
        terminal_width=HELP_WIDTH - 2,
        **cli.context_settings,
    )
    return cli.get_help(context) + "\n"


def main(argv: list[str]) -> int:
    from b12check.entry import HELP_FILE as HELP_PATH

    HELP_FILE = Path(HELP_PATH)

    try:
        outputs = {COMPILED: render(compile_data(shipped_ranges_path())), HELP_FILE: render_help()}
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run python -m b12check.compile", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
