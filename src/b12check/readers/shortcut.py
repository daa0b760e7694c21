"""What the scanner needs of a cache that renders rows without the full path.

The scanner only reads; rendering belongs above it (``b12check.run``). A cache is handed in
from there and spoken to through this protocol, so no reader imports a writer.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from b12check.core.records import FastLine, NoteRef, Record
from b12check.readers.items import Item
from b12check.readers.layout import Layout
from b12check.readers.routing import RowReader
from b12check.readers.source import Row


class Shortcut(Protocol):
    def start(
        self,
        name: str,
        layout: Layout,
        reader: RowReader,
        count_label: Callable[[list[str]], None] | None = None,
    ) -> bool:
        """Get ready for the data rows of file ``name``; False: they take the full path.
        ``count_label`` is given the cells of every row the cache does not render as a
        result."""
        ...

    def items(
        self,
        rows: Iterable[Row],
        count_rows: Callable[[int], None],
        full: Callable[[Row], Iterable[Record]],
    ) -> Iterator[Item]:
        """Every item of the data rows, in order, rendered where the cache can; ``full``
        reads a row the full path; ``count_rows(n)`` is told of rows read before anything
        is yielded."""
        ...

    def reread(self, line: FastLine, notes: list[NoteRef]) -> Record | FastLine:
        """The result ``line`` with ``notes`` added: a record as the full path writes it, or
        the same rendered."""
        ...
