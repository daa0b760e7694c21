"""Running one scan in DuckDB: plan every file, classify and render in SQL, let the Python
core redo the rows the SQL cannot render exactly, and write both in file order."""

import io
import os
import sys
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from b12check.core.labpolicy import usable_range
from b12check.core.records import Record, Summary
from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.engine import MISSING, EngineRefused
from b12check.engine.io import csv_relation, sql_text
from b12check.engine.lines import (
    DROP,
    FRAGMENTS,
    JOIN,
    ORDER_ERROR,
    PLACE,
    fragments_sql,
    lines_sql,
)
from b12check.engine.near import clear_near, key_text
from b12check.engine.plan import Plan, make_plan
from b12check.engine.query import (
    KEYS,
    OBSERVATIONS,
    checks_sql,
    classified_sql,
    keys_sql,
    observations,
    odd_sql,
)
from b12check.readers.dates import normalise_date
from b12check.readers.labels import LabelTally, not_covered_lines
from b12check.readers.scanner import Scanner
from b12check.readers.source import Row
from b12check.render.base import Writer
from b12check.run.filters import Keep
from b12check.run.pipeline import diagnostic, exit_status

BUCKET = 20_000  # rows the core redoes fetched at a time
CHUNK = 1 << 20  # bytes of DuckDB's lines read at a time
MEMORY = os.environ.get("B12CHECK_DUCKDB_MEMORY", "512MB")


def connect() -> Any:
    try:
        import duckdb
    except ImportError:
        raise EngineRefused(MISSING) from None
    conn = duckdb.connect(
        config={"memory_limit": MEMORY, "preserve_insertion_order": True, "threads": 1}
    )
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
        # the rows in file order (a table's rowid is the order they were read in), and
        # whether each goes to the core whatever its observations
        self.conn.execute(
            f"CREATE OR REPLACE TEMP TABLE b12_raw AS SELECT *, {odd_sql(plan, self.fmt)} "
            f"AS b12_odd FROM {relation}"
        )
        if plan.kind != "parquet":
            rows = self.conn.execute("SELECT count(*) FROM b12_raw").fetchone()[0]
            if rows + 1 != plan.lines:
                raise EngineRefused("blank lines or values over several lines")
        self.conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {OBSERVATIONS} AS {observations(plan, 'b12_raw')}"
        )
        # the view classifies each distinct observation once; the rows join its records
        self.conn.execute(keys_sql())
        self.conn.execute(generate(self.settings, "duckdb", KEYS, ("k_test", "k_result", "k_unit")))
        self.conn.execute(checks_sql(self.settings.reference))
        self.conn.execute(classified_sql(self.fmt))
        clear_near(self.conn, self.scanner.reader.settings, self.writer)
        file_cell = self.writer.text(plan.path)
        column = plan.layout.headers[plan.layout.roles.get("result", 0)].strip()
        column_cell = self.writer.text(column)
        table, self.line = fragments_sql(plan, self.fmt, file_cell, column_cell, self.keep)
        self.conn.execute(table)
        self._more_risky(plan)

    def _more_risky(self, plan: Plan) -> None:
        """Mark the rows the core redoes: those with an observation the SQL cannot render,
        a date the core reads otherwise, or a lab range it warns about."""
        if self.conn.execute(f"SELECT bool_or(k_redo) FROM {FRAGMENTS}").fetchone()[0]:
            self._mark_rows(f"SELECT o.b12_row {JOIN} WHERE v.k_redo AND NOT o.b12_odd")
        date = plan.layout.roles.get("date")
        if date is not None:
            dates = [
                d
                for (d,) in self.conn.execute(
                    f"SELECT DISTINCT c{date} FROM b12_raw WHERE NOT b12_odd AND c{date} <> ''"
                ).fetchall()
            ]
            odd = [d for d in dates if normalise_date(d) != (d, None)]
            if odd:
                self.conn.execute(
                    f"UPDATE b12_raw SET b12_odd = true WHERE c{date} IN (SELECT unnest(?))",
                    [odd],
                )
        if self.scanner.options.lab_ranges == "ignore" or "lab_range" not in plan.layout.roles:
            return
        combos = self.conn.execute(
            f"SELECT DISTINCT v.analyte, v.unit, o.lab_range {JOIN} WHERE NOT o.b12_odd "
            "AND v.status = 'result' AND o.lab_range IS NOT NULL"
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
                bad.append(key_text([analyte, unit, lab_range]))
        if bad:
            self.conn.execute(
                "CREATE OR REPLACE TEMP TABLE b12_bad AS SELECT unnest(?) AS k", [bad]
            )
            self._mark_rows(
                f"SELECT o.b12_row {JOIN} WHERE NOT o.b12_odd AND v.status = 'result' AND "
                "CAST(to_json([v.analyte, v.unit, o.lab_range]) AS VARCHAR) IN "
                "(SELECT k FROM b12_bad)"
            )

    def _mark_rows(self, query: str) -> None:
        """The rows ``query`` gives (b12_row) go to the core, whole."""
        self.conn.execute(
            f"UPDATE b12_raw SET b12_odd = true WHERE rowid + 1 IN (SELECT b12_row FROM ({query}))"
        )

    def python_rows(self, plan: Plan, summary: Summary, err: IO[str], quiet: bool) -> str:
        """The rows the core redoes, each one's lines rendered by the writer, in file order,
        in a scratch file (each row's text, then its length in a second file); their records
        are counted here."""
        width = plan.layout.width
        cells_sql = ", ".join(f"COALESCE(c{i}, '')" for i in range(width))
        result = self.conn.execute(
            f"SELECT b12_row, [{cells_sql}] FROM {OBSERVATIONS} WHERE b12_odd AND b12_sub = 0 "
            "ORDER BY b12_row"
        )
        handle, name = tempfile.mkstemp(prefix="b12check-rows-", suffix=".txt")
        self.sizes = array("q")
        with os.fdopen(handle, "wb") as out:
            while rows := result.fetchmany(BUCKET):
                for number, cells in rows:
                    if any("\x00" in c for c in cells):
                        raise EngineRefused("a NUL character in a cell")
                    text = "".join(
                        self._redo(Row(number + 1, list(cells)), plan, summary, err, quiet)
                    )
                    data = text.encode("utf-8")
                    out.write(data)
                    self.sizes.append(len(data))
        return name

    def _redo(
        self, row: Row, plan: Plan, summary: Summary, err: IO[str], quiet: bool
    ) -> Iterator[str]:
        for record in self.scanner.reader.records(row, plan.layout, plan.path):
            summary.add(record)
            if record.status == STATUS_ERROR and not quiet:
                print(diagnostic(record), file=err)
            if self.keep is None or self.keep.keeps(record):
                yield self.writer.render(record) + "\n"

    def count(self, plan: Plan, summary: Summary) -> None:
        """The records of the rows the SQL renders, and the label cells the notice about
        tests not covered counts (those of rows not covered or redone by the core)."""
        self.conn.execute(
            "CREATE OR REPLACE TEMP TABLE b12_counts AS SELECT k_test, k_result, k_unit, "
            f"b12_odd, count(*) AS n FROM {OBSERVATIONS} GROUP BY ALL"
        )
        got = self.conn.execute(
            f"SELECT v.status, v.flag, sum(o.n) FROM b12_counts o JOIN {FRAGMENTS} v "
            "ON o.k_test IS NOT DISTINCT FROM v.k_test AND o.k_result = v.k_result "
            "AND o.k_unit IS NOT DISTINCT FROM v.k_unit WHERE NOT o.b12_odd GROUP BY ALL"
        ).fetchall()
        for status, flag, n in got:
            n = int(n)
            if status == STATUS_RESULT:
                summary.add_results(plan.path, Counter({flag: n}), n)
            elif status == STATUS_SKIPPED:
                summary.add_skipped(plan.path, n)

    def write_lines(self, python: str, out: IO[str]) -> None:
        """The text of every record in file order: DuckDB writes its lines (COPY of one
        column, nothing quoted) and the core's fill in the markers."""
        handle, name = tempfile.mkstemp(prefix="b12check-out-", suffix=".txt")
        os.close(handle)
        try:
            self._copy(name)
            with open(name, "rb") as text, open(python, "rb") as redone:
                merge(text, redone, iter(self.sizes), out)
        finally:
            os.unlink(name)

    def _copy(self, name: str) -> None:
        # (b12_counts holds every observation, counted after the last row was marked)
        expected = self.conn.execute("SELECT sum(n) FROM b12_counts").fetchone()[0] or 0
        target = (
            f"TO {sql_text(name)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER chr(1))"
        )
        try:
            written = self.conn.execute(
                f"COPY ({lines_sql(self.line, checked=True)}) {target}"
            ).fetchone()[0]
        except Exception as exc:
            if ORDER_ERROR not in str(exc):
                raise
            written = None
        if written != expected:  # (out of order, or rows lost): sorted instead
            query = f"COPY ({lines_sql(self.line, checked=False)}) {target}"
            if self.conn.execute(query).fetchone()[0] != expected:
                raise RuntimeError("b12check: DuckDB lost observations")

    def labels(self, plan: Plan, notice: Callable[[str], None]) -> None:
        if plan.layout.kind == "wide":
            return
        tally = LabelTally(plan.layout)
        for label, n in self.conn.execute(
            f"SELECT o.k_test, sum(o.n) FROM b12_counts o JOIN {FRAGMENTS} v "
            "ON o.k_test IS NOT DISTINCT FROM v.k_test AND o.k_result = v.k_result "
            "AND o.k_unit IS NOT DISTINCT FROM v.k_unit WHERE v.analyte IS NULL OR o.b12_odd "
            "GROUP BY ALL"
        ).fetchall():
            tally.counts[label or ""] = int(n)
        matches = tally.matches(self.settings.reference, self.scanner.reader.test_name)
        for line in not_covered_lines(matches, 0):
            notice(f"{plan.path}: {line}")


def _sink(out: IO[str]) -> Callable[[bytes], object]:
    """Where UTF-8 bytes of text go: the stream's own byte buffer when it writes UTF-8 (no
    decoding and encoding again), else the text stream."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8" and getattr(out, "errors", "") == "strict":
        out.flush()
        return cast(Callable[[bytes], object], buffer.write)
    return lambda data: out.write(data.decode("utf-8"))


def merge(text: IO[bytes], redone: IO[bytes], sizes: Iterator[int], out: IO[str]) -> None:
    """DuckDB's lines with the markers filled in: each PLACE by the core's text of the next
    row it redid, each DROP taken out."""
    place, drop = (m.encode() + b"\n" for m in (PLACE, DROP))
    write = _sink(out)
    tail = b""
    while piece := text.read(CHUNK):
        if tail:
            piece = tail + piece
        cut = piece.rfind(b"\n") + 1
        tail = piece[cut:]
        pieces = piece[:cut].replace(drop, b"").split(place)
        write(pieces[0])
        for rest in pieces[1:]:
            size = next(sizes, None)
            if size is None:
                raise RuntimeError("b12check: more rows marked for the core than it redid")
            write(redone.read(size))
            write(rest)
    if tail or next(sizes, None) is not None:
        raise RuntimeError("b12check: DuckDB's lines and the core's rows do not line up")


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
        engine.write_lines(python, out)
    finally:
        os.unlink(python)
    engine.labels(plan, notice)
    writer.close(summary)
    return exit_status(summary)
