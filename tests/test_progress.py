"""The progress bar: on stderr at a terminal only, never in the results."""

import sys
from pathlib import Path

import pexpect


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("patient_id,collected,analyte,value,unit\n")
        for n in range(150_000):
            handle.write(f"P{n // 9:05d},2025-01-02,Ferritin,{20 + n % 300},ng/mL\n")
    return path


def test_progress_on_a_terminal_stderr_and_clean_results(tmp_path: Path) -> None:
    path = big_file(tmp_path)
    out = tmp_path / "out.csv"
    command = f"{sys.executable} -m b12check scan {path} --format csv --sex female > {out}"
    child = pexpect.spawn("/bin/sh", ["-c", command], encoding="utf-8", timeout=120)
    child.expect("rows/s")  # the bar, on the terminal's stderr
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus in (0, 1)
    results = out.read_text(encoding="utf-8")
    assert "rows/s" not in results and "\x1b" not in results
    assert len(results.splitlines()) == 150_001


def test_no_progress_when_quiet_or_not_a_terminal(tmp_path: Path) -> None:
    import subprocess

    path = big_file(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "b12check", "scan", str(path), "--format", "csv"],
        capture_output=True,
        check=False,
    )
    assert done.stderr == b""
    command = f"{sys.executable} -m b12check scan {path} --format csv -q > /dev/null"
    child = pexpect.spawn("/bin/sh", ["-c", command], encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    assert "rows/s" not in (child.before or "")
