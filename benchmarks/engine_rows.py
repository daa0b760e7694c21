"""The rows of ``scan --engine duckdb`` and of Spark in benchmarks/run.py (issue 17).

- ``scan --engine duckdb`` on the 1M-value long, lab-range and wide files to CSV, against the
  floor of each layout (≤ 0.5×);
- a cohort file: 10M rows (``--cohort-rows``), 90 % of them other tests, gzipped, with
  ``--only results``: the engine's peak memory (≤ 1 GiB) and time beside the Python path's
  (n/a where the Python path refuses .gz, or ``--only`` is not known yet);
- Spark on the 1M file: tests/test_sql_spark.py's agreement and time.
"""

import gzip
import re
import subprocess
import sys
from pathlib import Path

from run import (
    BENCH_DIR,
    FLOOR_NAME,
    KIB_PER_MIB,
    OUT_DIR,
    SEED,
    Config,
    Row,
    RunError,
    Runner,
    cell,
    data_file,
    error_row,
    fmt_mib,
    fmt_seconds,
    measure_pairs,
    progress,
    ratio_row,
)

DISTRACTORS = (
    "Sodium",
    "Potassium",
    "Creatinine",
    "Glucose",
    "Haemoglobin",
    "ALT",
    "CRP",
    "Urea",
    "Albumin",
)
SHAPES = (("long", "long"), ("lab", "with lab ranges"), ("wide", "wide"))


def cohort_file(rows: int, env: dict[str, str]) -> Path:
    """benchmarks/out/cohort_<rows>_s<seed>.csv.gz: the long benchmark file's values, each
    followed by nine rows of tests b12check does not cover, gzipped (made once)."""
    path = OUT_DIR / f"cohort_{rows}_s{SEED}.csv.gz"
    if path.is_file():
        return path
    values = data_file(max(1, rows // 10), env)
    progress(f"generating {path.name} ({rows:,} rows, 90 % distractors)")
    partial = path.with_name(path.name + ".partial")
    with values.open(encoding="utf-8") as source, gzip.open(partial, "wt", 6, "utf-8") as out:
        out.write(source.readline())
        for number, line in enumerate(source):
            out.write(line)
            patient, date = line.split(",", 2)[:2]
            for k, name in enumerate(DISTRACTORS):
                out.write(f"{patient},{date},{name},{(number * 7 + k) % 150 + 1},mmol/L\n")
    partial.replace(path)
    return path


def throughput_rows(runner: Runner, cfg: Config, b12: list[str], env: dict[str, str]) -> list[Row]:
    rows = []
    floor = [sys.executable, str(BENCH_DIR / "floor.py")]
    for shape, label in SHAPES:
        target = f"`scan --engine duckdb` {cfg.big_rows:,} values, {label}, `--format csv`"
        big = data_file(cfg.big_rows, env, shape)
        progress(f"throughput: {target}")
        command = [*b12, "scan", str(big), "--engine", "duckdb", "--format", "csv"]
        try:
            runner.preflight(command)
            pairs = measure_pairs(
                runner,
                command,
                [*floor, str(big)],
                max(1, min(cfg.throughput_pairs, 3)),
                cfg.throughput_warmups,
                rss=True,
            )
        except Exception as exc:
            if not _run_error(exc):
                raise
            rows.append(error_row(target, f"≤ 0.5× {FLOOR_NAME}", str(exc)))
            continue
        row = ratio_row(target, 0.5, FLOOR_NAME, pairs)
        peak = max(pair.a.rss_kib or 0 for pair in pairs)
        rows.append(
            Row(
                row.target,
                cell(f"{row.measured}; peak {fmt_mib(peak)}"),
                row.threshold,
                "n/a" if cfg.quick else row.status,
            )
        )
    return rows


def _run_error(exc: Exception) -> bool:
    """A RunError of run.py (run as a script it is __main__'s class, not this import's)."""
    return type(exc).__name__ == RunError.__name__


def _one(runner: Runner, command: list[str]) -> tuple[float, int] | str:
    """(seconds, peak KiB), or why the run failed or read nothing (a file it refused)."""
    try:
        run = runner.run(command, rss=True)
    except Exception as exc:
        if not _run_error(exc):
            raise
        return str(exc)
    if run.note:
        return run.note
    return run.seconds, run.rss_kib or 0


def cohort_rows(
    runner: Runner, cfg: Config, b12: list[str], env: dict[str, str], rows: int
) -> list[Row]:
    path = cohort_file(rows, env)
    target = f"`scan --engine duckdb` {rows:,} rows, 90 % distractors, .gz, `--only results`"
    progress(f"cohort: {target}")
    only = ["--only", "results"]
    engine = _one(runner, [*b12, "scan", str(path), "--engine", "duckdb", "--format", "csv", *only])
    if isinstance(engine, str):  # (--only comes with the cohort helper's branch)
        only = []
        engine = _one(runner, [*b12, "scan", str(path), "--engine", "duckdb", "--format", "csv"])
    if isinstance(engine, str):
        return [error_row(target, "peak ≤ 1 GiB", engine)]
    python = _one(runner, [*b12, "scan", str(path), "--format", "csv", *only])
    beside = (
        f"Python path n/a ({python[:60]})"
        if isinstance(python, str)
        else f"Python path {fmt_seconds(python[0])}, peak {fmt_mib(python[1])}"
    )
    seconds, peak = engine
    measured = f"{fmt_seconds(seconds)}, peak {fmt_mib(peak)}; {beside}"
    if not only:
        measured += "; without --only (not on this branch)"
    status = "PASS" if peak <= 1024 * KIB_PER_MIB else "FAIL"
    return [Row(target, cell(measured), "peak ≤ 1 GiB", "n/a" if cfg.quick else status)]


SPARK_LINE = re.compile(r"spark (\S+): (\d+) values in ([0-9.]+) s, (\d+) declined")


def spark_row(cfg: Config, env: dict[str, str]) -> Row:
    target = f"Spark SQL (pyspark local mode), {cfg.big_rows:,} values: agreement with the core"
    if cfg.quick:
        return Row(target, "n/a (quick; the test suite runs it)", "100 %", "n/a")
    progress(f"spark: {target}")
    test = str(BENCH_DIR.parent / "tests" / "test_sql_spark.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-s", "-p", "no:cacheprovider"],
        env={**env, "B12CHECK_SPARK_ROWS": str(cfg.big_rows)},
        capture_output=True,
        text=True,
        cwd=BENCH_DIR.parent,
        check=False,
    )
    found = SPARK_LINE.search(done.stdout)
    if found is None:
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        return Row(target, cell(f"not run: {tail[0][:80]}"), "100 %", "n/a")
    agreed = done.returncode == 0
    measured = f"{'100 %' if agreed else 'DISAGREES'}; {found[3]} s in Spark {found[1]}"
    return Row(target, cell(measured), "100 %", "PASS" if agreed else "FAIL")


def engine_rows(
    runner: Runner, cfg: Config, b12: list[str], env: dict[str, str], cohort: int
) -> list[Row]:
    """Every issue-17 row (DuckDB's extra missing: one row saying so)."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return [Row("`scan --engine duckdb`", "n/a: duckdb not installed", "", "n/a")]
    rows = throughput_rows(runner, cfg, b12, env)
    rows += cohort_rows(runner, cfg, b12, env, cohort)
    rows.append(spark_row(cfg, env))
    return rows
