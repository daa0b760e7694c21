"""Whether the engine can read a file exactly as the Python path would, and how.

The Python readers themselves look at the file's head (open_source, the header search, the
layout and the number style), so the engine starts from the very decisions the Python path
takes; anything it does not reproduce row by row is refused here (EngineRefused), and the
run falls back to the Python path.
"""

import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

from b12check.engine import EngineRefused
from b12check.engine.io import head_file, kind_of, line_count, sql_text
from b12check.readers.layout import Layout, LayoutProblem, units_row
from b12check.readers.scanner import Scanner, first_rows
from b12check.readers.source import FileProblem, Row, open_source

# the roles whose cells the SQL reads; a file with another role (loinc, birth date, lab low
# and high columns) goes the Python path
LONG_ROLES = frozenset({"test", "result", "unit", "patient", "date", "sex", "age"})
LAB_ROLES = frozenset({"lab_range", "lab_flag"})


# a header the SQL writes as it is: printable ASCII, no quote, no backslash, no formula leader
_PLAIN_HEADER = re.compile(r"[^\s=+@-][\x20-\x7e]*(?<! )")


class Plan(NamedTuple):
    path: str
    kind: str  # csv, gzip, zstd, parquet
    delimiter: str
    layout: Layout
    # physical lines of a text file (0 for parquet), counted in a thread while DuckDB reads
    # the file (a compressed file's decompression is one thread in both)
    lines: "Future[int]"


def _check_layout(layout: Layout, lab_ranges: str) -> None:
    if layout.header_line != 1:
        raise EngineRefused("the header is not the first line")
    if layout.kind == "wide":
        extra = set(layout.roles) - {"patient", "date"}
        if extra:
            raise EngineRefused(f"a wide file with {', '.join(sorted(extra))} columns")
        if not layout.tests:
            raise EngineRefused("no test columns")
        if any(not _PLAIN_HEADER.fullmatch(t.header) for t in layout.tests):
            raise EngineRefused("a test column's header that is not plain text")
        return
    allowed = LONG_ROLES | (LAB_ROLES if lab_ranges != "prefer" else frozenset())
    extra = set(layout.roles) - allowed
    if extra:
        raise EngineRefused(f"a long file with {', '.join(sorted(extra))} columns")
    if "test" not in layout.roles or "result" not in layout.roles:
        raise EngineRefused("no test or result column")


def _first(scanner: Scanner, path: str, rows: Iterator[Row]) -> Layout:
    first, problem = first_rows(rows)
    if problem is not None or any(r.problem for r in first):
        raise EngineRefused("a row in the file's head cannot be read cleanly")
    try:
        layout = scanner.find(path, first)
    except LayoutProblem as exc:
        raise EngineRefused(str(exc)) from None
    data = [r for r in first if r.line > layout.header_line]
    scanner._learn_number_style(layout, data)
    if scanner.reader.settings.comma_file:
        raise EngineRefused("the file writes decimal commas")
    if any(len(r.cells) != layout.width for r in data):
        raise EngineRefused("a row in the file's head has another number of fields")
    if layout.kind == "wide" and data:
        if units_row(data[0].cells, layout, scanner.settings.reference) is not None:
            raise EngineRefused("a units row under the header")
    return layout


def plan_text(scanner: Scanner, path: str, kind: str) -> Plan:
    with head_file(path, kind) as head:
        try:
            source = open_source(
                head, encoding=scanner.options.encoding, delimiter=scanner.options.delimiter
            )
        except FileProblem as exc:
            raise EngineRefused(str(exc)) from None
        with source:
            if source.kind != "csv":
                raise EngineRefused(f"a {source.kind} file")
            if source.encoding != "utf-8" or source.warnings:
                raise EngineRefused(f"text in {source.encoding or 'another encoding'}")
            if getattr(source, "_line_offset", 0):
                raise EngineRefused("blank or sep= lines above the header")
            delimiter = source.delimiter
            layout = _first(scanner, path, source.rows())
    return Plan(path, kind, delimiter, layout, _counted(0))


def plan_parquet(scanner: Scanner, path: str, conn: Any) -> Plan:
    """A Parquet file's column names are its header; its first rows, as text, its head."""
    relation = f"read_parquet({sql_text(path)})"
    names = [row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    cast = ", ".join(f"COALESCE(CAST(\"{n}\" AS VARCHAR), '')" for n in names)
    head = conn.execute(f"SELECT {cast} FROM {relation} LIMIT 50").fetchall()
    rows = [Row(1, list(names))] + [Row(i + 2, list(r)) for i, r in enumerate(head)]
    return Plan(path, "parquet", "", _first(scanner, path, iter(rows)), _counted(0))


def _counted(lines: int) -> "Future[int]":
    done: Future[int] = Future()
    done.set_result(lines)
    return done


def _count_lines(path: str, kind: str) -> "Future[int]":
    """The file's lines, counted in a thread of their own (it ends with the count)."""
    pool = ThreadPoolExecutor(1)
    lines = pool.submit(line_count, path, kind)
    pool.shutdown(wait=False)
    return lines


def make_plan(scanner: Scanner, path: str, conn: Any, lab_ranges: str) -> Plan:
    if path == "-":
        raise EngineRefused("stdin is read by the Python path")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise EngineRefused("a file name that is not UTF-8") from None
    if not os.path.isfile(path):
        raise EngineRefused("not a regular file (a pipe is read once, by the Python path)")
    try:
        kind = kind_of(path)
    except OSError as exc:
        raise EngineRefused(f"cannot open: {exc.strerror or exc}") from None
    if kind == "parquet":
        plan = plan_parquet(scanner, path, conn)
    else:
        plan = plan_text(scanner, path, kind)
    _check_layout(plan.layout, lab_ranges)
    return plan if kind == "parquet" else plan._replace(lines=_count_lines(path, kind))
