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
    """Kept in ``FastLine.row``: what the cache needs to read that one value again when a
    pattern note must be added to it (the source row; for a wide row its test column; the
    cache's own entry and the row's rendered patient, date and age)."""

    row: object  # the source Row
    column: object | None  # the wide layout's TestColumn, None in a long layout
    entry: object = None
    head: object = None


class FastGroup(NamedTuple):
    """A whole patient/date group the cache rendered that needs no note from the others
    (readers/grouping.py): written in one go."""

    members: list[FastLine | SkippedLine]
    file: str


Item = Record | FastLine | FastBatch | SkippedLine | FastGroup
