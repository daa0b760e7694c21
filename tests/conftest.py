"""Shared helpers: the reference data, a CLI runner, and a real-subprocess runner."""

import io
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from b12check.cli.main import cli
from b12check.core.evaluate import Settings, evaluate
from b12check.core.records import Record
from b12check.core.refdata import Reference, load_reference

REPO = Path(__file__).resolve().parents[1]
# The tests the spec ships, in the order of reference_ranges.yaml.
SPEC_ANALYTES = (
    "b12",
    "vitamin_d",
    "magnesium",
    "ferritin",
    "iron",
    "tibc",
    "tsat",
    "mma",
    "homocysteine",
)
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
# An overlay adding children's ferritin bands beside the adult ones (several test files use it).
CHILD_FERRITIN = """\
analytes:
  ferritin:
    add_bands:
      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Child lab}
      - {range: "[10, 140]", flag: normal, interpretation: N, age: "[0, 18)", source: Child lab}
      - {range: "(140, )", flag: high, interpretation: H, age: "[0, 18)", source: Child lab}
"""


def written(write: Callable[..., Any], *args: Any) -> str:
    """What a ``write_*(..., out)`` function writes, as text."""
    out = io.StringIO()
    write(*args, out)
    return out.getvalue()


def overlay(tmp_path: Path, text: str, name: str = "lab.yaml") -> str:
    """A ranges overlay file holding ``text``; its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def reference() -> Reference:
    return load_reference()


def check_value(
    reference: Reference,
    name: str,
    value: str,
    *,
    sex: str | None = None,
    units_system: str | None = None,
    notes: str = "brief",
) -> Record:
    """Evaluate one typed value the way ``b12check check NAME=VALUE`` does."""
    settings = Settings(reference, sex=sex, units_system=units_system, notes=notes)
    return evaluate(settings, file="argv", line=1, name=name, value_text=value)


NO_CACHE = "B12CHECK_NO_CACHE"  # turns off the scan's cache in front of the core


def _is_scan(args: Sequence[str]) -> bool:
    return next((arg for arg in args if not arg.startswith("-")), None) == "scan"


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process through click's CliRunner (stdout and stderr kept apart).

    Every ``scan`` runs twice, with the cache in front of the core and without it, and the
    two must write the same bytes, diagnostics and exit status."""
    runner = CliRunner()
    cached = runner.invoke(
        cli, list(args), input=input, env={**(env or {}), NO_CACHE: ""}, catch_exceptions=False
    )
    if _is_scan(args):
        uncached = runner.invoke(
            cli, list(args), input=input, env={**(env or {}), NO_CACHE: "1"}, catch_exceptions=False
        )
        assert (cached.stdout_bytes, cached.stderr_bytes, cached.exit_code) == (
            uncached.stdout_bytes,
            uncached.stderr_bytes,
            uncached.exit_code,
        ), "the scan cache changed the output"
    return cached


def run_cli(
    args: Sequence[str],
    *,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m b12check`` as a real process."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **(env or {})}
    full_env.pop("FORCE_COLOR", None)

    def once(cache: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "b12check", *args],
            input=input,
            capture_output=True,
            env={**full_env, NO_CACHE: cache},
            cwd=cwd,
            timeout=120,
            check=False,
        )

    cached = once("")
    if _is_scan(args):  # with and without the cache, as in invoke()
        uncached = once("1")
        assert (cached.stdout, cached.stderr, cached.returncode) == (
            uncached.stdout,
            uncached.stderr,
            uncached.returncode,
        ), "the scan cache changed the output"
    return cached


def first_line_then_close(
    args: Sequence[str], env: dict[str, str] | None = None
) -> tuple[bytes, bytes, int]:
    """Run b12check, read one line of its output, close the pipe as ``| head -1`` would;
    return that line, everything on stderr, and the exit status."""
    with subprocess.Popen(
        [sys.executable, "-m", "b12check", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as producer:
        assert producer.stdout is not None and producer.stderr is not None
        first = producer.stdout.readline()
        producer.stdout.close()
        stderr = producer.stderr.read()
        code = producer.wait(timeout=60)
    return first, stderr, code
