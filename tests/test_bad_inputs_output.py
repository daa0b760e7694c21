"""The bad-input catalogue, cases 32-39: where results go, and how a run ends.

``-o`` never destroys an input and never leaves half a file; closed standard streams, signals
and odd options end with a documented status and one line on stderr, never a traceback and
never a diagnostic on stdout. Every case runs as a real process: descriptors, signals and
rename-over-target behaviour cannot be seen through CliRunner. Fixtures and their commands are
in ``tests/fixtures/bad/MANIFEST.md``.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

BAD = REPO / "tests" / "fixtures" / "bad"
EXPORT = BAD / "32-output-is-input.csv"  # 3 normal results at lines 2-4
OVERLAY = BAD / "33-output-is-ranges.yaml"
PREVIOUS = BAD / "34-previous-output.csv"  # stands for last week's good results


def process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)}
    env.update({"NO_COLOR": "1", "COLUMNS": "100"})
    return env


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``script`` in bash with ``b12check`` meaning this checkout's CLI."""
    prelude = f'b12check() {{ "{sys.executable}" -m b12check "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", prelude + script],
        capture_output=True,
        cwd=cwd,
        env=process_env(),
        timeout=120,
        check=False,
    )


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write might have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def export_copy(folder: Path, name: str = "lab.csv") -> Path:
    target = folder / name
    shutil.copyfile(EXPORT, target)
    return target


def write_long_export(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("patient_id,collected,analyte,value,unit\n")
        for n in range(rows):
            handle.write(f"P{n:06d},2025-01-10,Vitamin B12,{400 + n % 500},pg/mL\n")
    return path


def one_line(stderr: bytes) -> str:
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


# --- 32-33: -o may not be an input ----------------------------------------------------------


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "second input"])
def test_32_output_that_is_an_input_is_refused(tmp_path: Path, how: str) -> None:
    lab = export_copy(tmp_path)
    other = export_copy(tmp_path, "other.csv")
    args = ["scan", str(lab), "-o", str(lab)]
    if how == "symlink":
        (tmp_path / "link.csv").symlink_to(lab)
        args = ["scan", str(lab), "-o", str(tmp_path / "link.csv")]
    elif how == "hard link":
        os.link(lab, tmp_path / "hard.csv")
        args = ["scan", str(lab), "-o", str(tmp_path / "hard.csv")]
    elif how == "second input":
        args = ["scan", str(other), str(lab), "-o", str(lab)]
    done = run_cli(args)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("b12check: -o ") and "is also an input" in line
    assert done.stdout == b""
    assert lab.read_bytes() == EXPORT.read_bytes()  # not truncated
    assert leftovers(tmp_path) == []


def test_32_refused_before_any_input_is_read(tmp_path: Path) -> None:
    """A FIFO nobody writes to would block the first read: the refusal comes before it."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    lab = export_copy(tmp_path)
    done = run_cli(["scan", str(fifo), str(lab), "-o", str(lab)])
    assert done.returncode == 2 and "is also an input" in one_line(done.stderr)
    done = run_cli(["scan", str(fifo), "-o", str(tmp_path / "missing" / "out.csv")])
    assert done.returncode == 4 and "no such folder" in one_line(done.stderr)


def test_32_standard_streams_that_are_an_input(tmp_path: Path) -> None:
    lab = export_copy(tmp_path)
    done = shell("b12check scan - -o lab.csv < lab.csv", tmp_path)
    assert done.returncode == 2 and "also an input (standard input)" in one_line(done.stderr)
    done = shell("b12check scan lab.csv --format csv >> lab.csv", tmp_path)
    assert done.returncode == 2 and "standard output is also an input" in one_line(done.stderr)
    assert lab.read_bytes() == EXPORT.read_bytes()


@pytest.mark.parametrize("command", ["check", "scan"])
def test_33_output_that_is_a_ranges_file_is_refused(tmp_path: Path, command: str) -> None:
    lab = tmp_path / "lab.yaml"
    shutil.copyfile(OVERLAY, lab)
    values = ["b12=300pg/mL"] if command == "check" else [str(export_copy(tmp_path))]
    for args, env in (
        ([command, *values, "--ranges", str(lab), "-o", str(lab)], None),
        ([command, *values, "-o", str(lab)], {"B12CHECK_RANGES": str(lab)}),
    ):
        done = run_cli(args, env=env)
        assert done.returncode == 2, done.stderr
        assert "is also an input" in one_line(done.stderr)
        assert lab.read_bytes() == OVERLAY.read_bytes()
    # the overlay itself is fine: with another target the run works
    done = run_cli([command, *values, "--ranges", str(lab), "-o", str(tmp_path / "out.txt")])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.txt").stat().st_size > 0


# --- 34: the previous file survives anything but a normal end -------------------------------


def wait_for_partial_output(folder: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.stat().st_size > 0 for p in folder.glob("*.part")):
            return
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.005)
    raise AssertionError("no partial output appeared")


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGTERM, 143, "Terminated."),
        (signal.SIGHUP, 129, "Hung up."),
        (signal.SIGINT, 130, "Interrupted."),
    ],
)
def test_34_a_signal_keeps_the_previous_output(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    big = write_long_export(tmp_path / "big.csv", 200_000)
    target = tmp_path / "results.json"
    shutil.copyfile(PREVIOUS, target)
    with subprocess.Popen(
        [sys.executable, "-m", "b12check", "scan", str(big), "--format", "json"]
        + ["--notes", "full", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=process_env(),
    ) as process:
        wait_for_partial_output(tmp_path, process)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert err.decode().strip().splitlines()[-1] == message
    assert out == b""
    assert target.read_bytes() == PREVIOUS.read_bytes()
    assert leftovers(tmp_path) == []


def test_34_a_write_error_keeps_the_previous_output(tmp_path: Path) -> None:
    """A file-size limit (as a quota or a full disk would) stops the write part-way."""
    big = write_long_export(tmp_path / "big.csv", 20_000)
    target = tmp_path / "results.csv"
    shutil.copyfile(PREVIOUS, target)

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    done = subprocess.run(
        [sys.executable, "-m", "b12check", "scan", str(big), "--format", "csv"]
        + ["-o", str(target)],
        capture_output=True,
        env=process_env(),
        preexec_fn=limit_file_size,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4
    assert one_line(done.stderr) == "b12check: cannot write output: File too large"
    assert target.read_bytes() == PREVIOUS.read_bytes()
    assert leftovers(tmp_path) == []


def test_34_a_normal_end_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    shutil.copyfile(PREVIOUS, target)
    target.chmod(0o640)
    done = run_cli(["scan", str(EXPORT), "--format", "csv", "-o", str(target)])
    assert done.returncode == 0 and done.stdout == b"" and done.stderr == b""
    rows = target.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("status,file,line") and len(rows) == 4
    assert target.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
    # through a symlink the file it points to is replaced, and the link stays a link
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    done = run_cli(["check", "b12=500pg/mL", "--format", "csv", "-o", str(link)])
    assert done.returncode == 0
    assert link.is_symlink() and "b12" in target.read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


def test_34_usage_error_keeps_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    shutil.copyfile(PREVIOUS, target)
    bad = tmp_path / "bad.yaml"
    bad.write_text("b12: [unclosed\n", encoding="utf-8")
    done = run_cli(["scan", str(EXPORT), "--ranges", str(bad), "-o", str(target)])
    assert done.returncode == 2
    assert target.read_bytes() == PREVIOUS.read_bytes()
    assert leftovers(tmp_path) == []


# --- 35: two runs at once -------------------------------------------------------------------


def test_35_two_runs_writing_one_file_leave_one_whole_result(tmp_path: Path) -> None:
    first = write_long_export(tmp_path / "first.csv", 30_000)
    second = tmp_path / "second.csv"
    second.write_text(
        first.read_text(encoding="utf-8").replace("Vitamin B12", "B12"), encoding="utf-8"
    )
    expected = set()
    for source in (first, second):
        alone = tmp_path / f"{source.stem}.out"
        assert run_cli(["scan", str(source), "--format", "csv", "-o", str(alone)]).returncode == 0
        expected.add(alone.read_bytes())
    target = tmp_path / "shared.csv"
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "b12check", "scan", str(source), "--format", "csv"]
                + ["-o", str(target)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=process_env(),
            )
            for source in (first, second)
        ]
        for run in runs:
            assert run.wait(timeout=120) == 0
            assert run.stderr is not None and run.stderr.read() == b""
            run.stderr.close()
        result = target.read_bytes()
        assert b"\0" not in result
        assert result in expected
    assert leftovers(tmp_path) == []


# --- 36: -o paths that cannot be written ----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("missing/out.csv", "no such folder 'missing'"),
        ("folder", "is a directory"),
        ("/sys/b12check-results.csv", ""),  # a folder nobody may write, not even root
        ("/dev/full", "No space left on device"),
    ],
)
def test_36_unwritable_output_path(tmp_path: Path, target: str, words: str) -> None:
    (tmp_path / "folder").mkdir()
    done = run_cli(["scan", str(EXPORT), "--format", "csv", "-o", target], cwd=tmp_path)
    assert done.returncode == 4
    line = one_line(done.stderr)
    assert line.startswith("b12check: cannot write output: ") and words in line
    assert done.stdout == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_36_dev_null_is_written_in_place() -> None:
    done = run_cli(["scan", str(EXPORT), "--format", "csv", "-o", os.devnull])
    assert done.returncode == 0 and done.stderr == b""
    assert Path(os.devnull).is_char_device()


# --- 37: closed standard streams ------------------------------------------------------------


def test_37_closed_stdout(tmp_path: Path) -> None:
    for script in (
        f"b12check scan {EXPORT} >&-",
        "b12check check b12=300pg/mL --format json >&-",
        "b12check --version >&-",
        "b12check --help >&-",
    ):
        done = shell(script, tmp_path)
        assert done.returncode == 4, script
        assert one_line(done.stderr) == "b12check: cannot write output: standard output is closed"
    # with -o, a closed stdout does not matter
    done = shell(f"b12check scan {EXPORT} --format csv -o out.csv >&-", tmp_path)
    assert done.returncode == 0 and done.stderr == b""
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == 4


def test_37_closed_stdin(tmp_path: Path) -> None:
    done = shell("b12check scan - --format ndjson <&-", tmp_path)
    assert done.returncode == 3
    assert "standard input is closed" in one_line(done.stderr)
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["status"] == "error" and record["file"] == "-"
    done = shell("b12check check <&-", tmp_path)
    assert done.returncode == 2 and b"no values given" in done.stderr and done.stdout == b""


def test_37_closed_stderr_keeps_stdout_clean(tmp_path: Path) -> None:
    done = shell(f"b12check scan {EXPORT} --format csv 2>&-", tmp_path)
    assert done.returncode == 0
    assert len(done.stdout.decode().splitlines()) == 4
    done = shell("b12check check b12=abc b12=300pg/mL --format json 2>&-", tmp_path)
    assert done.returncode == 3
    data = json.loads(done.stdout)  # no 'argv:1: ...' line inside the JSON
    assert [r["status"] for r in data["records"]] == ["error", "result"]


# --- 38: options that cannot work are usage errors ------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["scan", str(EXPORT), "--date-format", "%Y%Y"], "--date-format"),
        (["check", "b12=300pg/mL", "--age", "nan"], "--age"),
        (["check", "b12=300pg/mL", "--age", "inf"], "--age"),
    ],
)
def test_38_unusable_option_is_a_usage_error(args: list[str], words: str) -> None:
    done = run_cli([*args, "--format", "csv"])
    assert done.returncode == 2
    assert done.stdout == b""  # refused before any output
    assert words in done.stderr.decode() and b"Traceback" not in done.stderr


# --- 39: what reaches a terminal or a non-UTF-8 stream --------------------------------------


def test_39_usage_errors_do_not_pass_escapes_through() -> None:
    hostile = "x\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\u202e"
    done = run_cli(["scan", str(EXPORT), "--column", f"{hostile}=Value"])
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "--column" in err
    done = run_cli(["scan", str(EXPORT), "--ranges", f"/nonexistent/{hostile}.yaml"])
    assert done.returncode == 2
    assert "\x1b" not in done.stderr.decode() and "\u202e" not in done.stderr.decode()


def test_39_machine_formats_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    export = tmp_path / "label.csv"
    export.write_text(
        "patient_id,collected,analyte,value,unit\nP1 ≥ Ω,2025-01-10,Vitamin B12,400,pg/mL\n",
        encoding="utf-8",
    )
    for fmt in ("csv", "json"):
        done = run_cli(["scan", str(export), "--format", fmt], env={"PYTHONIOENCODING": "cp1252"})
        assert done.returncode == 0, done.stderr
        assert "P1 ≥ Ω" in done.stdout.decode("utf-8")
