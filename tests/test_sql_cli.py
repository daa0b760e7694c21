"""``b12check sql``: the script it writes runs, honours --ranges, --guideline, --table and
--keep, and goes to stdout or -o."""

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import invoke, overlay

duckdb = pytest.importorskip("duckdb", reason="duckdb is a test dependency")

LABS = """\
patient,test,result,unit,sex,age
P1,Vitamin B12,150,pg/mL,F,40
P1,25-OH Vitamin D,45,nmol/L,F,40
P2,Ferritin,<30,ug/L,,
P2,Ferritin,300,ug/L,M,50
P3,Sodium,140,mmol/L,,
"""


def _script(*args: str) -> str:
    result = invoke("sql", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _duckdb_rows(script: str, tmp_path: Path, table: str = "labs") -> list[tuple[object, ...]]:
    csv = tmp_path / "labs.csv"
    csv.write_text(LABS, encoding="utf-8")
    conn = duckdb.connect()
    conn.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, all_varchar = true)", [str(csv)]
    )
    conn.execute(script)
    rows: list[tuple[object, ...]] = conn.execute(
        f"SELECT patient, test, status, analyte, flag, band_label FROM {table}_checked "
        "ORDER BY patient, test, result"
    ).fetchall()
    return rows


def test_the_duckdb_script_classifies_a_table_read_from_csv(tmp_path: Path) -> None:
    rows = _duckdb_rows(
        _script("--dialect", "duckdb", "--table", "labs", "--keep", "patient"), tmp_path
    )
    assert rows == [
        ("P1", "25-OH Vitamin D", "result", "vitamin_d", "borderline", "insufficient"),
        ("P1", "Vitamin B12", "result", "b12", "deficient", "deficient"),
        ("P2", "Ferritin", "result", "ferritin", "high", "high"),  # 300 ug/L, male: above 200
        ("P2", "Ferritin", "result", "ferritin", "unclassified", None),  # <30: deficient or low
        ("P3", "Sodium", "skipped", None, None, None),
    ]


def test_guideline_and_overlay_change_the_bands_the_sql_uses(tmp_path: Path) -> None:
    lab = overlay(
        tmp_path,
        "analytes:\n  b12:\n    bands:\n"
        '      - {range: "(, 100)", flag: deficient, interpretation: L, source: My lab}\n'
        '      - {range: "[100, )", flag: normal, interpretation: N, source: My lab}\n',
    )
    script = _script("--dialect", "duckdb", "--table", "labs", "--keep", "patient", "--ranges", lab)
    assert ("P1", "Vitamin B12", "result", "b12", "normal", "normal") in _duckdb_rows(
        script, tmp_path
    )
    script = _script(
        "--dialect", "duckdb", "--table", "labs", "--keep", "patient",
        "--guideline", "endocrine-society-2011",
    )  # fmt: skip
    rows = _duckdb_rows(script, tmp_path)
    assert ("P1", "25-OH Vitamin D", "result", "vitamin_d", "deficient", "deficient") in rows


def test_the_sqlite_script_runs_on_the_standard_library_sqlite3() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE observations (test TEXT, result TEXT, unit TEXT, sex TEXT, age REAL)"
    )
    conn.execute("INSERT INTO observations VALUES ('magnesium', '0.72', 'mmol/L', NULL, NULL)")
    conn.executescript(_script("--dialect", "sqlite"))
    row = conn.execute(
        "SELECT status, flag, band_low, band_high FROM observations_checked"
    ).fetchone()
    assert row == ("result", "borderline", 0.7, 0.85)


def test_output_file_holds_what_stdout_would(tmp_path: Path) -> None:
    target = tmp_path / "classify.sql"
    result = invoke("sql", "--dialect", "postgres", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8") == _script("--dialect", "postgres")


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres", "sqlite"])
def test_every_dialect_names_the_view_after_the_table(dialect: str) -> None:
    script = _script("--dialect", dialect, "--table", "cohort.labs")
    assert "VIEW labs_checked AS" in script and "FROM cohort.labs o" in script


@pytest.mark.parametrize("bad", ["--table=labs; DROP TABLE x", "--keep=a b"])
def test_names_that_are_not_plain_sql_names_are_refused(bad: str) -> None:
    result = invoke("sql", "--dialect", "duckdb", bad)
    assert result.exit_code == 2 and "not a plain SQL name" in result.stderr
