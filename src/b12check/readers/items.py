"""What a scan yields besides full records: rows a cache in front of the core rendered."""

from typing import NamedTuple

from b12check.core.records import FastBatch, FastLine, Record


class SkippedLine(NamedTuple):
    """A skipped record (a test b12check does not cover) rendered by a cache, with what the
    summary and the patient/date grouping need."""

    text: str
    file: str
    patient: str | None
    date: str | None


class Redo(NamedTuple):
    """Kept in ``FastLine.row``: the source row, and for a wide row the test column, so the
    full path can read that one value again when a pattern note must be added to it."""

    row: object  # the source Row
    column: object | None  # the wide layout's TestColumn, None in a long layout


Item = Record | FastLine | FastBatch | SkippedLine
