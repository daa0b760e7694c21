"""Running one scan in DuckDB: plan every file, classify and render in SQL, let the Python
core redo the rows the SQL cannot render exactly, and write both in file order."""

import io
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any

from b12check.core.evaluate import evaluate
from b12check.core.labpolicy import usable_range
from b12check.core.records import Record, Summary
from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.engine import MISSING, EngineRefused
from b12check.engine.io import csv_relation, sql_text
from b12check.engine.plan import Plan, make_plan
from b12check.engine.query import (
    KEYS,
    OBSERVATIONS,
    checks_sql,
    classified_sql,
    keys_sql,
    observations,
    records_sql,
)
from b12check.readers.dates import normalise_date
from b12check.readers.labels import LabelTally, not_covered_lines
from b12check.readers.scanner import Scanner
from b12check.readers.source import Row
from b12check.render.base import Writer
from b12check.run.filters import Keep
from b12check.run.pipeline import diagnostic, exit_status

BUCKET = 20_000  # records joined into one text DuckDB hands over
MEMORY = os.environ.get("B12CHECK_DUCKDB_MEMORY", "512MB")


def _key(values: list[str | None]) -> str:
    """The text DuckDB's to_json gives a list of texts, to match rows by."""
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def connect() -> Any:
    try:
        import duckdb
    except ImportError:
        raise EngineRefused(MISSING) from None
    conn = duckdb.connect(config={"memory_limit": MEMORY, "preserve_insertion_order": True})
    conn.execute(f"SET temp_directory = {sql_text(tempfile.gettempdir())}")
    return conn


class Engine:
    """One run's DuckDB connection, scanner (the Python readers and core) and writer."""

    def __init__(
        self, scanner: Scanner, writer: Any, fmt: str, conn: Any, keep: Keep | None = None
    ) -> None:
        self.keep = keep
        self.scanner = scanner
        self.writer = writer  # a CSV or TSV writer over a scratch buffer: it renders lines
        self.fmt = fmt
        self.conn = conn
        self.settings = scanner.settings

    def plans(self, paths: tuple[str, ...]) -> list[Plan]:
        lab = self.scanner.options.lab_ranges
        return [make_plan(self.scanner, path, self.conn, lab) for path in paths]

    def prepare(self, plan: Plan) -> None:
        from b12check.sqlgen import generate

        if plan.kind == "parquet":
            cast = ", ".join(
                f'CAST("{h}" AS VARCHAR) AS c{i}' for i, h in enumerate(plan.layout.headers)
            )
            relation = f"(SELECT {cast} FROM read_parquet({sql_text(plan.path)}))"
        else:
            relation = csv_relation(plan.path, plan.delimiter, plan.layout.width, 1)
        # the rows in file order: a table's rowid is the order they were read in
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE b12_raw AS SELECT * FROM {relation}")
        self.conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {OBSERVATIONS} AS {observations(plan, 'b12_raw')}"
        )
        # the view classifies each distinct observation once; the rows join its records
        self.conn.execute(keys_sql())
        self.conn.execute(generate(self.settings, "duckdb", KEYS, ("k_test", "k_result", "k_unit")))
        self.conn.execute(checks_sql(self.settings.reference))
        self.conn.execute(classified_sql(self.fmt))
        self._clear_near()
        file_cell = self.writer.text(plan.path)
        column = plan.layout.headers[plan.layout.roles.get("result", 0)].strip()
        column_cell = self.writer.text(column)
        self.conn.execute(records_sql(plan, self.fmt, file_cell, column_cell, self.keep))
        if plan.kind != "parquet":
            rows = self.conn.execute("SELECT max(b12_row) FROM b12_rec").fetchone()[0] or 0
            if rows + 1 != plan.lines:
                raise EngineRefused("blank lines or values over several lines")
        self._more_risky(plan)

    def _clear_near(self) -> None:
        """Values near a span the core warns outside of: the core itself says whether it
        warns (once per distinct observation); those it does not warn about stay in SQL."""
        near = self.conn.execute(
            "SELECT k_test, k_result, k_unit, test, result, unit, flag, value FROM b12_cls "
            "WHERE k_near AND NOT k_hard"
        ).fetchall()
        settings = self.scanner.reader.settings
        clear = []
        for k_test, k_result, k_unit, test, result, unit, flag, value in near:
            record = evaluate(
                settings,
                file="",
                line=0,
                name=test,
                value_text=result,
                unit_text=unit,
                unknown_is_skipped=True,
            )
            if not record.warnings and record.flag == flag and record.value == value:
                clear.append(_key([k_test, k_result, k_unit]))
        if clear:
            self.conn.execute(
                "UPDATE b12_cls SET k_risky = false WHERE CAST(to_json([k_test, k_result, k_unit]) "
                "AS VARCHAR) IN (SELECT unnest(?))",
                [clear],
            )

    def _more_risky(self, plan: Plan) -> None:
        """Rows whose date the core reads otherwise, or whose lab range it warns about."""
        dates = [
            d
            for (d,) in self.conn.execute(
                "SELECT DISTINCT b12_date FROM b12_rec WHERE NOT b12_risky AND b12_date IS NOT NULL"
            ).fetchall()
        ]
        odd = [d for d in dates if normalise_date(d) != (d, None)]
        self._mark("b12_date", odd)
        if self.scanner.options.lab_ranges == "ignore" or "lab_range" not in plan.layout.roles:
            return
        combos = self.conn.execute(
            "SELECT DISTINCT analyte, b12_unit, lab_range FROM b12_rec WHERE NOT b12_risky "
            "AND status = 'result' AND lab_range IS NOT NULL"
        ).fetchall()
        bad = []
        for analyte, unit, lab_range in combos:
            record = Record(
                STATUS_RESULT,
                "",
                0,
                analyte=analyte,
                unit=unit,
                lab_range=lab_range,
                value_text="1",
                value=1.0,
            )
            record.warnings = []
            usable_range(record, self.settings.reference, None)
            if record.warnings:
                bad.append(_key([analyte, unit, lab_range]))
        if bad:
            self.conn.execute(
                "CREATE OR REPLACE TEMP TABLE b12_bad AS SELECT unnest(?) AS k", [bad]
            )
            self.conn.execute(
                "UPDATE b12_rec SET b12_risky = true WHERE CAST(to_json([analyte, b12_unit, "
                "lab_range]) AS VARCHAR) IN (SELECT k FROM b12_bad)"
            )

    def _mark(self, column: str, values: list[str]) -> None:
        if values:
            self.conn.execute(
                f"UPDATE b12_rec SET b12_risky = true WHERE {column} IN (SELECT unnest(?))",
                [values],
            )

    def python_rows(self, plan: Plan, summary: Summary, err: IO[str], quiet: bool) -> str:
        """The rows the core redoes, rendered by the writer, as a newline-delimited JSON
        file of (row, place, line) for the merge; their records are counted here."""
        if plan.layout.kind == "wide":  # (the core redoes a wide row whole)
            self.conn.execute(
                "UPDATE b12_rec SET b12_risky = true WHERE b12_row IN "
                "(SELECT b12_row FROM b12_rec WHERE b12_risky)"
            )
        rows = self.conn.execute(
            "SELECT b12_row, any_value(b12_cells) FROM b12_rec WHERE b12_risky "
            "GROUP BY b12_row ORDER BY b12_row"
        ).fetchall()
        handle, name = tempfile.mkstemp(prefix="b12check-rows-", suffix=".ndjson")
        reader, layout = self.scanner.reader, plan.layout
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for number, cells in rows:
                if any("\x00" in c for c in cells):
                    raise EngineRefused("a NUL character in a cell")
                row = Row(number + 1, list(cells))
                for place, record in enumerate(reader.records(row, layout, plan.path)):
                    summary.add(record)
                    if record.status == STATUS_ERROR and not quiet:
                        print(diagnostic(record), file=err)
                    if self.keep is not None and not self.keep.keeps(record):
                        continue
                    line = self.writer.render(record)
                    out.write(json.dumps([number, place, line]) + "\n")
        return name

    def count(self, plan: Plan, summary: Summary) -> None:
        got = self.conn.execute(
            "SELECT status, flag, count(*) FROM b12_rec WHERE NOT b12_risky GROUP BY ALL"
        ).fetchall()
        for status, flag, n in got:
            if status == STATUS_RESULT:
                summary.add_results(plan.path, Counter({flag: n}), n)
            elif status == STATUS_SKIPPED:
                summary.add_skipped(plan.path, n)

    def lines(self, python: str) -> Iterator[str]:
        """The text of every record in file order, written by DuckDB itself (COPY of one
        column, nothing quoted) and read back in big pieces."""
        merged = (
            "SELECT l FROM ("
            "SELECT b12_row, b12_sub AS p, b12_line AS l FROM b12_rec "
            "WHERE NOT b12_risky AND b12_line IS NOT NULL "
            "UNION ALL SELECT CAST(json_extract(j, '$[0]') AS BIGINT), "
            "CAST(json_extract(j, '$[1]') AS BIGINT), json_extract_string(j, '$[2]') FROM "
            f"read_csv({sql_text(python)}, columns = {{'j': 'VARCHAR'}}, delim = chr(1), "
            "quote = '', escape = '', header = false, auto_detect = false)) ORDER BY b12_row, p"
        )
        handle, name = tempfile.mkstemp(prefix="b12check-out-", suffix=".txt")
        os.close(handle)
        try:
            self.conn.execute(
                f"COPY ({merged}) TO {sql_text(name)} (FORMAT csv, HEADER false, QUOTE '', "
                "ESCAPE '', DELIMITER chr(1))"
            )
            with open(name, encoding="utf-8", newline="") as text:
                while piece := text.read(1 << 20):
                    yield piece
        finally:
            os.unlink(name)

    def labels(self, plan: Plan, notice: Callable[[str], None]) -> None:
        if plan.layout.kind == "wide":
            return
        tally = LabelTally(plan.layout)
        for label, n in self.conn.execute(
            "SELECT b12_label_raw, count(*) FROM b12_rec WHERE analyte IS NULL OR b12_risky "
            "GROUP BY ALL"
        ).fetchall():
            tally.counts[label or ""] = n
        matches = tally.matches(self.settings.reference, self.scanner.reader.test_name)
        for line in not_covered_lines(matches, 0):
            notice(f"{plan.path}: {line}")


def scan_files(
    scanner: Scanner,
    make_writer: Callable[[IO[str]], Writer],
    fmt: str,
    paths: tuple[str, ...],
    summary: Summary,
    notice: Callable[[str], None],
    quiet: bool,
    out: IO[str],
    keep: Keep | None = None,
) -> int:
    """Write the records of ``paths`` that ``keep`` keeps to ``out`` (EngineRefused, before
    anything is written or said, when the engine cannot honour the run exactly)."""
    if len(paths) != 1:
        raise EngineRefused("the engine reads one file per run")
    conn = connect()
    engine = Engine(scanner, make_writer(io.StringIO()), fmt, conn, keep)
    (plan,) = engine.plans(paths)
    engine.prepare(plan)
    errors = io.StringIO()
    python = engine.python_rows(plan, summary, errors, quiet)
    try:
        summary.note_file(plan.path)
        scanner.notice_choices(plan.path, plan.layout)
        scanner.notice_layout(plan.path, plan.layout)
        writer = make_writer(out)
        sys.stderr.write(errors.getvalue())
        engine.count(plan, summary)
        for text in engine.lines(python):
            out.write(text)
    finally:
        os.unlink(python)
    engine.labels(plan, notice)
    writer.close(summary)
    return exit_status(summary)
