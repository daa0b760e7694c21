"""Validate the shipped ranges and notes, and write the fast-loading copy every run reads.

    python -m b12check.core.build          # rewrite src/b12check/data/compiled.json
    python -m b12check.core.build --check  # exit 1 if the copy is out of date

(``python -m b12check.cli.build`` does this and also saves the rendered ``--help``.)

The test suite runs the same check, so the two can never drift apart.
"""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from b12check.core.errors import ConfigError
from b12check.core.models import (
    validate_headers,
    validate_names,
    validate_notes,
    validate_ranges,
)
from b12check.core.overlays import dump
from b12check.core.refdata import COMPILED as COMPILED_PATH
from b12check.core.refdata import DATA_DIR as DATA_PATH
from b12check.core.yamlload import load_yaml_file

DATA_DIR = Path(DATA_PATH)
COMPILED = Path(COMPILED_PATH)
NOTES = DATA_DIR / "notes.yaml"
HEADERS = DATA_DIR / "headers.yaml"
NAMES = DATA_DIR / "names.yaml"


def shipped_ranges_path() -> Path:
    """The packaged copy in an installed wheel, else the file at the repository root."""
    packaged = DATA_DIR / "reference_ranges.yaml"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[3] / "reference_ranges.yaml"


def compile_data(
    ranges_path: Path,
    notes_path: Path = NOTES,
    headers_path: Path = HEADERS,
    names_path: Path = NAMES,
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
    names_yaml = load_yaml_file(names_path)
    names, problems = validate_names(names_yaml.data, ranges)
    if names is None:
        raise ConfigError([f"{names_yaml.locate(loc)}: {msg}" for loc, msg in problems])
    return {
        "ranges": dump(ranges),
        "notes": notes.model_dump(mode="json", exclude_none=True),
        "headers": headers.model_dump(mode="json"),
        "names": names.model_dump(mode="json", by_alias=True),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"  # keeps the YAML order


def stale_outputs(outputs: dict[Path, str]) -> list[Path]:
    return [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write_or_check(outputs: dict[Path, str], argv: list[str], command: str) -> int:
    """Rewrite the stale generated files, or with ``--check`` only say which are stale."""
    stale = stale_outputs(outputs)
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run python -m {command}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


def data_outputs() -> dict[Path, str]:
    """The compiled reference data, as it should be on disk."""
    return {COMPILED: render(compile_data(shipped_ranges_path()))}


def build(outputs: Callable[[], dict[Path, str]], argv: list[str], command: str) -> int:
    """Make ``outputs`` (exit 2 if the shipped data is invalid), then write or check them."""
    try:
        made = outputs()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return write_or_check(made, argv, command)


def main(argv: list[str]) -> int:
    return build(data_outputs, argv, "b12check.core.build")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
