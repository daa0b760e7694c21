"""What the scanner needs of a shortcut that renders rows without the full path.

The scanner only reads; rendering belongs above it (``b12check.run``). A shortcut is handed
in from there and spoken to through this protocol, so no reader imports a writer.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from b12check.core.records import FastBatch, FastLine, Record
from b12check.readers.layout import Layout
from b12check.readers.source import Row

DateReader = Callable[[str], tuple[str, str | None]]


class Shortcut(Protocol):
    def start(self, layout: Layout, read_date: DateReader) -> bool:
        """Whether this file's rows can take the shortcut."""
        ...

    def try_row(self, row: Row, file: str) -> FastLine | None:
        """The row rendered, or None when the full path must read it."""
        ...

    def batches(
        self,
        rows: Iterable[Row],
        file: str,
        count_rows: Callable[[int], None],
        full_path: Callable[[Row], Iterable[Record]],
    ) -> Iterator[Record | FastBatch]:
        """Every row of a file, rendered in batches where it can be, in input order."""
        ...

    def learn(self, row: Row, record: Record) -> None:
        """See the record the full path made of ``row``."""
        ...
