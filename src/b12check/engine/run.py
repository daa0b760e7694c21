"""Running one scan in DuckDB: plan every file, classify and render in SQL, let the Python
core redo the rows the SQL cannot render exactly, and write both in file order."""

import io
import os
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from b12check.core.records import Summary
from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.engine import MISSING, EngineRefused, duckdb_module
from b12check.engine.io import csv_relation, sql_text
from b12check.engine.lines import (
    CORE,
    FRAGMENTS,
    PIECES,
    ROWS,
    core_sql,
    fragments_sql,
    keeps_order,
    kept_sql,
    kid_sql,
    line_sql,
    lines_sql,
    order_sql,
    pieces_sql,
    row_cells,
    rows_sql,
    shared_pieces,
)
from b12check.engine.marks import Marks
from b12check.engine.near import clear_near
from b12check.engine.plan import Plan, make_plan
from b12check.engine.query import (
    CLASHES_SQL,
    KEYS,
    OBSERVATIONS,
    checks_sql,
    classified_sql,
    keys_sql,
    long_columns,
    observation_table,
    observations,
    odd_sql,
    wide_view,
)
from b12check.readers.labels import LabelTally, not_covered_lines
from b12check.readers.scanner import Scanner
from b12check.readers.source import Row
from b12check.render.base import Writer
from b12check.run.filters import Keep
from b12check.run.pipeline import diagnostic, exit_status

TALLY = "b12_tally"  # each distinct observation's rows, rendered by the SQL or not (count)
BUCKET = 20_000  # rows the core redoes fetched at a time
CHUNK = 1 << 20  # bytes of DuckDB's lines read at a time
MEMORY = os.environ.get("B12CHECK_DUCKDB_MEMORY", "512MB")


def threads() -> int:
    """DuckDB's threads: B12CHECK_DUCKDB_THREADS, else one per core (the lines keep file
    order whatever the number: see lines.py)."""
    given = os.environ.get("B12CHECK_DUCKDB_THREADS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    return os.cpu_count() or 1


def connect() -> Any:
    """An in-memory DuckDB that never checkpoints on its own: a checkpoint compresses the
    tables, after which the first UPDATE of b12_raw takes most of a second (1M rows)."""
    try:
        duckdb = duckdb_module()
    except ImportError:
        raise EngineRefused(MISSING) from None
    conn = duckdb.connect(
        config={
            "memory_limit": MEMORY,
            "preserve_insertion_order": True,
            "threads": threads(),
            "checkpoint_threshold": "1TB",
        }
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
        self.cells: tuple[str, ...] = ()
        self.table = "b12_raw"  # the table of observations (observation_table)
        # the roles of the row's own cells none of whose values a CSV line quotes (_in_place)
        self.plain: set[str] = set()

    def plans(self, paths: tuple[str, ...]) -> list[Plan]:
        lab = self.scanner.options.lab_ranges
        return [make_plan(self.scanner, path, self.conn, lab) for path in paths]

    def prepare(self, plan: Plan) -> None:
        from b12check.engine.tables import load_reference_tables
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
        extra = "" if plan.layout.kind == "wide" else f", {long_columns(plan)}"
        self.conn.execute(
            f"CREATE OR REPLACE TEMP TABLE b12_raw AS SELECT *, {odd_sql(plan, self.fmt)} "
            f"AS b12_odd{extra} FROM {relation}"
        )
        if plan.kind != "parquet":
            rows = self.conn.execute("SELECT count(*) FROM b12_raw").fetchone()[0]
            if rows + 1 != plan.lines.result():
                raise EngineRefused("blank lines or values over several lines")
        self.table = observation_table(plan)
        self._observations(plan)
        # the view classifies each distinct observation once; each row takes its id in place
        self.conn.execute(keys_sql())
        if self.conn.execute(CLASHES_SQL).fetchone()[0]:
            raise EngineRefused("two distinct observations share a hash")
        keep = ("b12_h", "b12_kid", "k_test", "k_result", "k_unit", "k_place")
        load_reference_tables(self.conn, self.settings)
        self.conn.execute(generate(self.settings, "duckdb", KEYS, keep, with_tables=False))
        self.conn.execute(checks_sql(self.settings.reference))
        self.conn.execute(classified_sql(self.fmt))
        clear_near(
            self.conn, self.scanner.reader.settings, self.writer, lambda: self._in_place(plan)
        )
        file_cell = self.writer.text(plan.path)
        column = plan.layout.headers[plan.layout.roles.get("result", 0)].strip()
        column_cell = self.writer.text(column)
        if plan.layout.kind == "wide":  # (headers are plain text: no U+0000 in them)
            column_cell = "\x00".join(self.writer.text(t.header) for t in plan.layout.tests)
        self.cells = row_cells(plan)
        table, self.line, self.pieces = fragments_sql(
            plan, self.fmt, file_cell, column_cell, self.keep, frozenset(self.plain)
        )
        self.conn.execute(table)
        self._more_risky(plan)

    def _in_place(self, plan: Plan) -> None:
        """What needs only the classified distinct observations, not the core's word on the
        values near a span (run while the core settles those): each observation's distinct
        observation, and the rows the core redoes for a cell checked per distinct value."""
        self.conn.execute(kid_sql(self.table))
        self.plain = Marks(self.conn, self.table).cells(plan, self.fmt)

    def _more_risky(self, plan: Plan) -> None:
        """Mark the rows the core redoes for their observation (Marks.risky)."""
        Marks(self.conn, self.table).risky(plan, self.settings, self.scanner.options.lab_ranges)

    def python_rows(self, plan: Plan, summary: Summary, err: IO[str], quiet: bool) -> None:
        """The rows the core redoes, in file order, each one's lines rendered by the writer
        into the table b12_core (b12_row, l: the lines without the last line feed; no row
        where no record is written); their records are counted here."""
        width = plan.layout.width
        cells_sql = ", ".join(f"COALESCE(c{i}, '')" for i in range(width))
        query = (
            f"SELECT rowid + 1, [{cells_sql}] FROM b12_raw WHERE b12_odd AND rowid + 1 > ? "
            f"ORDER BY rowid LIMIT {BUCKET}"
        )
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE {CORE} (b12_row BIGINT, l VARCHAR)")
        last = 0  # (a page at a time: a statement run meanwhile would end a pending result)
        while rows := self.conn.execute(query, [last]).fetchall():
            numbers, texts = [], []
            for number, cells in rows:
                if any("\x00" in c for c in cells):
                    raise EngineRefused("a NUL character in a cell")
                text = "".join(self._redo(Row(number + 1, list(cells)), plan, summary, err, quiet))
                if text:
                    numbers.append(number)
                    texts.append(text[:-1])
            last = rows[-1][0]
            if numbers:
                self.conn.execute(
                    f"INSERT INTO {CORE} SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[])",
                    [numbers, texts],
                )

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
        """The records of the rows the SQL rendered (b12_rows: every observation, with its
        distinct observation, after write_lines)."""
        # (one pass over the rows: how many of each distinct observation, in rows the SQL
        # rendered or not; the summary and the labels' tally both come from it)
        self.conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {TALLY} AS SELECT b12_kid, b12_odd, count(*) AS n "
            f"FROM {ROWS} GROUP BY ALL"
        )
        got = self.conn.execute(
            f"SELECT v.status, v.flag, sum(t.n) FROM {TALLY} t JOIN {FRAGMENTS} v "
            "ON t.b12_kid = v.b12_kid WHERE NOT t.b12_odd GROUP BY ALL"
        ).fetchall()
        for status, flag, n in got:
            n = int(n)
            if status == STATUS_RESULT:
                summary.add_results(plan.path, Counter({flag: n}), n)
            elif status == STATUS_SKIPPED:
                summary.add_skipped(plan.path, n)

    def write_lines(self, out: IO[str]) -> None:
        """The text of every record in file order, the core's lines among DuckDB's: COPY of
        one column, nothing quoted, straight to a pipe or device it can open, else to a
        scratch file copied to ``out``."""
        target = direct_target(out)
        if target is not None:
            out.flush()
            self._copy(target)
            return
        handle, name = tempfile.mkstemp(prefix="b12check-out-", suffix=".txt")
        os.close(handle)
        try:
            self._copy(name)
            write = _sink(out)
            with open(name, "rb") as text:
                while piece := text.read(CHUNK):
                    write(piece)
        finally:
            os.unlink(name)

    def _copy(self, name: str) -> None:
        self._rows()
        self.conn.execute(pieces_sql(self.pieces))
        kept, unmarked = self.conn.execute(kept_sql()).fetchone()
        if unmarked:
            raise RuntimeError("b12check: a row the core must redo was not marked")
        every, shared = shared_pieces(self.conn, self.pieces)
        line = line_sql(self.line, shared)
        # (each line as it is: no quote or escape character, a delimiter no line holds, and
        # the column "quoted" with the empty quote, so DuckDB does not look for characters
        # that would need quoting, which took half the COPY's time)
        target = (
            f"TO {sql_text(name)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', "
            "DELIMITER chr(1), FORCE_QUOTE (l))"
        )
        in_order = keeps_order(self.conn, f"COPY ({lines_sql(line, True, every)}) {target}")
        copy = f"COPY ({lines_sql(line, in_order, every)}) {target}"
        try:
            written = self.conn.execute(copy).fetchone()[0]
        except Exception as exc:  # (once lines may be out, the Python path must not start)
            if "Broken pipe" in str(exc):
                raise BrokenPipeError(32, "Broken pipe") from None
            raise RuntimeError(f"b12check: DuckDB: {str(exc).splitlines()[0]}") from exc
        if written != kept:
            raise RuntimeError("b12check: DuckDB lost lines")
        for table in (PIECES, CORE):
            self.conn.execute(f"DROP TABLE {table}")

    def _rows(self) -> None:
        """Put the core's lines in place and make b12_rows (every observation's distinct
        observation and cells, in file order)."""
        lines = self.conn.execute(f"SELECT count(*) FROM {CORE}").fetchone()[0]
        if lines and self.conn.execute(core_sql(self.table)).fetchone()[0] != lines:
            raise RuntimeError("b12check: DuckDB lost lines of the rows the core redid")
        self.conn.execute(rows_sql(self.cells))

    def _observations(self, plan: Plan) -> None:
        """The view b12_obs of the file's observations; a wide file's built once as the
        table b12_wobs, checked to be in file order (unnesting keeps it, as DuckDB plans
        it; sorted when not)."""
        if self.table == "b12_raw":
            self.conn.execute(f"CREATE OR REPLACE TEMP VIEW {OBSERVATIONS} AS {observations(plan)}")
            return
        build = f"CREATE OR REPLACE TEMP TABLE {self.table} AS {observations(plan)}"
        self.conn.execute(wide_table(build, ordered=False))
        if self.conn.execute(order_sql(self.table)).fetchone()[0]:
            self.conn.execute(wide_table(build, ordered=True))
            if self.conn.execute(order_sql(self.table)).fetchone()[0]:
                raise RuntimeError("b12check: DuckDB did not keep the file's order")
        self.conn.execute(f"CREATE OR REPLACE TEMP VIEW {OBSERVATIONS} AS {wide_view(plan)}")

    def labels(self, plan: Plan, notice: Callable[[str], None]) -> None:
        """The not-covered notices of the Python path, from the tally of count()."""
        if plan.layout.kind == "wide":
            return
        tally = LabelTally(plan.layout)
        for label, n in self.conn.execute(
            f"SELECT v.k_test, sum(t.n) FROM {TALLY} t JOIN {FRAGMENTS} v "
            "ON t.b12_kid = v.b12_kid WHERE v.analyte IS NULL OR t.b12_odd GROUP BY ALL"
        ).fetchall():
            tally.counts[label or ""] = int(n)
        matches = tally.matches(self.settings.reference, self.scanner.reader.test_name)
        for line in not_covered_lines(matches, 0):
            notice(f"{plan.path}: {line}")


def wide_table(build: str, ordered: bool) -> str:
    """``build`` (the CREATE of b12_wobs) as it is, or sorted into file order."""
    return build + (" ORDER BY b12_seq" if ordered else "")


def _sink(out: IO[str]) -> Callable[[bytes], object]:
    """Where UTF-8 bytes of text go: the stream's own byte buffer when it writes UTF-8 (no
    decoding and encoding again), else the text stream."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8" and getattr(out, "errors", "") == "strict":
        out.flush()
        return cast(Callable[[bytes], object], buffer.write)
    return lambda data: out.write(data.decode("utf-8"))


def direct_target(out: IO[str]) -> str | None:
    """A path DuckDB can write ``out``'s own lines to, when ``out`` is a pipe or a device
    (such as /dev/null) by file descriptor: never a regular file (DuckDB would write it from
    its start)."""
    try:
        fd = out.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)) or not os.path.exists(f"/dev/fd/{fd}"):
        return None
    return f"/dev/fd/{fd}"


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
    engine.python_rows(plan, summary, errors, quiet)
    summary.note_file(plan.path)
    scanner.notice_choices(plan.path, plan.layout)
    scanner.notice_layout(plan.path, plan.layout)
    writer = make_writer(out)
    sys.stderr.write(errors.getvalue())
    engine.write_lines(out)
    engine.count(plan, summary)
    engine.labels(plan, notice)
    writer.close(summary)
    return exit_status(summary)
