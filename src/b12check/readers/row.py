"""What the CSV source hands out: a ``Row`` per record, or a ``FileProblem`` for the file."""

from __future__ import annotations

from collections.abc import Callable


class FileProblem(Exception):
    """The whole file cannot be read; ``str(exc)`` is one line without the file name."""

    line: int | None

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Row:
    """One record: ``line`` is the 1-based physical line where it starts; ``cells`` are the
    raw cell texts (not stripped); ``problem`` is set when the row could not be read cleanly.
    (A plain slotted class: the dataclasses module alone costs more start-up than it saves.)"""

    __slots__ = ("line", "cells", "problem")

    def __init__(self, line: int, cells: list[str], problem: str | None = None) -> None:
        self.line = line
        self.cells = cells
        self.problem = problem

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return (self.line, self.cells, self.problem) == (other.line, other.cells, other.problem)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Row(line={self.line!r}, cells={self.cells!r}, problem={self.problem!r})"


# Building a frozen dataclass through its __init__ costs twice as much as the csv parsing of a
# short row; the hot loops set the slots directly instead (same result, same type).
new_row = object.__new__
set_line: Callable[[Row, int], None] = Row.__dict__["line"].__set__
set_cells: Callable[[Row, list[str]], None] = Row.__dict__["cells"].__set__
set_problem: Callable[[Row, str | None], None] = Row.__dict__["problem"].__set__
