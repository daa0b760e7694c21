"""The row cache's loop for wide files when results may be batched (no notes, not json).

A wide row holds one value per test column. A row all of whose filled cells are values the
cache keeps (the same column, the same other cells the core reads, the same age key and the
same value text as before) is rendered here straight from the kept entries into the batch.
Any other row (one cell new, a column of a test not covered, a date or age with a warning,
no filled cell, a row the source could not read) goes through ``RowCache._wide``, cell by
cell, as before; what this loop worked out for it is dropped, so nothing is written twice.
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING

from b12check.core.records import FastBatch, FastLine
from b12check.readers.items import Item
from b12check.readers.source import Row
from b12check.run.pieces import FULL, Entry

if TYPE_CHECKING:
    from b12check.run.rowcache import FullPath, RowCache

BATCH_SIZE = 100  # rendered lines per batch (a row's lines are never cut)


def batched_wide_items(
    cache: "RowCache", rows: Iterable[Row], count_rows: Callable[[int], None], full: "FullPath"
) -> Iterator[Item]:
    """Every item of a wide file's data rows, in order, the rows rendered whole batched."""
    texts: list[str] = []
    flags: list[str] = []
    pending = 0
    name = cache.name
    cached = CachedRows(cache)
    for row in rows:
        pending += 1
        if cached.lines(row, texts, flags):
            if len(texts) < BATCH_SIZE:
                continue
            count_rows(pending)
            pending = 0
            yield FastBatch("\n".join(texts), name, Counter(flags), len(texts))
            texts, flags = [], []
            continue
        count_rows(pending)
        pending = 0
        for item in cache._wide(row, full):  # cell by cell: its results still batched
            if type(item) is FastLine:
                texts.append(item.text)
                flags.append(item.flag)
                continue
            if texts:
                yield FastBatch("\n".join(texts), name, Counter(flags), len(texts))
                texts, flags = [], []
            yield item
    count_rows(pending)
    if texts:
        yield FastBatch("\n".join(texts), name, Counter(flags), len(texts))


class CachedRows:
    """Renders wide rows from the cache's kept entries, when all of a row's cells are kept."""

    def __init__(self, cache: "RowCache") -> None:
        self.cache = cache
        self.width, self.kinds, self.kind_of = cache.width, cache.kinds, cache.kind_of
        self.columns = [
            (column.position, column.analyte is not None) for column in cache.layout.tests
        ]
        self.kind: Hashable = object()  # the kind of the last row rendered here
        self.tables: dict[int, dict[Hashable, Entry]] = {}  # that kind's tables, by column

    def lines(self, row: Row, texts: list[str], flags: list[str]) -> bool:
        """Add the row's lines and flags when every filled cell is a kept result; False (and
        nothing added) when the row must go cell by cell."""
        cells = row.cells
        if row.problem is not None or len(cells) != self.width:
            return False
        head = None
        kind: tuple[Hashable, Hashable] = ((), None)
        tables = self.tables
        found: list[str] = []
        found_flags: list[str] = []
        for position, covered in self.columns:
            text = cells[position]
            if not text.strip():
                continue
            if not covered:
                return False
            if head is None:
                head = self.cache._head(cells)
                if head is None:
                    return False
                kind = (self.kind_of(cells), head[5])
                if kind != self.kind:
                    tables.clear()
                    self.kind = kind
            table = tables.get(position)
            if table is None:
                table = self.kinds.get((position, *kind))
                if table is None:
                    return False
                tables[position] = table
            entry = table.get(text)
            if entry is None or entry is FULL or entry[3] is None:
                return False
            (a0, a1, a2, a3), mid, suffix = entry[0], entry[1], entry[2]
            found.append(f"{a0}{row.line}{a1}{head[2]}{a2}{head[3]}{a3}{head[4]}{mid}{suffix}")
            found_flags.append(entry[3])
        if head is None:  # no filled cell: the full path says so
            return False
        texts.extend(found)
        flags.extend(found_flags)
        return True
