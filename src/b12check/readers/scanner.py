"""Rows of lab exports to records, one file at a time, in constant memory.

Every data row ends up as records: a result, an error naming file, line, column and reason,
or a skipped record (a test b12check does not cover, or a line that holds no data).
A file that cannot be read at all becomes one error record, and the next file still runs.

This module opens each file, finds its header and layout, and hands the data rows on: to a
cache in front of the core when one is given (``fast``), else row by row to ``routing``
(rows to records); ``context`` reads dates and ages, ``grouping`` adds the notes that need a
patient's results of one date together. The lab's own range and flag are weighed by the core
(``core/labpolicy.py``), as ``ScanOptions.lab_ranges`` says.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, BinaryIO, NamedTuple, TypeVar

from b12check.core.evaluate import Settings
from b12check.core.lazyre import LazyPattern
from b12check.core.records import FastLine, NoteRef, Record
from b12check.core.vocab import STATUS_ERROR, STATUS_SKIPPED
from b12check.readers.columns import ColumnNotFound
from b12check.readers.context import RowDates
from b12check.readers.grouping import grouped
from b12check.readers.items import Item
from b12check.readers.labels import LabelTally, not_covered_lines
from b12check.readers.layout import (
    HEADER_SEARCH_ROWS,
    HeaderIndex,
    Layout,
    LayoutProblem,
    find_layout,
    units_row,
)
from b12check.readers.numberstyle import writes_decimal_commas
from b12check.readers.routing import RowReader
from b12check.readers.shortcut import Shortcut
from b12check.readers.source import FileProblem, Row, Source, open_source

if TYPE_CHECKING:
    from b12check.readers.companion import Table
    from b12check.readers.fhir import FhirReader, FhirShortcut
    from b12check.readers.joining import Join

_Read = TypeVar("_Read")  # a row of a CSV file, a line of an HL7 one
_IN_COLUMN = LazyPattern(r"in column ([0-9]+)")
PROGRESS_EVERY = 20_000  # rows between progress reports


def first_rows(rows: Iterator[Row]) -> tuple[list[Row], Row | None]:
    """The rows the header is looked for in (up to ``HEADER_SEARCH_ROWS``, stopping before a
    row that could not be read), and that row if one stopped them."""
    first: list[Row] = []
    for row in rows:
        if row.problem:
            return first, row
        first.append(row)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    return first, None


class ScanOptions(NamedTuple):
    encoding: str | None = None
    delimiter: str | None = None
    layout: str | None = None  # long | wide | None (detect)
    columns: Mapping[str, str] = MappingProxyType({})
    date_format: str | None = None
    lab_ranges: str = "show"  # ignore | show | prefer


class Scanner:
    def __init__(
        self,
        settings: Settings,
        headers: HeaderIndex,
        options: ScanOptions,
        notice: Callable[[str], None],
        data_rows: dict[str, int],
    ) -> None:
        # the lab's own ranges and flags are weighed by the core, as --lab-ranges says
        self.settings = settings._replace(lab_ranges=options.lab_ranges)
        self.headers = headers
        self.options = options
        self.notice = notice
        self.data_rows = data_rows  # data rows read per file, for the summary
        self.dates = RowDates(options.date_format)
        self.reader = RowReader(self.settings, headers, self.dates)
        self.fast: Shortcut | None = None  # a cache in front of the core (run/rowcache.py)
        # results may come in batches: nothing groups them (no notes)
        self.batching = False
        self.layout: Layout | None = None
        self.delimiter: str | None = None  # the file's, once it is open
        self.tally: LabelTally | None = None  # the test labels of a long file, counted
        self.tables: list[Table] = []  # companion tables joined to every file (--patients, --codes)
        self.join: Join | None = None
        self.fhir: FhirReader | None = None  # made on the first FHIR file of the run
        # makes the cache for NDJSON (run/fhircache.py), on the first FHIR file of the run
        self.fhir_fast: Callable[[], FhirShortcut] | None = None
        self.fhir_shortcut: FhirShortcut | None = None
        # called now and then with (file, bytes read, data rows read) while a file is read
        self.progress: Callable[[str, int, int], None] | None = None

    # ------------------------------------------------------------------ files

    def scan(self, path: str, stdin: BinaryIO | None = None) -> Iterator[Item]:
        name = path
        self.data_rows.setdefault(name, 0)
        try:
            source = open_source(
                path,
                encoding=self.options.encoding,
                delimiter=self.options.delimiter,
                stdin=stdin,
            )
        except FileProblem as exc:
            reason = f"{exc}; no rows of this file were read"
            yield Record(STATUS_ERROR, file=name, line=exc.line or 0, reason=reason)
            return
        try:
            for warning in source.warnings:
                self.notice(f"{name}: {warning}")
            self.layout = None
            self.dates.start_file()
            self.delimiter = source.delimiter
            self.tally = None
            items: Iterator[Item]
            if source.kind == "hl7":  # HL7 v2 messages, not CSV rows
                items = self._hl7_records(source, name)
            elif source.kind == "fhir":  # FHIR JSON resources
                items = self._fhir(source.stream(), name)
            elif source.kind in ("pdf", "report"):  # a lab report: its lines, not rows
                from b12check.readers.report_scan import read_report

                items = read_report(self.settings, self.headers, self.dates, source, self.data_rows)
            else:
                rows = source.rows()
                if self.progress is not None:
                    rows = self._reporting(rows, source.bytes_read, name, self.progress)
                items = self._scan_rows(rows, name)
            yield from self._grouped(items)
            self._notice_labels(name)
        finally:
            source.close()

    def _grouped(self, items: Iterator[Item]) -> Iterator[Item]:
        if self.batching:  # no notes: nothing to group for
            return items
        return grouped(items, self.settings.reference, self.settings.notes, self._reread)

    def _fhir(self, raw: IO[bytes], name: str) -> Iterator[Item]:
        from b12check.readers.fhir import FhirReader

        if self.fhir is None:
            self.fhir = FhirReader(self.settings, self.dates)
            self.fhir_shortcut = None if self.fhir_fast is None else self.fhir_fast()
        self.dates.start_file()
        try:
            yield from self.fhir.read(raw, name, self.data_rows, self.fhir_shortcut)
        except OSError as exc:
            yield Record(STATUS_ERROR, file=name, line=0, reason=f"cannot read: {exc}")

    def _hl7_records(self, source: Source, name: str) -> Iterator[Record]:
        from b12check.readers.hl7_records import SEGMENT_CAP, Hl7Reader
        from b12check.readers.hl7v2 import lines

        def count() -> None:
            self.data_rows[name] += 1

        reader = Hl7Reader(self.settings, self.headers, name, source.encoding or None, count)
        found = lines(source.chunks(), SEGMENT_CAP)
        if self.progress is not None:
            found = self._reporting(found, source.bytes_read, name, self.progress)
        try:
            yield from reader.records(found)
        except OSError as exc:
            reason = f"cannot read the rest of the file: {exc.strerror or exc}"
            yield Record(STATUS_ERROR, file=name, line=0, reason=reason)

    def _reporting(
        self,
        rows: Iterator[_Read],
        position: Callable[[], int],
        name: str,
        report: Callable[[str, int, int], None],
    ) -> Iterator[_Read]:
        report(name, position(), self.data_rows[name])  # the clock for rows/s starts now
        for count, row in enumerate(rows, 1):
            if count % PROGRESS_EVERY == 0:
                report(name, position(), self.data_rows[name])
            yield row
        report(name, position(), self.data_rows[name])

    def _scan_rows(self, rows: Iterator[Row], name: str) -> Iterator[Item]:
        first, pending_problem = first_rows(rows)
        try:
            layout = self.find(name, first)
        except LayoutProblem as exc:
            if pending_problem is not None and not first:
                yield self._row_problem(name, pending_problem)
                return
            line = exc.line or (first[0].line if first else 0)
            yield Record(STATUS_ERROR, file=name, line=line, reason=str(exc))
            return
        self.notice_choices(name, layout)
        self.layout = layout
        self._learn_number_style(layout, [r for r in first if r.line > layout.header_line])
        date_at = layout.roles.get("date")
        if date_at is not None:  # let the rows read so far settle d/m/y versus m/d/y
            for row in first:
                if row.line > layout.header_line and date_at < len(row.cells):
                    self.dates.learn_date_order(row.cells[date_at])
        for row in first:
            if row.line < layout.header_line and sum(1 for c in row.cells if c.strip()) > 1:
                # not a title line: say so rather than pass over it silently
                self.data_rows[name] += 1
                yield Record(
                    STATUS_SKIPPED,
                    file=name,
                    line=row.line,
                    reason="above the header row, so not read as data",
                )
        after_header = [r for r in first if r.line > layout.header_line]
        if pending_problem is not None:
            after_header.append(pending_problem)
        yield from self._data(chain(after_header, rows), layout, name)

    def _learn_number_style(self, layout: Layout, rows: list[Row]) -> None:
        """Whether this file writes decimal commas (numberstyle.py), for all of its values."""
        positions = [layout.roles[r] for r in ("result", "lab_range") if r in layout.roles]
        positions += [column.position for column in layout.tests]
        cells = (row.cells[p] for row in rows for p in positions if p < len(row.cells))
        comma_file = writes_decimal_commas(self.delimiter, cells)
        self.reader.settings = self.settings._replace(comma_file=comma_file)

    def find(self, name: str, first: list[Row]) -> Layout:
        """The layout of a file from its first rows, companion tables joined (LayoutProblem
        when it has none; ColumnNotFound when a --column header is not in it)."""
        try:
            layout = find_layout(
                [(r.line, r.cells) for r in first],
                self.settings.reference,
                self.headers,
                overrides=self.options.columns,
                forced=self.options.layout,
                code_names_test=any(t.key_role != "patient" for t in self.tables),
            )
        except ColumnNotFound as exc:
            raise ColumnNotFound(f"{name}: {exc}") from None
        return self._joined(name, layout)

    def _joined(self, name: str, layout: Layout) -> Layout:
        """``layout`` with the companion tables' columns after the file's own."""
        self.join = None
        tables = self.tables
        if layout.kind == "wide" and any(t.key_role != "patient" for t in tables):
            self.notice(f"{name}: a wide file names its tests in its header: --codes not used")
            tables = [t for t in tables if t.key_role == "patient"]
        if not tables:
            return layout
        from b12check.readers.joining import Join  # (only with --patients or --codes)

        self.join = Join(layout, tables)
        return self.join.layout

    def notice_choices(self, name: str, layout: Layout) -> None:
        for choice in layout.choices.values():
            if choice.notice:
                self.notice(f"{name}: {choice.notice}")

    def notice_layout(self, name: str, layout: Layout) -> None:
        if layout.kind == "wide":
            uncovered = [c.header for c in layout.tests if c.analyte is None]
            if uncovered:
                self.notice(f"{name}: columns for tests not covered: {', '.join(uncovered)}")

    def _data(self, rows: Iterator[Row], layout: Layout, name: str) -> Iterator[Item]:
        if layout.kind == "wide":  # a units row under the header is not data
            first = next(rows, None)
            if first is None:
                return
            with_units = (
                None if first.problem else units_row(first.cells, layout, self.settings.reference)
            )
            if with_units is not None:
                layout.tests = with_units
            else:
                rows = chain((first,), rows)
        self.notice_layout(name, layout)
        if self.join is not None:
            rows = self.join.rows(rows)
        tally = self.tally = LabelTally(layout) if layout.kind == "long" else None
        fast = self.fast
        # (with a cache, only rows it cannot render are counted: the summary names only
        # labels of tests not covered, and each of their rows goes the full path or is skipped)
        if fast is not None and fast.start(
            name, layout, self.reader, None if tally is None else tally.add
        ):
            yield from fast.items(
                rows, lambda count: self._count_rows(name, count), self._full_path(layout, name)
            )
            return
        full = self._full_path(layout, name)
        if tally is not None:
            rows = tally.counting(rows)
        for row in rows:
            self.data_rows[name] += 1
            yield from full(row)

    def _notice_labels(self, name: str) -> None:
        """One stderr line per test label of the file that matched no test (capped)."""
        if self.join is not None:
            for line in self.join.summary():
                self.notice(f"{name}: {line}")
        tally = self.tally
        if tally is None:
            return
        matches = tally.matches(self.settings.reference, self.reader.test_name)
        for line in not_covered_lines(matches, tally.uncounted):
            self.notice(f"{name}: {line}")

    def _full_path(self, layout: Layout, name: str) -> Callable[[Row], Iterable[Record]]:
        def full(row: Row) -> Iterable[Record]:
            if row.problem:
                return (self._row_problem(name, row),)
            return self.reader.records(row, layout, name)

        return full

    def _count_rows(self, name: str, count: int) -> None:
        self.data_rows[name] += count

    def _reread(self, line: FastLine, notes: list[NoteRef]) -> Record | FastLine:
        """A result the cache rendered, with notes the patient's other results give it."""
        if self.fhir is not None and self.fhir.rendered(line):  # (an NDJSON line)
            return self.fhir.reread(line, notes)
        assert self.fast is not None  # only a cache makes lines
        return self.fast.reread(line, notes)

    def read_date(self, text: str) -> tuple[str, str | None]:
        """A stripped date cell as (date to report, warning or None), as the rows read it."""
        return self.dates.read_date(text)

    def _row_problem(self, name: str, row: Row) -> Record:
        column = None
        found = _IN_COLUMN.search(row.problem or "")
        if found and self.layout is not None:
            position = int(found[1]) - 1
            if 0 <= position < len(self.layout.headers):
                column = self.layout.headers[position].strip() or None
        return Record(STATUS_ERROR, file=name, line=row.line, column=column, reason=row.problem)
