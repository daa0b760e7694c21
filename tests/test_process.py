"""b12check as a real process: streams kept apart, exit codes, pipes, start-up imports."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO, first_line_then_close, run_cli


def test_python_dash_m_help() -> None:
    done = run_cli(["--help"])
    assert done.returncode == 0
    assert b"Usage: b12check" in done.stdout
    assert done.stderr == b""


def test_results_on_stdout_diagnostics_on_stderr() -> None:
    done = run_cli(["check", "b12=250pg/mL", "b12=250", "--format", "ndjson"])
    assert done.returncode == 3
    lines = done.stdout.decode().splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["result", "error"]
    assert done.stderr.decode().splitlines() == [
        "argv:2: no unit given for Vitamin B12; add one (pg/mL, ng/L, pmol/L) "
        "or pass --units conventional|si"
    ]


def test_no_traceback_on_bad_ranges_file(tmp_path: Path) -> None:
    ranges = tmp_path / "r.yaml"
    ranges.write_text("analytes: [1, 2\n", encoding="utf-8")
    done = run_cli(["check", "ferritin=30", "--ranges", str(ranges)])
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert done.stderr.decode().startswith(f"b12check: {ranges}:")


def test_write_failure_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "b12check", "check", "ferritin=30", "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert done.returncode == 4
    assert done.stderr.decode().strip() == "b12check: cannot write output: No space left on device"


def test_closed_pipe_ends_quietly() -> None:
    values = [f"ferritin={n}" for n in range(20, 3000)]
    first, stderr, code = first_line_then_close(["check", *values, "--format", "ndjson"])
    assert json.loads(first)["analyte"] == "ferritin"
    assert stderr == b""
    assert code == 141


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["check", "b12=250pg/mL", "ferritin=30", "--format", "json"],
    ],
)
def test_start_up_does_not_import_heavy_modules(args: list[str]) -> None:
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['b12check', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('b12check', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('rich', 'pydantic', 'yaml') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=False, cwd=REPO)
    assert b"HEAVY []" in done.stderr, done.stderr.decode()


def test_fast_help_is_what_click_renders_at_80_columns() -> None:
    fast = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv=['b12check','--help']\n"
            "from b12check.cli.entry import main; main()",
        ],
        capture_output=True,
        check=True,
    )
    live = run_cli(["--help", "--help"], env={"COLUMNS": "80"})  # two flags: click renders
    assert fast.stdout == live.stdout
    assert b"Usage: b12check [OPTIONS] COMMAND [ARGS]..." in fast.stdout


@pytest.mark.parametrize(
    "example", ["examples/us-portal-export.csv", "tests/fixtures/fhir/Observation.ndjson"]
)
def test_a_pipe_named_as_a_file_is_read_once_and_whole(tmp_path: Path, example: str) -> None:
    """`scan <(zcat export.gz)` hands over a named pipe: its bytes can be read only once, so
    telling FHIR from CSV must not use up the start of the file (it once made a pipe an
    'empty file')."""
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    data = (REPO / example).read_bytes()
    expected = run_cli(["scan", str(REPO / example), "--format", "ndjson"])
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    done = subprocess.run(
        [sys.executable, "-m", "b12check", "scan", str(fifo), "--format", "ndjson"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    writer.join(timeout=10)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    wanted = [json.loads(line) for line in expected.stdout.splitlines()]
    assert done.returncode == expected.returncode
    assert [(r["status"], r["analyte"], r["flag"]) for r in results] == [
        (r["status"], r["analyte"], r["flag"]) for r in wanted
    ]
