"""The spark dialect's SQL in pyspark's local mode, on the benchmark file (20,000 values by
default): every record must agree with the Python core's.

Part of the default run (the dev extra installs pyspark; Java is on the CI machine); it
skips, saying why, where pyspark or Java is missing. ``B12CHECK_SPARK_ROWS`` sets the number
of values (1000000: the whole benchmark file); the rows go to Spark as a CSV file it reads
itself (all columns text), not through Python.
"""

import csv
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from b12check.core.settings import Settings
from b12check.sqlgen import FIELDS, generate
from tests.conftest import REPO
from tests.sql_harness import Config, Row, disagreements, python_records

pytestmark = pytest.mark.spark

# (20,000 by default: planning the view's chain of layers alone takes Spark about two minutes
# here; B12CHECK_SPARK_ROWS=1000000 runs the whole benchmark file)
ROWS = int(os.environ.get("B12CHECK_SPARK_ROWS", "20000"))


def _statements(script: str) -> list[str]:
    """The script's statements (each ends with ';' at the end of a line)."""
    return [part.strip() for part in script.split(";\n") if part.strip()]


def _benchmark_rows(folder: Path, count: int) -> list[Row]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import gen_csv
    finally:
        sys.path.pop(0)
    path = folder / "long.csv"
    gen_csv.write_csv(count, str(path), seed=12)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [(r["analyte"], r["value"], r["unit"] or None, None, None) for r in reader]


def test_spark_sql_agrees_with_the_core_on_the_benchmark_file(tmp_path: Path) -> None:
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java: no java on PATH and no JAVA_HOME")
    from pyspark.sql import SparkSession, types

    rows = _benchmark_rows(tmp_path, ROWS)
    ranges, run_settings = Config().both()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("b12check-sql")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        schema = types.StructType(
            [types.StructField("line", types.LongType())]
            + [types.StructField(n, types.StringType()) for n in ("test", "result", "unit", "sex")]
            + [types.StructField("age", types.DoubleType())]
        )
        table = tmp_path / "observations.csv"
        with table.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            for i, (test, result, unit, _sex, _age) in enumerate(rows):
                out.writerow((i, test, result, unit or "", "", ""))
        frame = spark.read.csv(
            str(table), schema=schema, header=False, mode="FAILFAST", emptyValue=None
        )
        frame.createOrReplaceTempView("observations")
        for statement in _statements(_script(run_settings)):
            spark.sql(statement)
        started = time.perf_counter()
        got = spark.sql(
            "SELECT line, " + ", ".join(FIELDS) + " FROM observations_checked ORDER BY line"
        ).collect()
        seconds = time.perf_counter() - started
        sql = [row.asDict() for row in got]
    finally:
        spark.stop()
    # (Spark's format_string rounds the shortest decimal text of a double half up, Python the
    # exact binary value: on a decimal tie the 6th digit of ``value`` may differ by one, as
    # SQLite's printf does; flags, bands and every other field must agree exactly)
    problems, declined = disagreements(rows, python_records(ranges, rows), sql, tie_rounding=True)
    print(
        f"spark {pyspark.__version__}: {len(rows)} values in {seconds:.1f} s, {declined} declined"
    )
    assert not problems, "\n".join(problems[:20])
    assert declined == 0  # the benchmark file holds nothing the SQL cannot read exactly


def _script(settings: Settings) -> str:
    return generate(settings, "spark", keep=("line",))
