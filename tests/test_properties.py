"""Property tests: hostile long-layout exports and typed values never break b12check's promises.

Generated input: a long export (header ``patient_id,collected,analyte,value,unit``, sometimes
with ``,sex``) written with ``csv.writer`` (so the file is always valid CSV), whose cells mix
real test names, LOINC codes and unit spellings taken from the reference data with hostile
text: control characters (ESC, NUL, CR, bidi overrides, the characters ``str.splitlines``
treats as line ends), rich markup (``[/x]``, ``[link=...]``), emoji codes, spreadsheet formula
leaders (``= + - @`` and TAB), quotes and delimiters, cells of a few KB, empty and blank
cells, censored values, decimal commas, ``nan``/``inf``/``1_000`` and non-ASCII digits; plus
blank rows and one-cell title/footer lines. The properties (README "Reading exports",
"Output records", "What b12check does with bad input", "Exit status"):

1. ``scan - --format json`` never lets an exception or traceback out: exit 0, 1 or 3, and the
   output is JSON.
2. Nothing is lost: per file, results + errors + skipped == records == the records listed, and
   ``rows`` == the non-blank rows written after the header (a blank row has only empty or
   whitespace cells, as ``str.strip`` sees it).
3. ``--format csv`` holds the same records as JSON (status, line, analyte, flag, value and the
   text fields, the latter with line breaks written as LF and a ``'`` before every formula
   leader at the start of a line, after optional spaces); every text cell is formula-safe and
   the numeric columns are numbers or empty.
4. The table never passes an ESC byte from the data: none at all without colour (piped, or
   NO_COLOR=1); with FORCE_COLOR=1 only SGR styling sequences.
5. ``check ferritin=VALUE`` for any text VALUE gives exactly one record, exit 0, 1 or 3.

Two plain tests cover Ctrl-C on a real process (exit 130, ``Interrupted.``) and the
internal-error path with and without ``--debug``.

Hypothesis profiles: by default (CI) each property runs its own small budget (a few hundred
examples across the file, well under 30 s). For a longer local run::

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py

``long`` (5000 examples per property) and ``ci`` (the default budget) are registered here;
a profile is loaded only when HYPOTHESIS_PROFILE names one of them (loading one affects the
whole pytest session, so it is never done implicitly).
"""

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.cli.main import cli
from b12check.core.refdata import load_reference
from tests.conftest import REPO, invoke

# --- Hypothesis profiles -----------------------------------------------------------------------

_COMMON: dict[str, Any] = {
    "deadline": None,  # CliRunner timings vary with machine load; correctness is what counts
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=60, **_COMMON)
settings.register_profile("long", max_examples=5000, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
if PROFILE in ("ci", "long"):
    settings.load_profile(PROFILE)


def budget(ci_examples: int) -> Callable[[Any], Any]:
    """This test's settings: ``ci_examples`` by default, the chosen profile's count when
    HYPOTHESIS_PROFILE=long (or =ci) is set."""
    if PROFILE in ("ci", "long"):
        return settings(settings.get_profile(PROFILE))
    return settings(settings.get_profile("ci"), max_examples=ci_examples)


# --- Generated exports -------------------------------------------------------------------------

REFERENCE = load_reference()
HEADER = ["patient_id", "collected", "analyte", "value", "unit"]
FORMULA_LEADERS = "=+-@\t\r"
TEXT_FIELDS = (
    "file",
    "column",
    "patient",
    "date",
    "sex",
    "analyte",
    "label",
    "value_text",
    "unit",
    "comparator",
    "canonical_unit",
    "flag",
    "band_label",
    "interpretation",
    "band_source",
    "lab_range",
    "lab_flag",
    "reason",
)
NUMERIC_FIELDS = ("line", "age", "value", "band_low", "band_high")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_LINE_END = re.compile(r"\r\n|\r|\n")  # physical lines, as an editor (and README) counts
_C0_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])

TEST_NAMES = sorted(
    {
        name
        for analyte in REFERENCE.analytes.values()
        for name in (analyte.id, *analyte.aliases, *analyte.loinc)
    }
    | {"Folate", "Zinc", "Vitamin Q", "1990-1", "25-OH VITAMIN D", "vit. b-12", "Fe "}
)
UNIT_SPELLINGS = sorted(
    {unit for analyte in REFERENCE.analytes.values() for unit in analyte.factors}
    | set(REFERENCE.unit_index)
    | {"µg/L", "μg/dL", "mcg/L", "ng / ml", "PG/ML", "mEq/L", "IU/L", "mU/L", "g", " %"}
)
HOSTILE = [
    "\x1b[31mred",
    "\x1b]0;pwned\x07",
    "\x1b[2J",
    "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "\x00",
    "\r",
    "\r\n",
    "\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\x7f",
    "\u202e",
    "\u2066",
    "\u200f",
    "\ufeff",
    "[/x]",
    "[link=http://x]y[/link]",
    "[bold red]b[/]",
    "B12 [pmol/L]",
    ":warning:",
    ":smiley:",
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+44 20 7946 0000",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1",
    " =1",
    "\u00a0=1",
    "'=1",
    '"',
    '""',
    ",",
    ";",
    "|",
    "\t",
    "\\",
    "'",
    "QZQLINEQZQ",
    "QZQVALUEQZQ",
    "é",
    "😀",
    "\u3000",
    "%",
    "{}",
    "%s",
]
ODD_VALUES = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1_000",
    "١٢٣",
    "２５０",
    "𝟓",
    "−5",
    "1,450",
    "0,72",
    "45,5",
    "1e3",
    "1e400",
    "1e-400",
    "N/A",
    "pending",
    "QNS",
    "see note",
    "cancelled",
    "haemolysed",
    "-",
    "--",
    "0",
    "-0",
    "+5",
    "0x10",
    "1.",
    ".5",
    "1..2",
    "250 H",
    "250*",
    "250 pg/mL",
    "<",
    ">=",
    "≤",
    "< 5 ng/mL",
    "> 2000",
    "99999999999999999999999",
]
TITLES = [
    "Report generated 2025-01-02",
    "End of report",
    "*** CONFIDENTIAL ***",
    "[b]Lab results[/b]",
    ":warning: preliminary",
    "=1+1",
    "\x1b[31mred title",
    "Page 1 of 1",
]

pieces = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8"), max_size=4),
    st.sampled_from(TEST_NAMES),
    st.sampled_from(ODD_VALUES),
)
hostile = st.lists(pieces, min_size=1, max_size=4).map("".join)
huge = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["A", "=x,", "\x1b[31m", "é", "[b]", "1", '"', "\r\n"]),
    st.integers(1000, 3000),
)
blankish = st.sampled_from(["", " ", "  ", "\t"])


def _number(whole: int, frac: int, style: int) -> str:
    if style == 0:
        return str(whole)
    if style == 1:
        return f"{whole}.{frac}"
    return f"{whole},{frac}"


number = st.builds(_number, st.integers(0, 3000), st.integers(0, 999), st.integers(0, 2))
comparator = st.sampled_from(["", "", "", "<", "<=", ">", ">=", "≤", "≥", "< ", "> "])
glued_unit = st.one_of(st.just(""), st.sampled_from(UNIT_SPELLINGS), st.sampled_from([" H", "*"]))
value_text = st.one_of(
    st.builds(lambda c, n, u: f"{c}{n}{u}", comparator, number, glued_unit),
    st.builds(lambda c, n, u: f"{c}{n} {u}", comparator, number, st.sampled_from(UNIT_SPELLINGS)),
    st.sampled_from(ODD_VALUES),
)


def cell(proper: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly a proper value for the column, sometimes hostile, huge, empty or blank."""
    return st.one_of(proper, proper, proper, hostile, blankish, huge)


patient = cell(st.from_regex(r"P[0-9]{3}", fullmatch=True))
date = cell(
    st.sampled_from(
        ["2025-01-02", "2025-1-2", "14.03.2025", "31/01/2025", "03/04/2025", "2025-13-45", "?"]
    )
)
test_name = cell(st.sampled_from(TEST_NAMES))
value = cell(value_text)
unit = cell(st.sampled_from([*UNIT_SPELLINGS, ""]))
sex = cell(st.sampled_from(["F", "M", "female", "male", "W", "", "X", "unknown"]))
ANALYTES = [REFERENCE.analytes[key] for key in sorted(REFERENCE.analytes)]


@st.composite
def coherent(draw: st.DrawFn) -> tuple[str, str, str]:
    """(test, value, unit) cells that fit together: a name of one test, one of its units and a
    number inside its expected span, sometimes censored, the unit sometimes glued on."""
    analyte = draw(st.sampled_from(ANALYTES))
    name = draw(st.sampled_from([analyte.id, *analyte.aliases, *analyte.loinc]))
    unit_text = draw(st.sampled_from(sorted(analyte.factors)))
    low = analyte.expected.low if analyte.expected.low is not None else 0.0
    high = analyte.expected.high if analyte.expected.high is not None else 10 * low
    canonical = draw(st.floats(low, high))
    digits = draw(st.integers(0, 3))
    number = f"{canonical / analyte.factors[unit_text]:.{digits}f}"
    censor = draw(st.sampled_from(["", "", "", "", "<", ">", "<=", "≥"]))
    if draw(st.booleans()):
        return name, f"{censor}{number} {unit_text}", ""
    return name, f"{censor}{number}", unit_text


@st.composite
def exports(draw: st.DrawFn) -> tuple[str, list[int]]:
    """(CSV text, the lines where its non-blank rows after the header start)."""
    with_sex = draw(st.booleans())
    width = len(HEADER) + with_sex
    data_row = st.tuples(patient, date, test_name, value, unit, sex).map(
        lambda cells: list(cells[:width])
    )
    good_row = st.tuples(patient, date, coherent(), sex).map(
        lambda cells: [cells[0], cells[1], *cells[2], cells[3]][:width]
    )
    any_row = st.one_of(
        good_row,
        data_row,
        good_row,
        data_row,
        st.lists(blankish, min_size=width, max_size=width),  # a blank row
        st.sampled_from(TITLES).map(lambda title: [title]),  # a title or footer line
    )
    rows = draw(st.lists(any_row, max_size=12))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = csv_line(HEADER + ["sex"] * with_sex, line_end)
    starts = []  # the physical line each non-blank row starts on
    for row in rows:
        if any(c.strip() for c in row):
            starts.append(len(_LINE_END.findall(text)) + 1)
        text += csv_line(row, line_end)
    return text, starts


def csv_line(row: list[str], line_end: str) -> str:
    """One CSV record ending in ``line_end``. csv.writer quotes a cell holding CR or LF only
    when that character is in its line terminator, so it writes with CRLF, then swaps."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(row)
    return buffer.getvalue().removesuffix("\r\n") + line_end


# --- Helpers -----------------------------------------------------------------------------------


def scan_json(text: str) -> tuple[Result, dict[str, Any]]:
    result = invoke("scan", "-", "--format", "json", input=text)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.stderr)
    return result, json.loads(result.stdout)


def refused_as_binary(text: str, data: dict[str, Any]) -> bool:
    """The whole file became one "looks like a binary file" error (allowed only for text whose
    first 8 KiB are more than a tenth control bytes)."""
    records = data["records"]
    if len(records) != 1 or "binary" not in (records[0]["reason"] or ""):
        return False
    sample = text.encode("utf-8")[:8192]
    controls = len(sample) - len(sample.translate(None, _C0_CONTROLS))
    assert controls * 10 > len(sample), (records[0], controls, len(sample))
    return True


def csv_cell(text: str) -> str:
    """A text field as the README says CSV writes it: line breaks as LF, and a ``'`` before a
    formula leader at the start of any line (after spaces). A lone ``-`` (stdin's file name,
    "no result") is no formula and stays as it is."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text == "-":
        return text
    return re.sub(r"(?m)^([ \u00a0]*)(?=[=+\-@\t])", r"\1'", text)


def assert_formula_safe(row: Mapping[str, str]) -> None:
    for name, text in row.items():
        if name in NUMERIC_FIELDS:
            if text:
                float(text)
            continue
        assert "\r" not in text, (name, text)
        if text == "-":
            continue
        for line in text.split("\n"):
            stripped = line.lstrip(" \u00a0")
            assert not stripped or stripped[0] not in FORMULA_LEADERS, (name, text)


def table_run(text: str, **env: str | None) -> Result:
    """``scan -`` as a table, 100 columns wide, in an environment without colour settings
    except those given."""
    full: dict[str, str | None] = {
        "COLUMNS": "100",
        "FORCE_COLOR": None,
        "NO_COLOR": None,
        "TTY_COMPATIBLE": None,
        "TTY_INTERACTIVE": None,
        **env,
    }
    result = CliRunner().invoke(cli, ["scan", "-"], input=text, env=full, catch_exceptions=False)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.stderr)
    return result


def process_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"NO_COLOR": "1", "COLUMNS": "100", **overrides})
    return env


# --- 1-5: properties ---------------------------------------------------------------------------


@budget(70)
@given(exports())
def test_scan_never_raises(export: tuple[str, list[int]]) -> None:
    text, _ = export
    result, data = scan_json(text)
    assert "Traceback" not in result.stdout
    assert set(data) == {"records", "summary", "trends", "disclaimer"}


@budget(70)
@given(exports())
def test_scan_accounts_for_every_row(export: tuple[str, list[int]]) -> None:
    text, starts = export
    result, data = scan_json(text)
    records = data["records"]
    assert all(r["file"] == "-" for r in records)
    counts = data["summary"]["files"]["-"]
    assert counts["results"] + counts["errors"] + counts["skipped"] == counts["records"]
    assert counts["records"] == len(records)
    for status, key in (("result", "results"), ("error", "errors"), ("skipped", "skipped")):
        assert counts[key] == sum(r["status"] == status for r in records), key
    if refused_as_binary(text, data):
        assert counts["rows"] == 0
    else:
        assert counts["rows"] == len(starts)
        # a long export holds one value per row: one record per row, on the line it starts
        assert [r["line"] for r in records] == starts
    stderr_lines = result.stderr.splitlines()
    for record in records:
        if record["status"] == "error":
            column = f"[{record['column']}] " if record["column"] else ""
            assert f"-:{record['line']}: {column}{record['reason']}" in stderr_lines


@budget(60)
@given(exports())
def test_csv_matches_json_and_is_formula_safe(export: tuple[str, list[int]]) -> None:
    text, _ = export
    _, data = scan_json(text)
    result = invoke("scan", "-", "--format", "csv", input=text)
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 3)
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    records = data["records"]
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert_formula_safe(row)
        assert int(row["line"]) == record["line"]
        if record["value"] is None:
            assert row["value"] == ""
        else:
            assert math.isclose(float(row["value"]), record["value"], rel_tol=1e-9)
        for name in TEXT_FIELDS:
            assert row[name] == csv_cell(record[name] or ""), (name, row[name], record[name])
        assert row["warnings"] == csv_cell(" | ".join(record["warnings"]))


@budget(40)
@given(exports())
def test_table_passes_no_escape_sequences(export: tuple[str, list[int]]) -> None:
    text, _ = export
    for plain in (table_run(text), table_run(text, NO_COLOR="1")):
        assert "\x1b" not in plain.stdout
        assert "\x1b" not in plain.stderr
    coloured = table_run(text, FORCE_COLOR="1")
    assert "\x1b" not in _SGR.sub("", coloured.stdout)
    assert "\x1b" not in _SGR.sub("", coloured.stderr)


@budget(80)
@given(st.one_of(value_text, hostile, huge, st.text(st.characters(codec="utf-8"), max_size=20)))
def test_typed_value_is_one_record(typed: str) -> None:
    result = invoke("check", f"ferritin={typed}", "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.stderr)
    data = json.loads(result.stdout)
    assert len(data["records"]) == 1
    assert data["summary"]["records"] == 1


def test_tab_padded_blank_rows_keep_the_header() -> None:
    """Regression, found by test_scan_accounts_for_every_row: a valid comma CSV whose blank
    rows carry a tab (``,,,,<TAB>``) and outnumber its data rows made the sniffer pick tab,
    find no header and lose every row."""
    text = ",".join(HEADER) + "\nP1,2025-01-02,B12,250,pg/mL\n" + ",,,,\t\n" * 3
    _, data = scan_json(text)
    assert data["summary"]["files"]["-"]["rows"] == 1
    assert [r["status"] for r in data["records"]] == ["result"]


# --- 6-7: a real process -----------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_with_130(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        for n in range(100_000):
            handle.write(f"P{n:06d},2025-01-10,Vitamin B12,{400 + n % 500},pg/mL\n")
    with subprocess.Popen(
        [sys.executable, "-m", "b12check", "scan", str(big), "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=process_env(),
    ) as process:
        assert process.stdout is not None
        first = process.stdout.read(4096)  # it has produced output; the pipe fills behind it
        assert first.startswith(b"status,file,line")
        time.sleep(0.3)
        assert process.poll() is None, "finished before it could be interrupted"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    text = stderr.decode("utf-8", "replace")
    assert process.returncode == 130, text
    assert "Interrupted." in text
    assert "Traceback" not in text


BOOM = """\
import sys

import b12check.readers.scanner


def boom(*args, **kwargs):
    raise RuntimeError("boom")


b12check.readers.scanner.Scanner.scan = boom
from b12check.cli.main import main

main(sys.argv[1:])
"""


def test_internal_error_is_one_line_unless_debug() -> None:
    good = str(REPO / "tests" / "fixtures" / "bad" / "01-utf8-bom.csv")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", BOOM, "scan", good, *args],
            capture_output=True,
            text=True,
            env=process_env(),
            timeout=60,
            check=False,
        )

    quiet = run("--format", "json")
    assert quiet.returncode == 70, quiet.stderr
    (line,) = quiet.stderr.splitlines()
    assert "internal error (RuntimeError: boom)" in line and "--debug" in line
    assert "Traceback" not in quiet.stderr

    loud = run("--format", "json", "--debug")
    assert loud.returncode != 0
    assert "Traceback" in loud.stderr
    assert "RuntimeError: boom" in loud.stderr
