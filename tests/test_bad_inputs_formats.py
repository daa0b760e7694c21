"""Machine formats stay machine-readable (issue 13): fixtures 40-48 and properties.

- No NaN or Infinity ever reaches output: an overflowing value is an error record, and a
  ranges file with a non-finite edge, span or scale (or a scale whose factor overflows) is
  refused with ``FILE:LINE:COLUMN: reason`` and exit 2.
- Bytes that were not UTF-8 (file names, arguments) are written as ``\\xFF``, never raw.
- JSON and NDJSON escape U+2028, U+2029 and NEL, so every line-splitting reader sees one
  record per line.
- TSV follows the TSV convention (``\\t``, ``\\n``, ``\\r``, ``\\\\``; no quoting).
- ``check --compare`` honours ``--format``, ``--fail-on`` and reports unreadable values.
- Markdown shows links, images and HTML from input as text.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from b12check.core.records import FIELDS
from b12check.render.json_lines import JsonLinesBase, json_text
from tests.conftest import REPO, invoke

BAD = REPO / "tests" / "fixtures" / "bad"
HEADER = ("patient_id", "collected", "analyte", "value", "unit")
MACHINE_FORMATS = ("json", "ndjson", "csv", "tsv")
COMPARE_COLUMNS = [
    "status",
    "line",
    "analyte",
    "value_text",
    "guideline",
    "title",
    "flag",
    "band_label",
    "band",
    "band_source",
    "reason",
]
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # everything str.splitlines() splits at


def fx(name: str) -> str:
    return str(BAD / name)


# ------------------------------------------------------------------ strict readers


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON a strict parser accepts")


def _no_lone_surrogates(value: Any) -> None:
    if isinstance(value, str):
        assert not any("\ud800" <= char <= "\udfff" for char in value), value
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_lone_surrogates(key)
            _no_lone_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _no_lone_surrogates(item)


def strict_json(raw: bytes) -> Any:
    """Parse as JavaScript's JSON.parse would accept it: UTF-8, no NaN/Infinity, and no lone
    surrogate written as a ``\\udXXX`` escape either."""
    text = raw.decode("utf-8")  # raises on invalid UTF-8 (a raw lone surrogate)
    data = json.loads(text, parse_constant=_no_constant)
    _no_lone_surrogates(data)
    return data


def ndjson_records(raw: bytes) -> list[Any]:
    """One record per line, whether the reader splits bytes or text."""
    by_bytes = raw.splitlines()
    by_text = raw.decode("utf-8").splitlines()
    assert len(by_bytes) == len(by_text)
    return [strict_json(line) for line in by_bytes]


def csv_table(raw: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows and all(len(row) == len(rows[0]) for row in rows), rows
    return rows


def tsv_table(raw: bytes) -> list[list[str]]:
    """Plain TSV reading: split lines at LF, cells at tabs (as cut, awk or a naive loop do)."""
    text = raw.decode("utf-8")
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert len(lines) == len(raw.splitlines())  # no CR either
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == len(rows[0]) for row in rows), rows
    return rows


def tsv_unescape(cell: str) -> str:
    out = []
    chars = iter(cell)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[following])
        else:
            out.append(char)
    return "".join(out)


def assert_machine_readable(run: Callable[[str], bytes], header: Sequence[str]) -> None:
    """Every machine format of one run parses strictly and has the same number of records."""
    data = strict_json(run("json"))
    count = len(data["records"] if "records" in data else data["comparisons"])
    assert len(ndjson_records(run("ndjson"))) == count
    csv_rows = csv_table(run("csv"))
    assert csv_rows[0] == list(header) and len(csv_rows) == count + 1
    tsv_rows = tsv_table(run("tsv"))
    assert tsv_rows[0] == list(header) and len(tsv_rows) == count + 1


def cli_bytes(*args: str) -> bytes:
    result = invoke(*args)
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout_bytes


def process(
    args: Sequence[str | bytes], cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "b12check", *args],
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


# ------------------------------------------------------------------ 40-44: non-finite numbers


def test_40_overflowing_values_are_error_records() -> None:
    path = fx("40-overflow-values.csv")
    result = invoke("scan", path, "--format", "json")
    assert result.exit_code == 3
    data = strict_json(result.stdout_bytes)
    by_line = {r["line"]: r for r in data["records"]}
    for line, text in ((2, "1e309"), (3, "-1e309"), (5, "<1e400")):
        record = by_line[line]
        assert record["status"] == "error" and record["value"] is None and record["flag"] is None
        assert record["reason"] == f"{text!r} overflows: it is not a finite number"
    # a finite number whose conversion to the canonical unit overflows
    assert by_line[4]["status"] == "error"
    assert by_line[4]["reason"] == "1.5e308 pmol/L is too large to convert to pg/mL (it overflows)"
    assert by_line[6]["status"] == "result" and by_line[6]["flag"] == "normal"
    assert f"{path}:2: [value] '1e309' overflows: it is not a finite number" in result.stderr
    assert len(result.stderr.splitlines()) == 4
    ndjson = invoke("scan", path, "--format", "ndjson").stdout_bytes
    assert b"Infinity" not in ndjson and b"NaN" not in ndjson


def test_40_typed_overflow_is_an_error_record() -> None:
    result = invoke("check", "b12=1e309", "d=-1e309 ng/mL", "tsat=30", "--format", "json")
    assert result.exit_code == 3
    records = strict_json(result.stdout_bytes)["records"]
    assert [r["status"] for r in records] == ["error", "error", "result"]
    assert "argv:1: '1e309' overflows: it is not a finite number" in result.stderr


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "41-ranges-infinite-edge.yaml",
            [
                ":6:17: range: Value error, '1e309' overflows: it is not a finite number",
                ":7:17: range: Value error, '1e309' overflows: it is not a finite number",
            ],
        ),
        (
            "42-ranges-infinite-span.yaml",
            [
                ":4:16: plausible: Value error, '1e400' overflows: it is not a finite number",
                ":5:15: expected: Value error, '-1e999' overflows: it is not a finite number",
            ],
        ),
        (
            "43-ranges-scale-overflow.yaml",
            [
                ":3:36: unit 'pmol/L' (for 'pg/mL'): its scale gives a factor of inf to the "
                "canonical unit, which is not a usable (finite, non-zero) number"
            ],
        ),
        (
            "44-ranges-scale-not-finite.yaml",
            [
                ":3:36: scale: Input should be a finite number",
                ":4:36: scale: Input should be greater than 0",
            ],
        ),
    ],
)
def test_41_44_ranges_with_non_finite_numbers_are_refused(
    fixture: str, expected: list[str]
) -> None:
    path = fx(fixture)
    validated = invoke("ranges", "validate", path)
    assert validated.exit_code == 2 and validated.stdout == ""
    assert validated.stderr.splitlines() == [path + line for line in expected]
    # loading it as an overlay refuses it the same way, before anything is checked
    for args in (("check", "b12=300pg/mL", "vitamin_d=30ng/mL"), ("scan", fx("01-utf8-bom.csv"))):
        used = invoke(*args, "--ranges", path, "--format", "json")
        assert used.exit_code == 2 and used.stdout == ""
        assert path + expected[0] in used.stderr


def test_43_a_scale_that_overflows_no_longer_classifies_nan(tmp_path: Path) -> None:
    """The issue's case: an overlay scale of 1e308 made a pmol/L value NaN, which passed the
    plausibility check. A scale whose factor vanishes is refused too."""
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("version: 1\nunits:\n  pmol/L: {kind: substance, scale: 1.0e-323}\n")
    for overlay in (fx("43-ranges-scale-overflow.yaml"), str(tiny)):
        result = invoke("check", "b12=300pmol/L", "--ranges", overlay, "--format", "json")
        assert result.exit_code == 2 and result.stdout == ""
        assert "not a usable (finite, non-zero) number" in result.stderr


def test_json_can_never_hold_nan_or_infinity() -> None:
    """Belt and braces: were a non-finite number to reach a JSON writer, it would refuse it
    rather than write JSON that JavaScript's JSON.parse rejects."""
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError):
            json_text({"value": bad})
        with pytest.raises(ValueError):
            JsonLinesBase(io.StringIO()).number(bad)
    assert JsonLinesBase(io.StringIO()).number(0.72) == "0.72"


# ------------------------------------------------------------------ 45: line separators


def test_45_line_separators_are_escaped_in_json_and_ndjson() -> None:
    path = fx("45-line-separators.csv")
    patients = ["P001\u2028P002", "P003\u2029P004", "P005\u0085P006", "P007"]
    raw = invoke("scan", path, "--format", "ndjson").stdout_bytes
    for escape in (b"\\u2028", b"\\u2029", b"\\u0085"):
        assert escape in raw
    for char in ("\u2028", "\u2029", "\u0085"):
        assert char.encode() not in raw
    records = ndjson_records(raw)
    assert [r["patient"] for r in records] == patients  # the text itself, once parsed
    data = strict_json(invoke("scan", path, "--format", "json").stdout_bytes)
    assert [r["patient"] for r in data["records"]] == patients
    assert not any(char in line for line in raw.decode().split("\n") for char in LINE_BREAKS)


# ------------------------------------------------------------------ 46: TSV convention


def test_46_tsv_uses_backslash_escapes_not_quotes() -> None:
    path = fx("46-tsv-specials.csv")
    result = invoke("scan", path, "--format", "tsv")
    assert result.exit_code == 0
    rows = tsv_table(result.stdout_bytes)
    assert rows[0] == list(FIELDS) and len(rows) == 8
    patient = FIELDS.index("patient")
    assert [row[patient] for row in rows[1:]] == [
        "P001\\tA",
        "P002\\nB",
        "P003\\\\n",
        "C:\\\\lab\\\\P004",
        "'=1+1",
        "P006\\n'@SUM(A1)",
        'P007 "quoted"',
    ]
    assert [tsv_unescape(row[patient]) for row in rows[1:]] == [
        "P001\tA",
        "P002\nB",
        "P003\\n",
        "C:\\lab\\P004",
        "'=1+1",
        "P006\n'@SUM(A1)",
        'P007 "quoted"',
    ]
    assert [row[FIELDS.index("line")] for row in rows[1:]] == ["2", "3", "5", "6", "7", "8", "10"]


def test_46_csv_is_unchanged() -> None:
    result = invoke("scan", fx("46-tsv-specials.csv"), "--format", "csv")
    rows = csv_table(result.stdout_bytes)
    assert [row[FIELDS.index("patient")] for row in rows[1:]] == [
        "P001\tA",
        "P002\nB",
        "P003\\n",
        "C:\\lab\\P004",
        "'=1+1",
        "P006\n'@SUM(A1)",
        'P007 "quoted"',
    ]
    assert '"P007 ""quoted"""' in result.stdout


def test_46_tsv_fast_lane_and_full_path_agree(tmp_path: Path) -> None:
    """Many rows of one kind take the scan fast lane; their cells follow the same convention."""
    source = tmp_path / "many.csv"
    rows = [f'"P{n}\t\\x",2025-01-10,Vitamin B12,{400 + n},pg/mL\n' for n in range(300)]
    source.write_text(",".join(HEADER) + "\n" + "".join(rows), encoding="utf-8")
    table = tsv_table(cli_bytes("scan", str(source), "--format", "tsv"))
    assert len(table) == 301
    assert {row[FIELDS.index("patient")] for row in table[1:]} == {
        f"P{n}\\t\\\\x" for n in range(300)
    }


# ------------------------------------------------------------------ 47: Markdown


MARKDOWN_47 = [
    "[click me](http://evil.example/x)",
    "![x](http://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<http://evil.example/auto>",
    "see http://evil.example/raw now",
    "www.evil.example/w",
    "&lt;b&gt; &amp; &#x3C;i>",
    "**bold** _em_ ~~gone~~ `code`",
    "[ref]: http://evil.example/ref",
]


def test_47_markdown_shows_links_images_and_html_as_text() -> None:
    result = invoke("scan", fx("47-markdown-links.csv"), "--format", "markdown")
    assert result.exit_code == 0
    out = result.stdout
    assert "http://" not in out and "www." not in out  # no bare URL left to linkify
    html = MarkdownIt("commonmark").enable("table").render(out)
    table = html[: html.index("</table>")]  # (the disclaimer under it is in italics)
    for tag in ("<a ", "<img", "<script", "<em>", "<strong>", "<code>", "<s>", "<del>"):
        assert tag not in table
    # and each pasted text still reads as it was typed once rendered
    import html as html_module

    shown = html_module.unescape(html)
    for text in MARKDOWN_47:
        assert f"<td>{text}</td>" in shown


def test_47_markdown_in_notes_and_errors_is_escaped_too() -> None:
    result = invoke("check", "[x](http://e.example)=5", "b12=<img src=x>", "--format", "markdown")
    html = MarkdownIt("commonmark").enable("table").render(result.stdout)
    assert "<a " not in html and "<img" not in html and "http://" not in result.stdout


# ------------------------------------------------------------------ 48: bytes that are not UTF-8


def test_48_undecodable_file_name_is_escaped_in_every_format(tmp_path: Path) -> None:
    name = b"r\xff\xfe.csv"
    shutil.copy(fx("48-undecodable-name.csv"), tmp_path / os.fsdecode(name))
    shown = "r\\xFF\\xFE.csv"
    for fmt in (*MACHINE_FORMATS, "markdown"):
        done = process([b"scan", name, b"--format", fmt.encode()], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        text = done.stdout.decode("utf-8")  # valid UTF-8: no raw 0xFF
        if fmt == "json":
            assert {r["file"] for r in strict_json(done.stdout)["records"]} == {shown}
        elif fmt == "ndjson":
            assert {r["file"] for r in ndjson_records(done.stdout)} == {shown}
        elif fmt == "csv":
            assert {row[1] for row in csv_table(done.stdout)[1:]} == {shown}
        elif fmt == "tsv":
            assert {tsv_unescape(row[1]) for row in tsv_table(done.stdout)[1:]} == {shown}
        # with -o the same text is written to the file (before: UnicodeEncodeError, exit 70)
        target = tmp_path / f"out.{fmt}"
        done = process(
            [b"scan", name, b"--format", fmt.encode(), b"-o", str(target).encode()], cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        assert target.read_bytes().decode("utf-8") == text


def test_48_undecodable_argument_is_escaped() -> None:
    done = process([b"check", b"b12=5\xff", b"--format", b"json"])
    assert done.returncode == 3
    (record,) = strict_json(done.stdout)["records"]
    assert record["value_text"] == "5\\xFF"
    for fmt in ("ndjson", "csv", "tsv", "markdown"):
        out = process([b"check", b"b12=5\xff", b"--format", fmt.encode()]).stdout
        out.decode("utf-8")  # no raw 0xFF
        if fmt != "markdown":  # (which shows only the reason of a value it could not read)
            assert b"5\\xFF" in out.replace(b"\\\\", b"\\")


# ------------------------------------------------------------------ check --compare


def compare(*args: str) -> Any:
    return invoke("check", *args, "--compare")


def test_compare_json_and_ndjson() -> None:
    result = compare("d=25ng/mL", "b12=abc", "--format", "json")
    assert result.exit_code == 3
    data = strict_json(result.stdout_bytes)
    rows = data["comparisons"]
    assert [(r["status"], r["line"], r["guideline"]) for r in rows] == [
        ("result", 1, "iom-2011"),
        ("result", 1, "endocrine-society-2011"),
        ("error", 2, None),
    ]
    assert rows[2]["reason"] == "'abc' is not a number" and rows[2]["flag"] is None
    assert "Not medical advice" in data["disclaimer"]
    assert result.stderr == "argv:2: 'abc' is not a number\n"

    result = compare("d=25ng/mL", "b12=abc", "--format", "ndjson")
    lines = ndjson_records(result.stdout_bytes)
    assert [(r["status"], r["guideline"]) for r in lines] == [
        ("result", "iom-2011"),
        ("result", "endocrine-society-2011"),
        ("error", None),
    ]
    assert result.exit_code == 3 and result.stderr == "argv:2: 'abc' is not a number\n"


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_compare_delimited(fmt: str) -> None:
    result = compare("mg=0.8mmol/L", "--format", fmt)
    assert result.exit_code == 1  # low-normal and deficient under two of the guidelines
    rows = csv_table(result.stdout_bytes) if fmt == "csv" else tsv_table(result.stdout_bytes)
    assert rows[0] == COMPARE_COLUMNS
    flags = [row[COMPARE_COLUMNS.index("flag")] for row in rows[1:]]
    assert flags == ["borderline", "normal", "deficient"]
    assert "┃" not in result.stdout  # not the table


def test_compare_markdown() -> None:
    result = compare("d=25ng/mL", "x=1", "--format", "markdown")
    assert result.exit_code == 3
    out = result.stdout
    assert out.startswith("| Value | Guideline | Flag | Reference band | Source |\n|---|")
    assert "| vitamin\\_d=25ng/mL | endocrine-society-2011 | insufficient | 20–30 ng/mL |" in out
    assert "**Values that could not be read**" in out and "argv:2: unknown test 'x'" in out
    assert "Not medical advice" in out and "┃" not in out
    assert result.stderr.startswith("argv:2: unknown test 'x'")


def test_compare_table_stays_a_table() -> None:
    result = invoke("check", "d=25ng/mL", "--compare", env={"COLUMNS": "150"})
    assert result.exit_code == 1
    assert "endocrine-society-2011" in result.stdout and "┃" in result.stdout
    assert "insufficient" in result.stdout and "Not medical advice" in result.stdout


@pytest.mark.parametrize(
    ("values", "fail_on", "code"),
    [
        (("b12=500pg/mL",), "any", 0),  # normal under every B12 guideline
        (("d=25ng/mL",), "any", 1),  # borderline under the Endocrine Society's
        (("d=25ng/mL",), "never", 0),
        (("d=25ng/mL",), "critical", 0),
        (("mg=0.3mmol/L",), "critical", 1),  # critical_low
        (("mg=0.3mmol/L", "b12=abc"), "never", 3),  # unreadable wins, as in check
    ],
)
def test_compare_exit_status_follows_fail_on(
    values: tuple[str, ...], fail_on: str, code: int
) -> None:
    for fmt in ("table", "json", "csv"):
        result = compare(*values, "--fail-on", fail_on, "--format", fmt)
        assert result.exit_code == code, (fmt, result.stdout, result.stderr)


def test_compare_quiet_keeps_stderr_empty() -> None:
    result = compare("b12=abc", "--format", "json", "--quiet")
    assert result.exit_code == 3 and result.stderr == ""


# ------------------------------------------------------------------ properties

# Text of every kind: any Unicode (control characters included), lone surrogates as
# surrogateescape makes them from bytes that are not UTF-8, and the characters that break
# machine formats, in many combinations.
TRICKY = ",;|\"'\t\r\n\\\x00\x0b\x0c\x1c\x85\u2028\u2029=+-@<>[]()!*_#&`\u202e\x1b"
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(TRICKY + "ab1 .")),
    st.binary().map(os.fsdecode),
    st.lists(
        st.one_of(
            st.sampled_from(list(TRICKY)), st.characters(), st.binary(max_size=3).map(os.fsdecode)
        ),
        max_size=12,
    ).map("".join),
)


def _as_bytes(text: str) -> bytes:
    """The bytes a text stands for: surrogateescape's back to the bytes they came from, any
    other lone surrogate as its (invalid) UTF-8 form."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


cell_bytes = st.one_of(any_text.map(_as_bytes), st.binary())
PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)


def _quoted(cell: bytes) -> bytes:
    return b'"' + cell.replace(b'"', b'""') + b'"'


@PROPERTY
@given(
    role=st.sampled_from(range(len(HEADER))),
    cell=cell_bytes,
    fast=st.booleans(),
)
def test_any_cell_keeps_machine_formats_readable(role: int, cell: bytes, fast: bool) -> None:
    """Any bytes in any cell of an export (test name, patient, unit, value, date)."""
    good = [b"P001", b"2025-01-10", b"Vitamin B12", b"500", b"pg/mL"]
    row = list(good)
    row[role] = cell
    lines = [",".join(HEADER).encode()]
    lines += [b",".join(_quoted(c) for c in row)]
    if fast:  # rows of one kind around it, so the fast lane renders some of the file
        lines += [b",".join(good)] * 3 + [b",".join(_quoted(c) for c in row)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cells.csv"
        path.write_bytes(b"\n".join(lines) + b"\n")
        assert_machine_readable(lambda fmt: cli_bytes("scan", str(path), "--format", fmt), FIELDS)


@PROPERTY
@given(name=st.binary(min_size=1, max_size=30).filter(lambda b: b"\x00" not in b and b"/" not in b))
def test_any_file_name_keeps_machine_formats_readable(name: bytes) -> None:
    """Any bytes as a file name, handed over as Python gets them from argv (surrogateescape);
    a name that exists and one that does not."""
    if name in (b".", b".."):
        name += b"x"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(os.fsencode(folder), name)
        shutil.copy(os.fsencode(fx("48-undecodable-name.csv")), path)
        missing = os.fsdecode(path + b".missing")
        args = (os.fsdecode(path), missing)
        assert_machine_readable(lambda fmt: cli_bytes("scan", *args, "--format", fmt), FIELDS)


@PROPERTY
@given(
    name=st.one_of(st.sampled_from(["b12", "d", "ferritin", "tsat"]), any_text),
    value=any_text,
    surrogate=st.characters(categories=["Cs"]),
)
def test_any_typed_argument_keeps_machine_formats_readable(
    name: str, value: str, surrogate: str
) -> None:
    """Any text as a typed NAME=VALUE (including lone surrogates from anywhere), with and
    without --compare."""
    arguments = (f"{name}={value}", f"b12=5{surrogate}", value or "x")
    assert_machine_readable(
        lambda fmt: cli_bytes("check", "--format", fmt, "--", *arguments), FIELDS
    )
    assert_machine_readable(
        lambda fmt: cli_bytes("check", "--compare", "--format", fmt, "--", *arguments),
        COMPARE_COLUMNS,
    )


@settings(max_examples=8, deadline=None)
@given(
    argument=st.binary(min_size=1, max_size=20).filter(lambda b: b"\x00" not in b),
    name=st.binary(min_size=1, max_size=20).filter(
        lambda b: b"\x00" not in b and b"/" not in b and b not in (b".", b"..")
    ),
)
def test_real_process_any_bytes_argument_and_file_name(argument: bytes, name: bytes) -> None:
    """Through a real process: argv bytes as the operating system gives them (a file that
    exists under any name, and any argument, which names no file), written to stdout as
    bytes; every machine format stays strict UTF-8 with one record per line or row."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(os.fsencode(folder), name)
        shutil.copy(os.fsencode(fx("48-undecodable-name.csv")), path)
        missing = os.path.join(os.fsencode(folder), b"missing-" + argument)

        def scan_run(fmt: str) -> bytes:
            done = process([b"scan", path, missing, b"--format", fmt.encode()])
            assert done.returncode == 3, done.stderr  # the missing one is a file error
            return done.stdout

        assert_machine_readable(scan_run, FIELDS)
