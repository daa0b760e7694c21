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
from typing import cast

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


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(["", "", "90", "<50", "16", "26.3", "0.41", "abc"]),
            min_size=5,
            max_size=5,
        ),
        min_size=1,
        max_size=20,
    ),
    heads=st.lists(
        st.tuples(
            st.sampled_from(["P1", "P2", "=cmd", "Ann, B"]),
            st.sampled_from(["03/04/2024", "2024-01-02", "", "2023-02-30"]),
        ),
        min_size=20,
        max_size=20,
    ),
    comma=st.booleans(),
)
def test_a_wide_file_gives_the_python_paths_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    heads: list[tuple[str, str]],
    comma: bool,
) -> None:
    # (each row's patient and date drawn too: a date the core reads otherwise, or a cell
    # the SQL cannot write plainly, sends the whole row to the core; a value with a comma,
    # in some files only, hands the whole file back to the Python path)
    if comma:
        rows[0][0] = "1,5"
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    path.write_text(
        _csv(WIDE, [[*head, *r] for head, r in zip(heads, rows, strict=False)]),
        encoding="utf-8",
    )
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


def test_the_order_check_counts_the_rows_out_of_file_order() -> None:
    from b12check.engine.lines import order_sql

    conn = duckdb.connect(config={"threads": 2, "preserve_insertion_order": True})

    def check(order: str, step: int = 1) -> int:
        rows = f"SELECT i * {step} AS b12_seq FROM range(1, 5001) t(i)"
        conn.execute(f"CREATE OR REPLACE TABLE obs AS {rows}{order}")
        got: int = conn.execute(order_sql("obs")).fetchone()[0]
        return got

    assert check(" ORDER BY i") == 0
    assert check(" ORDER BY i", 3) == 0  # (a wide file's places have gaps)
    swapped = " ORDER BY CASE i WHEN 17 THEN 18 WHEN 18 THEN 17 ELSE i END"
    assert check(" ORDER BY i DESC") == 4999  # (each pair of neighbours)
    assert check(swapped) == 1
    assert check(" WHERE i <> 17 ORDER BY i") == 0


def test_two_observations_that_share_a_hash_are_told_apart() -> None:
    # (the rows find their distinct observation by a 64-bit hash of its cells; should two
    # different ones ever share a hash, the run must go the Python path, not merge them)
    from b12check.engine.query import CLASHES_SQL, OBSERVATIONS, keys_sql

    conn = duckdb.connect()

    def clashes(*rows: tuple[str | None, str, str | None]) -> int:
        values = ", ".join(
            f"(1::UBIGINT, {'NULL' if t is None else repr(t)}, {r!r}, "
            f"{'NULL' if u is None else repr(u)})"
            for t, r, u in rows
        )
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {OBSERVATIONS} AS SELECT *, 0 AS k_place "
            f"FROM (VALUES {values}) AS t(b12_h, k_test, k_result, k_unit)"
        )
        conn.execute(keys_sql())
        found: int = conn.execute(CLASHES_SQL).fetchone()[0]
        return found

    same = ("Ferritin", "12", "ng/mL")
    assert clashes(same, same, same) == 0
    assert clashes((None, "12", None), (None, "12", None)) == 0
    assert clashes(same, ("Ferritin", "13", "ng/mL")) == 1
    assert clashes(same, ("Ferritin", "12", None)) == 1  # (a unit in only one of them)
    assert clashes((None, "12", "ng/mL"), same) == 1


def test_a_row_the_core_must_redo_is_never_written_by_the_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (should the marking of the rows the core redoes ever miss one, the run stops before
    # any record is written, rather than write what the SQL cannot render exactly)
    from b12check.engine import run

    monkeypatch.setattr(run.Engine, "_more_risky", lambda self, plan: None)
    path = tmp_path / "labs.csv"
    path.write_text(
        "patient_id,collected,test,result,unit\n"
        "P1,2024-01-02,Ferritin,abc,ng/mL\nP2,2024-01-02,Ferritin,12,ng/mL\n",
        encoding="utf-8",
    )
    got = invoke("scan", str(path), "--engine", "duckdb", "--format", "csv")
    assert got.exit_code == 70
    assert "a row the core must redo was not marked" in got.stderr
    assert got.stdout.count("\n") <= 1  # (the header at most)


def test_a_copy_keeps_order_only_when_duckdb_plans_a_batch_copy() -> None:
    from b12check.engine.lines import keeps_order

    conn = duckdb.connect(config={"threads": 2, "preserve_insertion_order": True})
    conn.execute("CREATE TABLE t AS SELECT i, 'k' || (i % 7) AS k FROM range(300000) t(i)")
    conn.execute("CREATE TABLE one AS SELECT [1, 2] AS xs")
    conn.execute("CREATE TABLE ks AS SELECT 'k' || i AS k, i AS n FROM range(7) t(i)")
    to = "TO '/dev/null' (FORMAT csv)"
    assert keeps_order(conn, f"COPY (SELECT i + one.xs[1] FROM t CROSS JOIN one) {to}")
    assert not keeps_order(conn, f"COPY (SELECT i, n FROM t JOIN ks ON t.k = ks.k) {to}")


def test_lines_out_of_file_order_are_written_sorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a wide file's observations are built once, checked to be in file order and built
    # sorted when not; and when DuckDB plans a COPY that does not keep order, the run sorts
    # the lines instead)
    from b12check.engine import lines, run

    built, sorted_runs = [], []

    def shuffled(build: str, ordered: bool) -> str:
        built.append(ordered)
        return build + (" ORDER BY b12_seq" if ordered else " ORDER BY b12_seq DESC")

    def written(line: str, in_order: bool, every: bool = False) -> str:
        sorted_runs.append(not in_order)
        return lines.lines_sql(line, in_order, every)

    monkeypatch.setattr(run, "wide_table", shuffled)
    monkeypatch.setattr(run, "lines_sql", written)
    wide = tmp_path / "wide.csv"
    wide.write_text(
        "patient_id,Vitamin B12 (pg/mL),Ferritin (ng/mL)\nP1,250,12\nP2,,40\nP3,90,\n",
        encoding="utf-8",
    )
    out = _same(wide, "--format", "csv", engine_runs=True)
    assert out.count("\n") == 5
    assert built and built == [False, True] * (len(built) // 2)  # (every run: once each)
    assert not sorted_runs[-1]
    monkeypatch.setattr(run, "wide_table", run.wide_table)
    monkeypatch.setattr(run, "keeps_order", lambda conn, copy: False)
    sorted_runs.clear()
    assert _same(wide, "--format", "csv", engine_runs=True) == out
    assert sorted_runs[-1]
    rows = [["P1", "2024-01-02", "", "", n, v, u, "", ""] for n, v, u in _MIXED]
    path = tmp_path / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    sorted_runs.clear()
    assert _same(path, "--format", "csv", engine_runs=True).count("\n") == len(rows) + 1
    assert sorted_runs[-1]


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


def _unit_check_rows() -> list[list[str]]:
    """Every test's unit checks probed in every unit the test knows: numbers at each bound,
    just inside and outside it, and a tenth and ten times it."""
    rows = []
    for a in ANALYTES:
        bounds = [b for c in a.unit_checks for b in (c.above, c.below) if b is not None]
        for bound in bounds:
            numbers = {bound, bound * 1.001, bound * 0.999, bound * 10, bound / 10}
            for unit in a.factors:
                for number in sorted(numbers):
                    text = f"{number:.4f}".rstrip("0").rstrip(".")
                    rows.append(["P1", "2024-01-02", "", "", a.name, text, unit, "", ""])
    return rows


def test_unit_checks_in_every_unit_give_the_python_paths_warnings(tmp_path: Path) -> None:
    # (the SQL hands the core only values near a bound of a check in the value's own unit,
    # found by its factor; a value the core warns about must still get the core's warning)
    rows = _unit_check_rows()
    path = tmp_path / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    out = _same(path, "--format", "csv", engine_runs=True)
    assert "is unusual for" in out and "is outside the usual span" in out
    assert len(rows) > 50


@pytest.mark.parametrize("odd", ["=1+2", "+1", "@x", "-5", " 12", "12 ", "1\u00a02", "1\t2", "é"])
def test_an_odd_cell_in_any_column_goes_to_the_core(tmp_path: Path, odd: str) -> None:
    # (a long file's cells are checked once per distinct observation (test, result, unit)
    # or per distinct value of their column (patient, date, lab range and flag), not in
    # every row: each kind of cell the SQL cannot write plainly, in each column)
    rows = [["P1", "2024-01-02", "", "", "Ferritin", "12", "ng/mL", "10-300", "N"]]
    for at in (0, 1, 4, 5, 6, 7, 8):
        row = list(rows[0])
        row[at] = odd
        rows += [row, list(rows[0])]
    path = tmp_path / "labs.csv"
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    assert _same(path, "--format", "csv", engine_runs=True).count("\n") == len(rows) + 1
    _same(path, "--format", "tsv", engine_runs=True)


@pytest.mark.parametrize("odd", ["=1+2", "+1", "@x", "-5", " 12", "12 ", "1\u00a02", "1\t2", "é"])
def test_an_odd_cell_in_any_column_of_a_wide_file_goes_to_the_core(
    tmp_path: Path, odd: str
) -> None:
    # (a wide file's test cells are checked per distinct observation, its patient per
    # distinct value, its date by the date check: not in every row)
    plain = ["P1", "2024-01-02", "250", "", "12"]
    rows = [plain]
    for at in (0, 1, 2, 3, 4):
        row = list(plain)
        row[at] = odd
        rows += [row, list(plain)]
    path = tmp_path / "wide.csv"
    header = ["patient_id", "collected", WIDE_B12, "Vitamin D (ng/mL)", WIDE_FE]
    path.write_text(_csv(header, rows), encoding="utf-8")
    _same(path, "--format", "csv", engine_runs=True)
    _same(path, "--format", "tsv", engine_runs=True)


def test_two_columns_of_one_test_keep_their_own_headers(tmp_path: Path) -> None:
    # (a wide file's distinct observations are kept apart by column, so that the same value
    # of the same test and unit under two headers is written with each one's own header)
    wide = tmp_path / "wide.csv"
    wide.write_text(
        "patient_id,collected,Vitamin B12 (pg/mL),B12 (pg/mL),Ferritin (ng/mL)\n"
        "P1,2024-01-02,250,250,12\nP2,2024-01-02,,300,40\nP3,2024-01-02,300,,\n",
        encoding="utf-8",
    )
    out = _same(wide, "--format", "csv", engine_runs=True)
    assert [c for _, c in _line_numbers(out)][:2] == ["Vitamin B12 (pg/mL)", "B12 (pg/mL)"]


@pytest.mark.parametrize(
    ("rows", "shared_status"),
    [
        # every line a result: the status and file piece is one text, written as text
        (
            [
                ["P1", "2024-01-02", "Vitamin B12", "250", "pg/mL"],
                ["P2", "", "Ferritin", "9", "ug/L"],
            ],
            True,
        ),
        # a result and a test b12check does not cover: that piece differs by observation
        (
            [
                ["P1", "2024-01-02", "Vitamin B12", "250", "pg/mL"],
                ["P1", "2024-01-02", "Sodium", "140", "mmol/L"],
            ],
            False,
        ),
    ],
)
def test_a_piece_every_line_shares_is_written_as_text_and_others_by_observation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]], shared_status: bool
) -> None:
    from b12check.engine import lines, run

    seen: list[dict[str, str]] = []

    def line_sql(items: lines.LineItems, shared: dict[str, str]) -> str:
        seen.append(dict(shared))
        return lines.line_sql(items, shared)

    monkeypatch.setattr(run, "line_sql", line_sql)
    path = tmp_path / "labs.csv"
    path.write_text(_csv(["patient_id", "collected", "test", "result", "unit"], rows), "utf-8")
    out = _same(path, "--format", "csv", engine_runs=True)
    assert out.count("\n") == 3
    assert seen and ("f0" in seen[-1]) is shared_status
    if shared_status:
        assert seen[-1]["f0"].startswith("result,")


def _plain_roles(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """The roles of the cells each engine run writes without quoting (fragments_sql's plain),
    run by run."""
    from b12check.engine import lines, run

    seen: list[frozenset[str]] = []

    def fragments_sql(*args: object) -> tuple[str, lines.LineItems, list[str]]:
        seen.append(cast(frozenset[str], args[-1]))
        return lines.fragments_sql(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "fragments_sql", fragments_sql)
    return seen


@pytest.mark.parametrize(
    ("patient", "lab_flag", "plain"),
    [
        ("P1", "H", {"patient", "date", "lab_range", "lab_flag"}),
        ('Ann "B"', "H", {"date", "lab_range", "lab_flag"}),
        ("P1", "H,L", {"patient", "date", "lab_range"}),
    ],
)
def test_a_cell_is_quoted_in_the_sql_only_where_one_of_its_values_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patient: str, lab_flag: str, plain: set[str]
) -> None:
    # (the patient, date, lab range and flag of each row are checked once per distinct
    # value; a column none of whose values a CSV line quotes is written as it is)
    seen = _plain_roles(monkeypatch)
    path = tmp_path / "labs.csv"
    rows = [
        [patient, "2024-01-02", "", "", "Vitamin B12", "250", "pg/mL", "200 - 900", lab_flag],
        ["P2", "2024-01-03", "", "", "Ferritin", "12", "ng/mL", "15-150", "L"],
    ]
    path.write_text(_csv(LONG, rows), encoding="utf-8")
    _same(path, "--format", "csv", engine_runs=True)
    assert seen and set(seen[-1]) == plain
    _same(path, "--format", "tsv", engine_runs=True)  # (TSV quotes nothing: the same bytes)


@pytest.mark.parametrize(("patient", "plain"), [("P1", {"patient", "date"}), ("P,1", {"date"})])
def test_a_wide_files_cells_are_quoted_in_the_sql_only_where_one_of_their_values_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patient: str, plain: set[str]
) -> None:
    seen = _plain_roles(monkeypatch)
    wide = tmp_path / "wide.csv"
    wide.write_text(
        _csv(
            ["patient_id", "collected", "Vitamin B12 (pg/mL)", "Ferritin (ng/mL)"],
            [[patient, "2024-01-02", "250", "12"], ["P2", "2024-01-03", "", "40"]],
        ),
        encoding="utf-8",
    )
    out = _same(wide, "--format", "csv", engine_runs=True)
    assert out.count("\n") == 4
    assert seen and set(seen[-1]) == plain


def _line_numbers(out: str) -> list[tuple[int, str]]:
    return [(int(r[2]), r[3]) for r in csv.reader(io.StringIO(out)) if r[0] != "status"]


@pytest.mark.parametrize("shape", ["long", "wide"])
def test_many_threads_keep_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    # (enough rows for several of DuckDB's row groups, so that threads share the join; each
    # record's line number and column must come in file order, with none lost or doubled,
    # and the lines as built, not sorted afterwards)
    from b12check.engine import lines, run

    sorted_runs = []

    def written(line: str, in_order: bool, every: bool = False) -> str:
        sorted_runs.append(not in_order)
        return lines.lines_sql(line, in_order, every)

    monkeypatch.setattr(run, "lines_sql", written)
    monkeypatch.setenv("B12CHECK_DUCKDB_THREADS", "4")
    rows = 300_000
    path = tmp_path / "labs.csv"
    with path.open("w", encoding="utf-8") as out:
        if shape == "long":
            out.write("patient_id,collected,test,result,unit\n")
            for i in range(rows):
                name, _, unit = _MIXED[i % len(_MIXED)]
                out.write(f"P{i % 997},2024-01-02,{name},{i % 1500 + 1},{unit}\n")
            want = [(i + 2, "result") for i in range(rows)]
        else:
            out.write("patient_id,collected,Vitamin B12 (pg/mL),Ferritin (ng/mL)\n")
            want = []
            for i in range(rows):
                b12, ferritin = ("", str(i % 400 + 5)) if i % 3 == 0 else (str(i % 900 + 100), "")
                if i % 5 == 0:
                    b12 = "250"
                out.write(f"P{i % 997},2024-01-02,{b12},{ferritin}\n")
                want += [
                    (i + 2, column) for column, v in ((WIDE_B12, b12), (WIDE_FE, ferritin)) if v
                ]
    got = invoke("scan", str(path), "--engine", "duckdb", "--format", "csv")
    assert "Python path" not in got.stderr
    assert _line_numbers(got.stdout) == want
    assert sorted_runs and not any(sorted_runs)


WIDE_B12, WIDE_FE = "Vitamin B12 (pg/mL)", "Ferritin (ng/mL)"


def _labs(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "labs.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("patient_id,collected,test,result,unit\n")
        for i in range(rows):
            name, value, unit = _MIXED[i % len(_MIXED)]
            out.write(f"P{i},2024-01-02,{name},{value},{unit}\n")
    return path


def test_duckdb_writes_a_pipe_itself_with_the_python_paths_bytes(tmp_path: Path) -> None:
    # (stdout a pipe: DuckDB writes the lines to it, after the header Python wrote; the
    # core's rows, here the value it cannot read and the warned one, among them)
    path = _labs(tmp_path, 3000)
    engine = run_cli(["scan", str(path), "--engine", "duckdb", "--format", "csv"])
    python = run_cli(["scan", str(path), "--format", "csv"])
    assert engine.stdout == python.stdout and engine.stdout.count(b"\n") == 3001
    assert engine.stderr == python.stderr and engine.returncode == python.returncode


def test_a_reader_that_goes_away_ends_the_engine_quietly(tmp_path: Path) -> None:
    path = _labs(tmp_path, 60_000)  # (far more than a pipe holds)
    codes = []
    for engine in (["--engine", "duckdb"], []):
        proc = subprocess.Popen(
            [sys.executable, "-m", "b12check", "scan", str(path), *engine, "--format", "csv"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(100).startswith(b"status,file,line")
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        codes.append(proc.wait())
        assert b"Traceback" not in err and b"Python path" not in err and b"DuckDB" not in err
    assert codes[0] == codes[1]
