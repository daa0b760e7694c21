"""A cache in front of the core for scans written as lines (csv, tsv, ndjson, json).

Every value of an export goes through ``evaluate`` unless a value with exactly the same texts
came before it in the same file. The key is what the core reads for a value: the cells of the
test, LOINC, unit, value, sex, lab range and lab flag columns (and cells joined from companion
tables; for a wide file: the test column and its cell), and the age key the core defines
(``core.depends.AgeKeys``; run/rowheads.py reads a row's own fields). The first value of a
key goes the full path; its record is cut into pieces around the fields the core only copies
or reads from the row (run/pieces.py: line, patient, date, age, value text, value). Later
rows of the key are those pieces joined with the row's own cells, rendered by the writer's own
cell renderers. There is no rule here: no band, no number, no note.

The first record of each shape is rendered with placeholders and compared with the record as
the writer renders it; a key whose pieces do not give the same text goes the full path.
Error records (they print a diagnostic), rows whose date or age carries a warning, skipped
records of a known test and a wide file's columns of tests not covered go the full path too.
A result that gets a note from the patient's other results (readers/grouping.py) is learned
the same way with that note (``reread``). Memory is bounded per file (``ENTRY_LIMIT`` keys,
``CHAR_LIMIT`` characters of text kept); past a budget, values of new keys go the full path
each time, and those of a shape kept are then rendered from its pieces (nothing more kept).
``B12CHECK_NO_CACHE=1`` turns the cache off (cli/commands.py).
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any, cast

from b12check.core.depends import AgeKeys
from b12check.core.evaluate import Settings
from b12check.core.patterns import GroupNotes
from b12check.core.records import FastBatch, FastLine, NoteRef, Record
from b12check.readers.items import Item, Redo, SkippedLine
from b12check.readers.layout import Layout, TestColumn
from b12check.readers.routing import RowReader
from b12check.readers.source import Row
from b12check.render.base import LineFormat
from b12check.run.pieces import FULL, Entry, Pieces
from b12check.run.rowheads import Head, RowHeads

ENTRY_LIMIT = 10240  # keys kept per file (those that go the full path included)
CHAR_LIMIT = 1 << 21  # characters of rendered text kept per file (2 Mi)
BATCH_SIZE = 100  # rendered lines per batch
KIND_ROLES = (
    "test",
    "loinc",
    "unit",
    "sex",
    "lab_range",
    "lab_low",
    "lab_high",
    "lab_flag",
    "code",
    "joined",
)
WIDE_KIND_ROLES = ("sex", "lab_range", "lab_low", "lab_high", "lab_flag", "joined")
IN_BATCH = object()  # (a row whose line went into the batch)
FullPath = Callable[[Row], Iterable[Record]]


def _cells_of(positions: list[int]) -> Callable[[list[str]], Hashable]:
    if not positions:
        return lambda cells: ()
    if len(positions) == 1:
        (position,) = positions
        return lambda cells: cells[position]
    return itemgetter(*positions)


class RowCache:
    """One per run; ``start`` before each file."""

    def __init__(self, fmt: LineFormat, settings: Settings, batching: bool) -> None:
        self.fmt = fmt
        self.settings = settings
        self.batching = batching  # results in FastBatch lines (nothing groups them)
        self.age_keys = AgeKeys(settings.reference)
        # which results a batch writes (--only, --analyte; run/filters.py): the others are
        # counted in its flags but not joined into its text; None writes them all
        self.keep: Callable[[str, str], bool] | None = None
        self.separator: str = getattr(fmt, "separator", "\n")  # (a writer's, between records)
        self.observes: bool = getattr(fmt, "observes", False)
        # results one by one, for notes from the others: grouped here (run/grouprows.py)
        self.notes_of = (
            None if batching or settings.notes == "none" else GroupNotes(settings.reference)
        )

    # ------------------------------------------------------------------ per file

    def start(
        self,
        name: str,
        layout: Layout,
        reader: RowReader,
        count_label: Callable[[list[str]], None] | None = None,
    ) -> bool:
        """Get ready for the rows of ``name``; False when this file takes the full path.
        ``count_label`` is given the cells of every long row that goes the full path or is a
        skipped record (every row of a test not covered is one of these)."""
        self.name = name
        self.count_label = count_label or _no_count
        self.layout = layout
        self.reader = reader
        self.kinds: dict[Hashable, dict[Hashable, Entry]] = {}
        self.entries = 0
        self.pieces = Pieces(self.fmt, results=not self.batching)  # (nothing groups a batch)
        self.noted: dict[Hashable, Entry] = {}  # entries with notes from other results
        roles = layout.roles
        wanted = KIND_ROLES if layout.kind == "long" else WIDE_KIND_ROLES
        self.kind_of = _cells_of([roles[role] for role in wanted if role in roles])
        self.width = layout.width
        self.result_at = roles.get("result", -1)
        self.head_of = _cells_of(
            [roles[role] for role in ("patient", "date", "age", "birth_date") if role in roles]
        )
        self.heads = RowHeads(self.fmt, self.settings, reader, roles, self.age_keys)
        self.ages_vary = self.heads.ages_vary
        self.last_head: tuple[Hashable, Head | None] = (object(), None)
        return True

    # ------------------------------------------------------------------ rows

    def items(
        self, rows: Iterable[Row], count_rows: Callable[[int], None], full: FullPath
    ) -> Iterator[Item]:
        """Every item of the file's data rows, in order; ``full`` reads a row the full path.
        ``count_rows(n)`` is told how many rows were read before anything is yielded."""
        if self.layout.kind == "wide":
            yield from self._wide_items(rows, count_rows, full)
        elif self.notes_of is not None and self.keep is None:  # (a filter reads FastLine)
            from b12check.run.grouprows import grouped_long_items  # (notes modes only)

            yield from grouped_long_items(self, rows, count_rows, full, self.notes_of)
        else:
            yield from self._long_items(rows, count_rows, full)

    def _long_items(
        self, rows: Iterable[Row], count_rows: Callable[[int], None], full: FullPath
    ) -> Iterator[Item]:
        # One loop with everything in locals: it runs once per row of files of any length.
        # It is _head, _table and _line inline (and the filter's test), which makes its
        # cyclomatic complexity 20, over the usual 15: as calls per row the same steps cost
        # about a tenth more scan time. The text between the line number and the age is
        # joined once per row head and entry heads (one object for most entries of a file).
        texts: list[str] = []
        flags: list[str] = []
        pending = 0
        batching, name, width, ages_vary = self.batching, self.name, self.width, self.ages_vary
        kinds, kind_of, head_of, result_at = self.kinds, self.kind_of, self.head_of, self.result_at
        count_label, keep, read_head = self.count_label, self.keep, self.heads.read
        last: Hashable = object()
        head: Head | None = None
        joined_for: object = None  # the entry heads ``between`` was joined for, this head
        start = between = ""
        for row in rows:
            pending += 1
            cells = row.cells
            found: Any = None  # None: the full path reads the row
            if row.problem is None and len(cells) == width:
                own = head_of(cells)
                if own != last:
                    last, head = own, read_head(cells)
                    joined_for = None
                if head is not None:
                    kind = (kind_of(cells), head[5]) if ages_vary else kind_of(cells)
                    table = kinds.get(kind)
                    if table is None:
                        table = self._table(kind)
                    text = cells[result_at]
                    entry = None if table is None else table.get(text)
                    if entry is None:
                        if table is not None:
                            count_label(cells)
                            found = self._learn(row, table, text, head, None)
                    elif entry is not FULL:
                        heads, mid, suffix, flag, analyte, value, comparator, _ = entry
                        if heads is not joined_for:
                            joined_for, (start, a1, a2, a3) = heads, heads
                            between = f"{a1}{head[2]}{a2}{head[3]}{a3}{head[4]}"
                        line = f"{start}{row.line}{between}{mid}{suffix}"
                        if flag is None:
                            count_label(cells)
                            found = SkippedLine(line, name, head[0], head[1])
                        elif batching:
                            if keep is None or keep(flag, analyte):
                                texts.append(line)
                            flags.append(flag)
                            if len(flags) < BATCH_SIZE:
                                continue
                            found = IN_BATCH
                        else:
                            redo = Redo(row, None, entry, head)
                            found = FastLine(
                                line, name, flag, analyte, head[0], head[1], value, redo, comparator
                            )
            if type(found) is tuple:  # a line for the batch
                texts.append(found[0])
                flags.append(found[1])
                if len(texts) < BATCH_SIZE:
                    continue
            count_rows(pending)
            pending = 0
            if flags:
                yield FastBatch("\n".join(texts), name, Counter(flags), len(flags))
                texts, flags = [], []
            if found is None:
                count_label(cells)
                yield from full(row)
            elif found is not IN_BATCH and type(found) is not tuple:
                yield found
        count_rows(pending)
        if flags:
            yield FastBatch("\n".join(texts), name, Counter(flags), len(flags))

    def _wide_items(
        self, rows: Iterable[Row], count_rows: Callable[[int], None], full: FullPath
    ) -> Iterator[Item]:
        """The items of a wide file's rows; when batching, its results in batches."""
        if not self.batching:
            for row in rows:
                count_rows(1)
                yield from self._wide(row, full)
            return
        if self.keep is None:
            from b12check.run.widerows import batched_wide_items  # (wide files only)

            yield from batched_wide_items(self, rows, count_rows, full)
            return
        texts: list[str] = []
        flags: list[str] = []
        keep = self.keep
        for row in rows:
            count_rows(1)
            for item in self._wide(row, full):
                batched = isinstance(item, FastLine)
                if isinstance(item, FastLine):
                    if keep is None or keep(item.flag, item.analyte):
                        texts.append(item.text)
                    flags.append(item.flag)
                    if len(flags) < BATCH_SIZE:
                        continue
                if flags:
                    yield FastBatch("\n".join(texts), self.name, Counter(flags), len(flags))
                    texts, flags = [], []
                if not batched:
                    yield item
        if flags:
            yield FastBatch("\n".join(texts), self.name, Counter(flags), len(flags))

    def _wide(self, row: Row, full: FullPath) -> Iterator[Item]:
        cells = row.cells
        if row.problem is not None or len(cells) != self.width:
            yield from full(row)
            return
        reader, layout = self.reader, self.layout
        context = None
        produced = False
        kind = self.kind_of(cells)
        for column in layout.tests:
            text = cells[column.position]
            if not text.strip():
                continue
            produced = True
            found = None
            if column.analyte is not None:  # (the full path reads the date only here)
                head = self._head(cells)
                if head is not None:
                    found = self._wide_cell(row, column, text, kind, head)
            if found is not None:
                yield found
                continue
            context = context or reader.context(row, layout)
            yield reader.wide_cell(row, self.name, column, context)
        if not produced:
            yield reader.empty_wide_row(row, self.name, reader.context(row, layout))

    def _wide_cell(
        self, row: Row, column: TestColumn, text: str, kind: Hashable, head: Head
    ) -> Item | None:
        table = self._table((column.position, kind, head[5]))
        if table is None:
            return None
        entry = table.get(text)
        if entry is None:  # (a bare tuple only for a long row, when batching)
            return cast(Item, self._learn(row, table, text, head, column))
        if entry is FULL:
            return None
        line = self._line(entry, row, head, column)
        assert type(line) is not tuple  # (a bare tuple only for a long row, when batching)
        return line  # type: ignore[return-value]

    def _line(
        self, entry: Entry, row: Row, head: Head, column: TestColumn | None
    ) -> FastLine | SkippedLine | tuple[str, str]:
        (a0, a1, a2, a3), mid, suffix, flag, analyte, value, comparator, _ = entry
        text = f"{a0}{row.line}{a1}{head[2]}{a2}{head[3]}{a3}{head[4]}{mid}{suffix}"
        if flag is None:
            return SkippedLine(text, self.name, head[0], head[1])
        if self.batching and column is None and self.keep is None:  # (a filter reads FastLine)
            return (text, flag)
        redo = Redo(row, column, entry, head)
        return FastLine(text, self.name, flag, analyte, head[0], head[1], value, redo, comparator)

    # ------------------------------------------------------------------ notes from others

    def reread(self, line: FastLine, notes: list[NoteRef]) -> Record | FastLine:
        """``line`` with notes the patient's other results gave it: its entry with those
        notes is learned like any other and kept while the budgets last."""
        row, column, entry, head = line.row
        assert isinstance(row, Row) and (column is None or isinstance(column, TestColumn))
        return self.with_notes(row, column, cast(Entry, entry), cast(Head, head), notes)

    def with_notes(
        self, row: Row, column: TestColumn | None, entry: Entry, head: Head, notes: list[NoteRef]
    ) -> Record | FastLine:
        """The result of ``row`` (its kept ``entry`` and ``head``) with ``notes``: reread's
        work, for a caller that holds those without a FastLine."""
        key = (entry, tuple(notes))
        noted = self.noted.get(key)
        if noted is None:
            made = self._learn(row, self.noted, key, head, column, notes)
        elif noted is FULL:
            made = self._read(row, column, notes)
        else:
            made = self._line(noted, row, head, column)
        assert isinstance(made, Record | FastLine)  # (a result, never batched while grouping)
        return made

    def _read(self, row: Row, column: TestColumn | None, notes: Sequence[NoteRef] = ()) -> Record:
        """The full path's record of a long row, or of one cell of a wide row, with ``notes``
        from the patient's other results added."""
        reader = self.reader
        if column is None:
            record = reader.long_value(row, self.layout, self.name)
        else:
            record = reader.wide_cell(row, self.name, column, reader.context(row, self.layout))
        record.notes.extend(notes)
        return record

    # ------------------------------------------------------------------ the row's own fields

    def _head(self, cells: list[str]) -> Head | None:
        """The row's patient, date and age as the full path reads them, and rendered; None
        when its date or age carries a warning (that row goes the full path)."""
        own = self.head_of(cells)
        last, head = self.last_head
        if own == last:
            return head
        head = self.heads.read(cells)
        self.last_head = (own, head)
        return head

    # ------------------------------------------------------------------ learning

    def _table(self, kind: Hashable) -> dict[Hashable, Entry] | None:
        """The keys kept for one kind of value; None past the budget for a new kind."""
        table = self.kinds.get(kind)
        if table is None:
            if self.entries >= ENTRY_LIMIT:
                return None
            table = self.kinds[kind] = {}
            self.entries += 1
        return table

    def _learn(
        self,
        row: Row,
        table: dict[Hashable, Entry],
        text: Hashable,
        head: Head,
        column: TestColumn | None,
        notes: Sequence[NoteRef] = (),
    ) -> Record | FastLine | SkippedLine | tuple[str, str]:
        """The full path's record for a key not seen before (with ``notes`` from the others),
        or the same as a rendered line when its shape is known (the key's pieces are kept
        while the budgets last). Past a budget, nothing more is kept: this key's values are
        read by the full path each time, and those of a shape kept are rendered from it."""
        record = self._read(row, column, notes)
        keep = self.entries < ENTRY_LIMIT and self.pieces.chars < CHAR_LIMIT
        entry, shape, template = self.pieces.entry(record, keep)
        if keep:
            table[text] = entry
            self.entries += 1
        if entry is FULL:
            return record
        line = self._line(entry, row, head, column)
        if not self.pieces.confirm(shape, template, line[0], record):  # (text comes first)
            table[text] = FULL
            return record
        return line  # the same text: the writer need not render the record once more


def _no_count(cells: list[str]) -> None:
    return None
