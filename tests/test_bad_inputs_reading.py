"""Bad-input catalogue 60-67: bounded reading, blank files, strict ages and dates, stdin.

Cases that cannot live in git as files (a FIFO, a device, a 1 MiB file of blank lines, a
terminal, a closed stdin) have an empty placeholder fixture and are built by the test.
"""

import csv
import errno
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast
from unittest import mock

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.errors import ConfigError
from b12check.core.evaluate import Settings
from b12check.core.records import Record
from b12check.core.refdata import Reference
from b12check.core.yamlload import MAX_BYTES, load_yaml_file
from b12check.readers import text_stream
from b12check.readers.dates import normalise_date
from b12check.readers.layout import HeaderIndex
from b12check.readers.scanner import Scanner, ScanOptions
from b12check.readers.source import FileProblem, open_source
from tests.conftest import REPO, invoke

BAD = REPO / "tests" / "fixtures" / "bad"
GOOD = str(BAD / "01-utf8-bom.csv")  # 3 normal results at lines 2-4
HEADER = "patient_id,collected,analyte,value,unit\n"
ROW = "P001,2024-01-02,Vitamin B12,500,pg/mL\n"
LINE_ENDS = re.compile(r"\r\n|\r|\n")


def fx(name: str) -> str:
    return str(BAD / name)


def placeholder(name: str) -> None:
    assert (BAD / name).stat().st_size == 0, f"{name} is an empty placeholder fixture"


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, as JavaScript's JSON.parse does."""

    def refuse(constant: str) -> None:
        raise ValueError(f"non-finite number {constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def scan_json(*args: str) -> tuple[int, dict[str, Any], str]:
    result = invoke("scan", *args, "--format", "json")
    assert "Traceback" not in result.stderr
    return result.exit_code, strict_json(result.stdout), result.stderr


def by_line(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {record["line"]: record for record in data["records"]}


def run(args: Sequence[str], **env: str) -> subprocess.CompletedProcess[str]:
    """A real b12check process with a short timeout: a hang fails the test, not the suite."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **env}
    return subprocess.run(
        [sys.executable, "-m", "b12check", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )


# --- 60: ranges paths that are not regular files --------------------------------------------


@pytest.fixture
def not_regular(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(path, what the message calls it) for a FIFO, a character device or a socket."""
    kind = request.param
    if kind == "character device":
        yield "/dev/zero", kind
        return
    with tempfile.TemporaryDirectory() as folder:  # short: a socket path has a length limit
        path = os.path.join(folder, "lab.yaml")
        if kind == "named pipe (FIFO)":
            os.mkfifo(path)
            yield path, kind
        else:
            with socket.socket(socket.AF_UNIX) as server:
                server.bind(path)
                yield path, kind


KINDS = ["named pipe (FIFO)", "character device", "socket"]


@pytest.mark.parametrize("not_regular", KINDS, indirect=True)
@pytest.mark.parametrize(
    "how",
    [
        ("--ranges", "check"),
        ("B12CHECK_RANGES", "scan"),
        ("argument", "ranges validate"),
    ],
)
def test_60_ranges_that_are_not_regular_files_are_refused(
    not_regular: tuple[str, str], how: tuple[str, str]
) -> None:
    """A FIFO used to hang for ever, /dev/zero to read without end: now one line, exit 2,
    and nothing checked."""
    placeholder("60-ranges-not-regular.txt")
    path, kind = not_regular
    given_as, command = how
    if given_as == "--ranges":
        done = run(["check", "b12=300pg/mL", "--ranges", path, "--format", "json"])
    elif given_as == "B12CHECK_RANGES":
        done = run(["scan", GOOD, "--format", "json"], B12CHECK_RANGES=path)
    else:
        done = run(["ranges", "validate", path])
    assert done.returncode == 2
    assert done.stdout == ""  # nothing read, nothing checked
    (line,) = done.stderr.splitlines()
    assert line.removeprefix("b12check: ") == f"{path}: is a {kind}, not a regular file"


def test_60_ranges_directory_in_the_environment_is_refused(tmp_path: Path) -> None:
    done = run(["scan", GOOD, "--format", "json"], B12CHECK_RANGES=str(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 or "Usage:" in done.stderr
    assert "is a directory" in done.stderr and "Traceback" not in done.stderr


def test_60_a_fifo_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    """In-process: a FIFO with no writer would block ``open()``; it must not be opened."""
    fifo = tmp_path / "lab.yaml"
    os.mkfifo(fifo)
    opened = AssertionError("opened")
    with mock.patch("os.open", side_effect=opened), mock.patch("io.open", side_effect=opened):
        with pytest.raises(ConfigError) as caught:
            load_yaml_file(fifo)
    assert caught.value.problems == [f"{fifo}: is a named pipe (FIFO), not a regular file"]


# --- 61: the size cap counts the bytes read, not the size stated -------------------------------


def test_61_cap_is_on_bytes_read_when_the_stated_size_is_zero(tmp_path: Path) -> None:
    """Files in /proc state a size of 0; the cap must still stop the read near MAX_BYTES."""
    placeholder("61-ranges-stated-size.txt")
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(64 * MAX_BYTES)  # 64 MiB, sparse: costs no disk
    real_fstat = os.fstat

    def stated_zero(fd: int) -> os.stat_result:
        fields = list(real_fstat(fd))
        fields[6] = 0  # st_size
        return os.stat_result(fields)

    tracemalloc.start()
    try:
        with mock.patch("os.fstat", stated_zero), pytest.raises(ConfigError) as caught:
            load_yaml_file(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.problems == [
        f"{big}: more than {MAX_BYTES} bytes is over the {MAX_BYTES}-byte limit"
    ]
    assert peak < 4 * MAX_BYTES  # read up to the cap, not the 64 MiB


@pytest.mark.skipif(not Path("/proc/kallsyms").exists(), reason="needs Linux /proc/kallsyms")
def test_61_a_proc_file_over_the_cap_is_refused() -> None:
    path = "/proc/kallsyms"  # states 0 bytes, holds megabytes
    if os.stat(path).st_size != 0 or len(Path(path).read_bytes()) <= MAX_BYTES:
        pytest.skip("this kernel's /proc/kallsyms is not a stated-0, over-1-MiB file")
    done = run(["ranges", "validate", path])
    assert done.returncode == 2 and done.stdout == ""
    limit = f"more than {MAX_BYTES} bytes is over the {MAX_BYTES}-byte limit"
    assert done.stderr == f"{path}: {limit}\n"


def test_61_a_control_character_is_a_located_problem(tmp_path: Path) -> None:
    """PyYAML refuses NUL and other control characters before parsing; that used to escape
    as an internal error (exit 70)."""
    overlay = tmp_path / "nul.yaml"
    overlay.write_bytes(b"version: 1\nanalytes:\n  b12: \x00\n")
    done = run(["ranges", "validate", str(overlay)])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"{overlay}:3:8: character U+0000 is not allowed in YAML\n"


# --- 62: any size of blank lines is an empty file ---------------------------------------------


@pytest.mark.parametrize("blank", ["\n", "\r\n", "\r", " \t\n", ",,,,\r\n", "\t;\r"])
def test_62_a_mebibyte_of_blank_lines_is_an_empty_file(tmp_path: Path, blank: str) -> None:
    placeholder("62-blank-lines-1mib.txt")
    path = tmp_path / "blank.csv"
    path.write_bytes(blank.encode() * ((1 << 20) // len(blank) + 1))
    code, data, stderr = scan_json(str(path), GOOD)
    assert code == 3
    (error,) = [r for r in data["records"] if r["file"] == str(path)]
    assert error["status"] == "error"
    assert error["reason"] == "empty file: no header; no rows of this file were read"
    assert f"{path}: empty file: no header" in stderr
    assert "--column" not in stderr and "no header row found" not in stderr
    assert [r["line"] for r in data["records"] if r["file"] == GOOD] == [2, 3, 4]


def test_62_the_small_blank_lines_fixture_is_still_empty() -> None:
    path = fx("06-blank-lines.csv")
    code, data, _ = scan_json(path)
    assert code == 3
    assert [r["reason"] for r in data["records"]] == [
        "empty file: no header; no rows of this file were read"
    ]


def test_62_rows_after_a_long_blank_start_keep_their_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    blank = "\r\n" * 40_000 + "\n" * 30_000  # well past the first 64 KiB read
    path.write_text(blank + HEADER + ROW, newline="")
    code, data, stderr = scan_json(str(path))
    assert code == 0, stderr
    (record,) = data["records"]
    assert (record["line"], record["flag"]) == (70_002, "normal")


blank_lines = st.lists(
    st.tuples(st.text(" \t,", max_size=6), st.sampled_from(["\n", "\r\n", "\r"])),
    max_size=60,
).map(lambda lines: "".join(text + end for text, end in lines))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blank=blank_lines, chunk=st.integers(4, 40))
def test_62_property_blank_start_of_any_length(blank: str, chunk: int) -> None:
    """Blank lines alone are an empty file; before a header they only move its line number,
    whatever the read size (small reads put the chunk ends everywhere, CRLF splits too)."""
    with mock.patch.multiple(text_stream, PREFIX=chunk, CHUNK=chunk):
        with pytest.raises(FileProblem, match="^empty file"):
            open_source("-", stdin=io.BytesIO(blank.encode()))
        opened = open_source("-", stdin=io.BytesIO((blank + HEADER + ROW).encode()))
        rows = list(opened.rows())
    header_line = len(LINE_ENDS.findall(blank)) + 1
    assert [row.line for row in rows] == [header_line, header_line + 1]
    assert rows[0].cells == HEADER.strip().split(",")


# --- 63: ages read by the strict number grammar ----------------------------------------------


def test_63_age_cells_that_float_would_take() -> None:
    code, data, stderr = scan_json(fx("63-age-digits.csv"))
    assert code == 0, stderr
    records = by_line(data)
    assert sorted(records) == [2, 3, 4, 5, 6, 7, 8]
    for line, text in [(2, "١٧"), (3, "1_7"), (4, "１７"), (5, "nan"), (6, "inf")]:
        record = records[line]
        assert record["age"] is None, text  # float() read these as 17 (or NaN / inf)
        assert record["flag"] == "normal"
        (warning,) = [w for w in record["warnings"] if w.startswith("age")]
        assert repr(text) in warning and "no age used" in warning
    assert records[7]["age"] == 17.0  # 17.0e0: an exponent, as results may have
    assert records[8]["age"] == 40.0 and records[8]["warnings"] == []


def age_csv(cell: str) -> str:
    buffer = io.StringIO()
    # every cell quoted: csv leaves a lone CR unquoted, which any reader takes as a line end
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["patient_id", "collected", "age", "analyte", "value", "unit"])
    writer.writerow(["P001", "2024-01-02", cell, "Vitamin B12", "500", "pg/mL"])
    return buffer.getvalue()


tricky_ages = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8),
    st.sampled_from(["١٧", "1_7", "１７", "nan", "-inf", "Infinity", "1e309", "17.5", "٤٠ years"]),
    st.from_regex(r"[+-]?[0-9]{1,3}([.,][0-9]{1,2})?( years)?", fullmatch=True),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=tricky_ages)
def test_63_property_an_age_is_only_ever_a_plain_ascii_number(
    tmp_path_factory: pytest.TempPathFactory, cell: str
) -> None:
    path = tmp_path_factory.mktemp("age") / "age.csv"
    path.write_text(age_csv(cell), encoding="utf-8", newline="")
    _, data, _ = scan_json(str(path))
    (record,) = data["records"]
    age = record["age"]
    words = cell.split()
    if age is None:
        if words:
            assert any(w.startswith("age") for w in record["warnings"])
        return
    token = words[0]
    assert token.isascii() and "_" not in token
    assert token.lower().lstrip("+-") not in ("nan", "inf", "infinity")
    assert age == float(token.replace(",", "."))
    assert 0 <= age <= 130


# --- 64: dates written with non-ASCII digits ---------------------------------------------------


def test_64_dates_with_non_ascii_digits_are_not_read_as_dates() -> None:
    code, data, stderr = scan_json(fx("64-date-digits.csv"))
    assert code == 0, stderr
    records = by_line(data)
    texts = {2: "٢٠٢٤-٠١-٠٢", 3: "２０２４-01-02", 4: "١٣/٠٤/٢٠٢٤", 5: "０３.０４.２０２４"}
    for line, text in texts.items():
        record = records[line]
        assert record["date"] == text  # kept as written, never 2024-01-02 or 2024-04-13
        (warning,) = record["warnings"]
        assert warning.startswith(f"date {text!r} contains non-ASCII digits")
        assert record["flag"] == "normal"
    assert records[6]["date"] == "2024-01-02" and records[6]["warnings"] == []


@given(text=st.text(max_size=20), fmt=st.sampled_from([None, "%Y %m %d", "%Y-%m-%d"]))
def test_64_property_a_date_read_has_only_ascii_digits(text: str, fmt: str | None) -> None:
    date, warning = normalise_date(text, fmt)
    if warning is None:
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date)
        assert all(c.isascii() for c in text if c.isdigit())


def test_64_strptime_formats_do_not_read_foreign_digits() -> None:
    date, warning = normalise_date("٢٠٢٤ 01 02", "%Y %m %d")
    assert date == "٢٠٢٤ 01 02" and warning is not None and "non-ASCII digits" in warning


# --- 65: a lab range bound too long for a float ------------------------------------------------


@pytest.mark.parametrize("lab_ranges", ["prefer", "show"])
def test_65_an_overflowing_lab_range_is_not_a_range(lab_ranges: str) -> None:
    """``1-999…9`` (400 nines) made an infinite upper edge: JSON with Infinity, or an
    internal error once JSON refuses it. Such a range is not read; the built-in band rules."""
    code, data, stderr = scan_json(fx("65-lab-range-overflow.csv"), "--lab-ranges", lab_ranges)
    assert code == 1, stderr  # B12 300 pg/mL is borderline by the built-in bands
    records = by_line(data)
    for line in (2, 3):
        record = records[line]
        assert (record["flag"], record["band_low"], record["band_high"]) == (
            "borderline",
            180.0,
            350.0,
        )
        assert not [n for n in record["notes"] if n["kind"] == "lab_disagreement"]
    expected = "normal" if lab_ranges == "prefer" else "borderline"
    assert records[4]["flag"] == expected  # a readable range still counts


# --- 66: one Ctrl-D ends input at a terminal -------------------------------------------------


def test_66_one_ctrl_d_at_the_start_of_a_line_ends_input() -> None:
    placeholder("66-tty-one-ctrl-d.txt")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    child = pexpect.spawn(
        sys.executable, ["-m", "b12check", "scan", "-", "--format", "csv"], env=env, timeout=10
    )
    child.expect("reading CSV from the terminal")
    child.send(HEADER.replace("\n", "\r"))
    child.send(ROW.replace("\n", "\r"))
    child.sendeof()  # once: a second Ctrl-D used to be needed
    child.expect(pexpect.EOF, timeout=10)
    child.close()
    output = child.before.decode()
    assert child.exitstatus == 0, output
    assert re.search(r"result,-,2,", output)
    assert "Traceback" not in output


# --- 67: stdin closed, or failing while read --------------------------------------------------


class FailingRaw(io.RawIOBase):
    """A raw stream that hands out ``data`` and then fails with ``error``."""

    def __init__(self, data: bytes, error: OSError) -> None:
        self._data = data
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._data:
            raise self._error
        n = min(len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


def test_67_scan_dash_with_stdin_closed() -> None:
    placeholder("67-stdin-closed.txt")
    done = subprocess.run(
        ["bash", "-c", '"$0" -m b12check scan - --format json <&-', sys.executable],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=30,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    (record,) = strict_json(done.stdout)["records"]
    assert (record["status"], record["file"]) == ("error", "-")
    assert record["reason"].startswith("cannot read: standard input is closed")
    assert "-: cannot read: standard input is closed" in done.stderr
    assert "Traceback" not in done.stderr


def test_67_no_stdin_object_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python sets sys.stdin to None when fd 0 was closed at start-up."""
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(FileProblem, match="^cannot read: standard input is closed$"):
        open_source("-")


def failing_stdin(data: bytes, error: OSError) -> BinaryIO:
    return cast(BinaryIO, io.BufferedReader(FailingRaw(data, error)))


def test_67_a_failing_read_at_open_is_a_file_problem() -> None:
    """What the CLI's stand-in for a closed stdin does: every read fails with EBADF."""
    stdin = failing_stdin(b"", OSError(errno.EBADF, "standard input is closed"))
    with pytest.raises(FileProblem, match="^cannot read: standard input is closed$"):
        open_source("-", stdin=stdin)


def scan_stdin(reference: Reference, stdin: BinaryIO) -> list[Record]:
    scanner = Scanner(Settings(reference), HeaderIndex(reference.headers), ScanOptions(), print, {})
    return [item for item in scanner.scan("-", stdin=stdin) if isinstance(item, Record)]


def test_67_an_io_error_in_the_first_chunk_is_the_file_error(reference: Reference) -> None:
    stdin = failing_stdin((HEADER + ROW).encode(), OSError(errno.EIO, "Input/output error"))
    (record,) = scan_stdin(reference, stdin)
    assert (record.status, record.file, record.line) == ("error", "-", 0)
    assert record.reason == "cannot read: Input/output error; no rows of this file were read"


def test_67_an_io_error_later_ends_the_file_with_one_error(reference: Reference) -> None:
    rows = 3000  # about 120 KB: past the first 64 KiB read
    data = (HEADER + ROW * rows).encode()
    stdin = failing_stdin(data, OSError(errno.EIO, "Input/output error"))
    records = scan_stdin(reference, stdin)
    assert [r.status for r in records] == ["result"] * rows + ["error"]
    assert [r.line for r in records] == list(range(2, rows + 3))
    assert records[-1].reason == "cannot read the rest of the file: Input/output error"
