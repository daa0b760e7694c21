"""Rows of lab exports to records, one file at a time, in constant memory.

Every data row ends up as records: a result, an error naming file, line, column and reason,
or a skipped record (a test b12check does not cover, or a line that holds no data).
A file that cannot be read at all becomes one error record, and the next file still runs.
"""

from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from types import MappingProxyType
from typing import BinaryIO, NamedTuple

from b12check.core.errors import ValueProblem
from b12check.core.evaluate import Settings, evaluate, notes_for
from b12check.core.labrange import parse_lab_range
from b12check.core.lazyre import LazyPattern
from b12check.core.names import loinc_code
from b12check.core.numbers import parse_value
from b12check.core.patterns import group_notes
from b12check.core.records import FastBatch, FastLine, NoteRef, Record
from b12check.core.vocab import HEADER_ROLES, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.readers.dates import age_on, normalise_date, slash_order
from b12check.readers.layout import (
    HEADER_SEARCH_ROWS,
    HeaderIndex,
    Layout,
    LayoutProblem,
    TestColumn,
    find_layout,
    units_row,
)
from b12check.readers.shortcut import Shortcut
from b12check.readers.source import FileProblem, Row, open_source

Item = Record | FastLine | FastBatch
_IN_COLUMN = LazyPattern(r"in column ([0-9]+)")
PROGRESS_EVERY = 20_000  # rows between progress reports
MAX_AGE = 130  # years: an older age is a typo
CONTEXT_ROLES = tuple(role for role in HEADER_ROLES if role != "result")  # read per row
MAX_GROUP = 200  # records held back at most while a patient/date group is completed
LOW_FLAGS = frozenset({"critical_low", "deficient", "low", "borderline"})
HIGH_FLAGS = frozenset({"high", "critical_high"})
LAB_LOW = frozenset({"l", "ll", "low", "cl", "(l)", "↓", "critical low"})
LAB_HIGH = frozenset({"h", "hh", "high", "ch", "(h)", "↑", "critical high"})


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
        self.settings = settings
        self.headers = headers
        self.options = options
        self.notice = notice
        self.data_rows = data_rows  # data rows read per file, for the summary
        self.fast: Shortcut | None = None  # set when the output format can take fast lines
        # fast-lane results in batches: only where no note can need them one by one
        self.batching = False
        self.layout: Layout | None = None
        self.date_order: str | None = None  # 'dmy' or 'mdy' once a date of the file shows it
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
            self.date_order = None
            rows = source.rows()
            if self.progress is not None:
                rows = self._reporting(rows, source.bytes_read, name, self.progress)
            if self.batching:  # no notes: nothing to group for
                yield from self._scan_rows(rows, name)
            else:
                yield from self._grouped(self._scan_rows(rows, name), lambda: self.layout)
        finally:
            source.close()

    def _reporting(
        self,
        rows: Iterator[Row],
        position: Callable[[], int],
        name: str,
        report: Callable[[str, int, int], None],
    ) -> Iterator[Row]:
        for count, row in enumerate(rows, 1):
            if count % PROGRESS_EVERY == 0:
                report(name, position(), self.data_rows[name])
            yield row
        report(name, position(), self.data_rows[name])

    def _scan_rows(self, rows: Iterator[Row], name: str) -> Iterator[Item]:
        first: list[Row] = []
        pending_problem: Row | None = None
        for row in rows:
            if row.problem:
                pending_problem = row
                break
            first.append(row)
            if len(first) >= HEADER_SEARCH_ROWS:
                break
        try:
            layout = find_layout(
                [(r.line, r.cells) for r in first],
                self.settings.reference,
                self.headers,
                overrides=self.options.columns,
                forced=self.options.layout,
            )
        except LayoutProblem as exc:
            if pending_problem is not None and not first:
                yield self._row_problem(name, pending_problem)
                return
            line = exc.line or (first[0].line if first else 0)
            yield Record(STATUS_ERROR, file=name, line=line, reason=str(exc))
            return
        self.notice_layout(name, layout)
        self.layout = layout
        date_at = layout.roles.get("date")
        if date_at is not None:  # let the rows read so far settle d/m/y versus m/d/y
            for row in first:
                if row.line > layout.header_line and date_at < len(row.cells):
                    self._learn_date_order(row.cells[date_at])
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
        yield from self._data(iter(after_header), rows, layout, name)

    def notice_layout(self, name: str, layout: Layout) -> None:
        if layout.kind == "wide":
            uncovered = [c.header for c in layout.tests if c.analyte is None]
            if uncovered:
                self.notice(f"{name}: columns for tests not covered: {', '.join(uncovered)}")

    def _data(
        self,
        buffered: Iterator[Row],
        rest: Iterator[Row],
        layout: Layout,
        name: str,
    ) -> Iterator[Item]:
        reader = self._long_row if layout.kind == "long" else self._wide_row
        fast = self.fast
        if fast is not None and not fast.start(layout, self.read_date):
            fast = None
        if fast is not None and self.batching:
            yield from fast.batches(
                chain(buffered, rest),
                name,
                lambda count: self._count_rows(name, count),
                lambda row: self._learned(row, layout, name, fast),
            )
            return
        first_data = True
        for source in (buffered, rest):
            for row in source:
                if first_data and layout.kind == "wide" and not row.problem:
                    first_data = False
                    with_units = units_row(row.cells, layout, self.settings.reference)
                    if with_units is not None:
                        layout.tests = with_units  # a units row: not data
                        continue
                first_data = False
                self.data_rows[name] += 1
                if row.problem:
                    yield self._row_problem(name, row)
                    continue
                if fast is not None:
                    line = fast.try_row(row, name)
                    if line is not None:
                        yield line
                        continue
                    yield from self._learned(row, layout, name, fast)
                    continue
                yield from reader(row, layout, name)

    def _count_rows(self, name: str, count: int) -> None:
        self.data_rows[name] += count

    def _learned(self, row: Row, layout: Layout, name: str, fast: Shortcut) -> list[Record]:
        """A row the fast lane could not render, read by the full path; the lane learns from
        its record."""
        if row.problem is not None:
            return [self._row_problem(name, row)]
        records = list(self._long_row(row, layout, name))
        for record in records:
            fast.learn(row, record)
        return records

    def _learn_date_order(self, text: str) -> None:
        if self.date_order is None:
            self.date_order = slash_order(text)

    def read_date(self, text: str) -> tuple[str, str | None]:
        """A stripped date cell as (date to report, warning or None), letting it settle the
        day/month order of the file first."""
        self._learn_date_order(text)
        return normalise_date(text, self.options.date_format, self.date_order)

    def _row_problem(self, name: str, row: Row) -> Record:
        column = None
        found = _IN_COLUMN.search(row.problem or "")
        if found and self.layout is not None:
            position = int(found[1]) - 1
            if 0 <= position < len(self.layout.headers):
                column = self.layout.headers[position].strip() or None
        return Record(STATUS_ERROR, file=name, line=row.line, column=column, reason=row.problem)

    # ------------------------------------------------------------------ rows

    def _shape_problem(self, row: Row, layout: Layout, name: str) -> Record | None:
        if len(row.cells) == layout.width:
            return None
        filled = [c for c in row.cells if c.strip()]
        if len(filled) <= 1:
            return Record(
                STATUS_SKIPPED,
                file=name,
                line=row.line,
                value_text=filled[0].strip() if filled else "",
                reason="not a data row (a title, note or footer line)",
            )
        return Record(
            STATUS_ERROR,
            file=name,
            line=row.line,
            reason=f"expected {layout.width} fields, found {len(row.cells)}",
        )

    def _context(self, row: Row, layout: Layout) -> dict[str, str | None]:
        """The row's stripped cell (None if empty or missing) for each role of CONTEXT_ROLES."""
        cells, roles = row.cells, layout.roles
        context: dict[str, str | None] = dict.fromkeys(CONTEXT_ROLES)
        for role in CONTEXT_ROLES:
            position = roles.get(role)
            if position is not None and position < len(cells):
                context[role] = cells[position].strip() or None
        return context

    def _long_row(self, row: Row, layout: Layout, name: str) -> Iterator[Record]:
        shape = self._shape_problem(row, layout, name)
        if shape is not None:
            yield shape
            return
        context = self._context(row, layout)
        value_text = row.cells[layout.roles["result"]]
        test = self._test_name(context)
        header = layout.headers[layout.roles["result"]].strip()
        yield self._value(row, name, test, value_text, context["unit"], context, header)

    def _test_name(self, context: dict[str, str | None]) -> str:
        code = context["loinc"]
        if code and loinc_code(code):
            if code in self.settings.reference.refused_codes:
                return code
            if self.settings.reference.codes.get(code):
                return code
        return context["test"] or code or ""

    def _wide_row(self, row: Row, layout: Layout, name: str) -> Iterator[Record]:
        shape = self._shape_problem(row, layout, name)
        if shape is not None:
            yield shape
            return
        context = self._context(row, layout)
        produced = False
        for column in layout.tests:
            text = row.cells[column.position]
            if not text.strip():
                continue
            produced = True
            if column.analyte is None:
                yield Record(
                    STATUS_SKIPPED,
                    file=name,
                    line=row.line,
                    column=column.header,
                    patient=context["patient"],
                    date=context["date"],
                    label=column.header,
                    value_text=text,
                    reason="not a test b12check covers",
                )
                continue
            yield self._value(
                row,
                name,
                column.analyte.id,
                text,
                column.unit,
                context,
                column.header,
                label=column.header,
            )
        if not produced:
            yield Record(
                STATUS_SKIPPED,
                file=name,
                line=row.line,
                patient=context["patient"],
                date=context["date"],
                reason="no results in this row",
            )

    def _value(
        self,
        row: Row,
        name: str,
        test: str,
        value_text: str,
        unit: str | None,
        context: dict[str, str | None],
        column: TestColumn | str,
        *,
        label: str | None = None,
    ) -> Record:
        column_name = column if isinstance(column, str) else column.header
        non_result = self.headers.non_results.get(value_text.strip().casefold())
        date_text = context["date"]
        date, date_warning = (None, None)
        if date_text:
            date, date_warning = self.read_date(date_text)
        age, age_warning = self._age(context, None if date_warning else date)
        record = evaluate(
            self.settings,
            file=name,
            line=row.line,
            name=test,
            value_text=value_text.strip(),
            unit_text=unit,
            column=column_name,
            patient=context["patient"],
            date=date,
            sex=context["sex"],
            age=age,
            lab_range=context["lab_range"],
            lab_flag=context["lab_flag"],
            unknown_is_skipped=True,
        )
        if label:
            record.label = label
        if non_result and record.status == STATUS_ERROR:
            record.reason = non_result
        if record.status == STATUS_ERROR and record.column is None:
            record.column = column_name
        if date_warning:
            record.warnings.append(date_warning)
        if age_warning:
            record.warnings.append(age_warning)
        if record.status == STATUS_RESULT and self.options.lab_ranges == "prefer":
            self._prefer_lab_range(record)
        elif record.status == STATUS_RESULT and self.options.lab_ranges == "show":
            if self.settings.notes != "none":
                self._compare_with_lab(record, unit)
        return record

    def _age(
        self, context: dict[str, str | None], date: str | None
    ) -> tuple[float | None, str | None]:
        """(age, warning): from the row's age cell, else from its birth date on its collection
        date (``date``: ISO, None when missing or unreadable)."""
        age_text = context["age"]
        if age_text:
            return _read_age(age_text)
        born_text = context["birth_date"]
        if not born_text:
            return None, None
        born, warning = self.read_date(born_text)
        if warning:
            return None, f"birth {warning}; no age worked out"
        if date is None:
            return None, "no readable collection date to work out the age from the birth date"
        age = age_on(born, date)
        if age is None or age > MAX_AGE:
            return None, f"birth date {born_text!r} does not fit the collection date {date}"
        return age, None

    def _prefer_lab_range(self, record: Record) -> None:
        """--lab-ranges prefer: the row's own range decides low / normal / high; the built-in
        band keeps its finer flag where the two agree (and where the lab gives no range)."""
        lab_range = parse_lab_range(record.lab_range or "")
        number = _number_in_given_unit(record)
        if lab_range is None or record.comparator or number is None or record.value is None:
            self._compare_with_lab(record, None)
            return
        theirs = _lab_reading(lab_range.position(number))
        flag = record.flag or ""
        ours = _reading(flag)
        if flag != "unclassified" and theirs == ours:
            return
        factor = record.value / number if number else 1.0
        record.flag = theirs
        record.interpretation = {"low": "L", "normal": "N", "high": "H"}[theirs]
        record.band_label = f"{theirs} by the lab's range"
        record.band_low = None if lab_range.low is None else round(lab_range.low * factor, 6)
        record.band_high = None if lab_range.high is None else round(lab_range.high * factor, 6)
        record.band_source = f"the lab's reference range ({lab_range})"
        record.reason = None
        record.flag_by_sex = None
        record.notes = notes_for(
            self.settings.reference, record.analyte or "", theirs, self.settings.notes
        )
        if self.settings.notes != "none":
            built_in = flag.replace("_", " ")
            record.notes.append(
                NoteRef(
                    f"Read against the lab's own range ({lab_range}) as asked; the built-in "
                    f"band would say {built_in}.",
                    "the lab's report",
                    "lab_disagreement",
                    "lab",
                )
            )

    def _compare_with_lab(self, record: Record, unit: str | None) -> None:
        """Say so in a note when the lab's own range or flag reads the value differently."""
        flag = record.flag or ""
        ours = _reading(flag)
        if flag == "unclassified":
            return
        lab_range = parse_lab_range(record.lab_range or "")
        if lab_range is not None and not record.comparator:
            number = _number_in_given_unit(record)
            if number is not None:
                position = lab_range.position(number)
                theirs = _lab_reading(position)
                if theirs != ours:
                    record.notes.append(
                        NoteRef(
                            f"The lab's own range ({lab_range}) reads this value as {theirs}; "
                            f"the built-in band says {flag.replace('_', ' ')}. Ranges differ "
                            "between labs and guidelines: ask which applies to you.",
                            "the lab's report",
                            "lab_disagreement",
                            "lab",
                        )
                    )
                    return
        lab_flag = (record.lab_flag or "").strip().casefold()
        if lab_flag:
            lab_reads = "low" if lab_flag in LAB_LOW else "high" if lab_flag in LAB_HIGH else None
            if lab_flag in ("n", "normal"):
                lab_reads = "normal"
            if lab_reads is not None and lab_reads != ours:
                record.notes.append(
                    NoteRef(
                        f"The lab flagged this value {record.lab_flag!r} ({lab_reads}); the "
                        f"built-in band says {flag.replace('_', ' ')}.",
                        "the lab's report",
                        "lab_disagreement",
                        "lab",
                    )
                )

    # ------------------------------------------------------------------ grouping

    def _grouped(
        self, items: Iterator[Item], layout_of: Callable[[], Layout | None]
    ) -> Iterator[Item]:
        """Hold back one patient's results for one date to add cross-test pattern notes."""
        group: list[Record | FastLine] = []
        key: tuple[str | None, str | None] | None = None
        for item in items:
            if isinstance(item, FastBatch):  # batches only come when nothing is grouped
                yield from self._with_patterns(group, layout_of())
                group = []
                yield item
                continue
            item_key = (item.patient, item.date)
            if group and (item_key != key or len(group) >= MAX_GROUP):
                yield from self._with_patterns(group, layout_of())
                group = []
            key = item_key
            group.append(item)
        if group:
            yield from self._with_patterns(group, layout_of())

    def _with_patterns(
        self, group: list[Record | FastLine], layout: Layout | None
    ) -> list[Record | FastLine]:
        if self.settings.notes == "none":
            return group
        results = [
            (item.analyte or "", item.flag or "", item.value, item.comparator)
            for item in group
            if isinstance(item, FastLine)
            or (item.analyte and (item.status == STATUS_RESULT or item.value is not None))
        ]
        for analyte, note in group_notes(results, self.settings.reference):
            position = next(i for i, item in enumerate(group) if item.analyte == analyte)
            target = group[position]
            if isinstance(target, FastLine):
                assert layout is not None  # the fast lane only runs inside a known layout
                (target,) = self._long_row(target.row, layout, target.file)
                group[position] = target
            target.notes.append(note)
        return group


def _reading(flag: str) -> str:
    """A flag as the lab's coarse reading: 'low', 'normal' or 'high'."""
    return "low" if flag in LOW_FLAGS else "high" if flag in HIGH_FLAGS else "normal"


def _lab_reading(position: str) -> str:
    """Where a value sits in the lab's range ('below', 'within', 'above') as a reading."""
    return {"below": "low", "above": "high"}.get(position, "normal")


def _read_age(text: str) -> tuple[float | None, str | None]:
    """(age, None) from an age cell such as ``42`` or ``42 years``, else (None, warning).

    The number is read by the same strict grammar as results, so ``nan``, ``1_7`` and
    non-ASCII digits (which ``float()`` would take) are not ages.
    """
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    try:
        parsed = parse_value(first)
    except ValueProblem as exc:
        return None, f"age not understood: {exc}; no age used"
    if parsed.comparator or parsed.rest:
        return None, f"age {text!r} not understood; no age used"
    if not 0 <= parsed.number <= MAX_AGE:
        return None, f"age {text!r} is not between 0 and {MAX_AGE}; no age used"
    return parsed.number, None


def _number_in_given_unit(record: Record) -> float | None:
    try:
        return parse_value(record.value_text or "", decimal_comma=True).number
    except ValueError:
        return None
