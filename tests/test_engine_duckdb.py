"""``scan --engine duckdb`` writes the bytes the Python path writes: generated long, lab-range
and wide files (tests, units, sexes, ages, censored and edge values, overlays, guidelines),
compressed and Parquet input, and the runs it must hand back to the Python path."""

import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.refdata import load_reference
from tests.conftest import REPO, invoke, run_cli
from tests.test_sql_differential import AGE_AND_SEX, SPECIAL_VALUES, UNIT_SPELLINGS

duckdb = pytest.importorskip("duckdb", reason="duckdb is a test dependency")

REFERENCE = load_reference(())
ANALYTES = list(REFERENCE.analytes.values())
NAMES = [n for a in ANALYTES for n in (a.name, a.id, *a.aliases[:2], *a.loinc[:1])]
NAMES += ["Sodium", "UIBC", "1990-1", "Vitamin\xa0D", ""]
CUTS = sorted(
    {repr(c) for a in ANALYTES for u in a.factors for c in a.scale(None, u, None, None).cuts}
)
UNITS = sorted({u for a in ANALYTES for u in a.factors}) + list(UNIT_SPELLINGS[:8]) + [""]
SEXES = ["", "", "", "F", "male", "x"]
AGES = ["", "", "", "40", "17", "abc"]
DATES = ["2024-01-02", "2024-01-02", "", "2023-02-30", "03/04/2024"]
LAB = ["", "", "15-150", "200 - 900", "<5", "x"]
FLAGS = ["", "", "H", "L", "N"]


@st.composite
def long_row(draw: st.DrawFn) -> list[str]:
    number = draw(
        st.one_of(
            st.sampled_from(CUTS),
            st.integers(0, 3000).map(str),
            st.floats(0, 500, allow_nan=False).map(lambda x: f"{x:.2f}"),
            st.sampled_from(SPECIAL_VALUES),
        )
    )
    cmp = draw(st.sampled_from(["", "", "", "<", ">", "<=", ">="]))
    return [
        draw(st.sampled_from(["P1", "P2", "=cmd", "Ann, B"])),
        draw(st.sampled_from(DATES)),
        draw(st.sampled_from(SEXES)),
        draw(st.sampled_from(AGES)),
        draw(st.sampled_from(NAMES)),
        cmp + number,
        draw(st.sampled_from(UNITS)),
        draw(st.sampled_from(LAB)),
        draw(st.sampled_from(FLAGS)),
    ]


LONG = ["patient_id", "collected", "sex", "age", "test", "result", "unit", "ref_range", "flag"]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _same(path: Path, *options: str, engine_runs: bool = False) -> str:
    """The engine's output, checked equal to the Python path's; ``engine_runs``: and the
    engine itself wrote it (no hand-back to the Python path), so the check is not vacuous."""
    python = invoke("scan", str(path), *options)
    engine = invoke("scan", str(path), "--engine", "duckdb", *options)
    assert engine.stdout == python.stdout
    assert engine.exit_code == python.exit_code
    # (a run the engine cannot honour exactly goes the Python path and says so)
    said = [x for x in engine.stderr.splitlines(True) if "scanning with the Python path" not in x]
    assert "".join(said) == python.stderr
    if engine_runs:
        assert "scanning with the Python path" not in engine.stderr
    return engine.stdout


def _commas(rows: list[list[str]], column: int | None = 5) -> bool:
    """Whether a value (the long layout's result cell, or any cell) holds a comma: a file
    that may write decimal commas is handed back to the Python path."""
    return any(
        "," in cell
        for row in rows
        for cell in (row if column is None else row[column : column + 1])
    )


OPTIONS = [
    ("--format", "csv"),
    ("--format", "tsv"),
    ("--format", "csv", "--lab-ranges", "ignore"),
    ("--format", "csv", "--guideline", "endocrine-society-2011"),
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(long_row(), min_size=1, max_size=40), which=st.integers(0, 3))
def test_a_long_file_gives_the_python_paths_bytes(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], which: int
) -> None:
    path = tmp_path_factory.mktemp("long") / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    _same(path, *OPTIONS[which], engine_runs=not _commas(rows))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(long_row(), min_size=1, max_size=30))
def test_an_overlay_gives_the_python_paths_bytes(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    folder = tmp_path_factory.mktemp("overlay")
    overlay = folder / "overlay.yaml"
    overlay.write_text(AGE_AND_SEX, encoding="utf-8")
    path = folder / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    _same(path, "--format", "csv", "--ranges", str(overlay), engine_runs=not _commas(rows))


WIDE = [
    "patient_id",
    "collected",
    "Vitamin B12 (pmol/L)",
    "Ferritin (ng/mL)",
    "Iron (umol/L)",
    "Magnesium (mg/dL)",
    "Sodium (mmol/L)",
]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(["", "", "90", "<50", "16", "26.3", "0.41", "1,5", "abc"]),
            min_size=5,
            max_size=5,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_a_wide_file_gives_the_python_paths_bytes(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    path.write_text(_csv(WIDE, [["P1", "2024-01-02", *r] for r in rows]), encoding="utf-8")
    _same(path, "--format", "csv", engine_runs=not _commas(rows, None))


PLAIN = _csv(
    LONG,
    [
        ["P1", "2024-01-02", "", "", "Vitamin B12", "250", "pg/mL", "", ""],
        ["P1", "2024-01-02", "", "", "Ferritin", "12", "ng/mL", "", ""],
        ["P1", "2024-01-02", "", "", "Sodium", "140", "mmol/L", "", ""],
    ],
)


def test_a_gzipped_file_gives_the_records_of_the_plain_one(tmp_path: Path) -> None:
    plain = tmp_path / "labs.csv"
    plain.write_text(PLAIN, encoding="utf-8")
    packed = tmp_path / "labs.csv.gz"
    packed.write_bytes(gzip.compress(PLAIN.encode()))
    want = invoke("scan", str(plain), "--format", "csv").stdout
    got = invoke("scan", str(packed), "--format", "csv", "--engine", "duckdb")
    assert got.stdout == want.replace(str(plain), str(packed))
    assert "Python path" not in got.stderr


def test_parquet_is_read_by_the_engine_and_refused_without_it(tmp_path: Path) -> None:
    plain = tmp_path / "labs.csv"
    plain.write_text(PLAIN, encoding="utf-8")
    table = tmp_path / "labs.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{plain}', all_varchar = true)) TO '{table}' "
        "(FORMAT parquet)"
    )
    got = invoke("scan", str(table), "--format", "csv", "--engine", "duckdb")
    want = invoke("scan", str(plain), "--format", "csv").stdout
    assert got.stdout == want.replace(str(plain), str(table))
    refused = run_cli(["scan", str(table), "--format", "csv"])
    assert refused.returncode == 2
    assert b"--engine duckdb" in refused.stderr and not refused.stdout


@pytest.mark.parametrize(
    "options",
    [
        ("--format", "json"),
        ("--format", "csv", "--sex", "f"),
        ("--format", "csv", "--notes", "brief"),
    ],
)
def test_what_the_engine_cannot_honour_goes_the_python_path_with_a_note(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(PLAIN, encoding="utf-8")
    python = invoke("scan", str(path), *options)
    engine = invoke("scan", str(path), "--engine", "duckdb", *options)
    assert engine.stdout == python.stdout and engine.exit_code == python.exit_code
    assert "scanning with the Python path" in engine.stderr


def test_a_value_over_two_lines_goes_the_python_path(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(PLAIN + 'P2,2024-01-02,,,"Vitamin\nB12",250,pg/mL,,\n', encoding="utf-8")
    engine = invoke("scan", str(path), "--engine", "duckdb", "--format", "csv")
    assert engine.stdout == invoke("scan", str(path), "--format", "csv").stdout
    assert "several lines" in engine.stderr


FILTERED = PLAIN + "P1,2024-01-02,,,Ferritin,,ng/mL,,\n,,,,,abc,,,\n"


@pytest.mark.parametrize(
    "filters",
    [
        ("--only", "results"),
        ("--only", "errors"),
        ("--analyte", "b12"),
        ("--analyte", "ferritin", "--only", "errors"),
    ],
)
def test_filters_are_pushed_into_the_sql_and_the_exit_status_counts_everything(
    tmp_path: Path, filters: tuple[str, ...]
) -> None:
    # (the rule is run/filters.Keep's: --analyte also keeps errors whose test is not told)
    path = tmp_path / "labs.csv"
    path.write_text(FILTERED, encoding="utf-8")
    out = _same(path, "--format", "csv", *filters, engine_runs=True)
    plain = list(csv.DictReader(io.StringIO(invoke("scan", str(path), "-f", "csv").stdout)))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert 0 < len(rows) < len(plain)


def test_a_named_pipe_goes_the_python_path_and_is_read_whole(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "labs.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as handle:
            handle.write(PLAIN)

    writer = threading.Thread(target=feed)
    writer.start()
    done = subprocess.run(
        [sys.executable, "-m", "b12check", "scan", str(fifo), "--engine", "duckdb", "-f", "csv"],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    writer.join()
    assert done.stdout.count(b"\n") == 4  # the header and all three records
    assert b"scanning with the Python path" in done.stderr


def test_the_order_check_stops_at_the_first_line_out_of_place() -> None:
    from b12check.engine.lines import ORDER_ERROR, checked_sql

    rows = "SELECT 'line ' || i AS l, i AS b12_seq FROM range(1, 5001) t(i)"
    conn = duckdb.connect(config={"threads": 1})
    got = conn.execute(checked_sql(rows + " ORDER BY i")).fetchall()
    assert [r[0] for r in got] == [f"line {i}" for i in range(1, 5001)]
    for shuffled in (" ORDER BY i DESC", " WHERE i <> 17 ORDER BY i"):
        with pytest.raises(duckdb.Error, match=ORDER_ERROR):
            conn.execute(checked_sql(rows + shuffled)).fetchall()


def test_lines_out_of_file_order_are_written_sorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a join does not promise order: when the check fails, the run sorts the lines instead)
    from b12check.engine import lines, run

    def shuffled(line: str, checked: bool) -> str:
        if checked:
            return lines.checked_sql(lines.source_sql(line) + " ORDER BY b12_seq DESC")
        return lines.lines_sql(line, checked)

    monkeypatch.setattr(run, "lines_sql", shuffled)
    rows = [["P1", "2024-01-02", "", "", n, v, u, "", ""] for n, v, u in _MIXED]
    path = tmp_path / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    out = _same(path, "--format", "csv", engine_runs=True)
    assert out.count("\n") == len(rows) + 1


_MIXED = [
    ("Vitamin B12", "250", "pg/mL"),
    ("Ferritin", "12", "ng/mL"),
    ("Sodium", "140", "mmol/L"),
    ("Iron", "700", "ug/dL"),  # (outside the usual span: the core's warning, written by SQL)
    ("Vitamin D", "abc", "ng/mL"),
    ("Vitamin B12", "250", "pg/mL"),
]


def test_cells_with_the_separator_the_odd_cell_check_joins_by_give_the_python_bytes(
    tmp_path: Path,
) -> None:
    # (the engine joins a row's cells with U+0001 to look for cells it cannot render; a cell
    # holding that character, or NUL, must still come out as the Python path writes it)
    path = tmp_path / "labs.csv"
    rows = [
        ["P\x011", "2024-01-02", "", "", "Vitamin B12", "250", "pg/mL", "", ""],
        ["P2", "2024-01-02", "", "", "Ferritin", "\x01 12", "ng/mL", "", ""],
        ["\x01=cmd", "2024-01-02", "", "", "Ferritin", "12", "ng/mL ", "", ""],
        ["P4\x00", "2024-01-02", "", "", "Ferritin", "12", "ng/mL", "", ""],
        ["P5", "2024-01-02", "", "", "Ferritin", "12", "ng/mL", "", ""],
    ]
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    _same(path, "--format", "csv")
    _same(path, "--format", "tsv")
