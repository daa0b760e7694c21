"""The row cache's loop for long files read with notes (``--notes brief|full``): results the
cache renders are gathered per patient and date right here, without an object per row.

The notes that need several results (readers/grouping.py) are added per patient and date.
This loop closes its groups exactly where that grouping does (a new patient or date, or
``MAX_GROUP`` members) and asks the same ``GroupNotes`` which such notes apply. A group the
cache rendered whole goes into a ``FastBatch`` with other such groups (its results' counts,
and for writers that observe results, the group's results); a member that gets a note is put
where the grouping puts it (``note_places``) and read again by the cache with it, as the
grouping would have it read. A group with a record of the full path is handed on member by
member, so the grouping downstream sees exactly those members and adds the notes itself.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from b12check.core.patterns import MAX_GROUP, GroupNotes, Result, note_places
from b12check.core.records import FastBatch, FastLine, NoteRef, Record
from b12check.readers.items import Item, Redo, SkippedLine
from b12check.readers.source import Row
from b12check.run.pieces import FULL, Entry

if TYPE_CHECKING:
    from b12check.run.rowcache import FullPath, RowCache
    from b12check.run.rowheads import Head

BATCH_SIZE = 100  # rendered lines per batch (closed groups are never cut)
# A member the cache rendered from a kept entry: (text, row, entry, head), made a FastLine
# only when its group needs a note from the others.
Cached = tuple[str, Row, Entry, "Head"]
Member = Cached | FastLine | SkippedLine | Record


_flag_of = itemgetter(1)  # a result's flag


class Groups:
    """The members of the open group, and the closed groups waiting in the batch."""

    def __init__(self, cache: "RowCache", notes_of: GroupNotes) -> None:
        self.name = cache.name
        self.notes_of = notes_of
        self.separator = cache.separator
        self.observed = cache.observes
        self.reread = cache.reread
        self.with_notes = cache.with_notes
        self.render = cache.fmt.render
        self.texts: list[str] = []
        self.flags: list[str] = []
        self.skipped = 0
        self.seen: list[tuple[str | None, str | None, list[Result]]] = []

    def close(
        self,
        members: list[Member],
        results: list[Result] | None,
        patient: str | None,
        date: str | None,
    ) -> list[Item]:
        """Close a group: into the batch (nothing to yield yet, unless the batch is full),
        with the notes from the others on the members they go on; a group with a record of
        the full path is handed on member by member, for the grouping downstream.
        ``results``: the members' results when all of them are the cache's (else None)."""
        if results is None:
            results = _results_of(members)
            if results is None:  # a record of the full path: the grouping's job
                return [*self.batch(), *[self.item(member) for member in members]]
        found = self.notes_of(results)
        # (the text comes first in each member: a cached one, a FastLine, a SkippedLine)
        texts = [member[0] for member in members]  # type: ignore[index]
        if found:
            self.noted(members, found, texts)
        self.texts.extend(texts)
        self.flags.extend(map(_flag_of, results))
        self.skipped += len(members) - len(results)
        if self.observed:
            self.seen.append((patient, date, results))
        return self.batch() if len(self.texts) >= BATCH_SIZE else []

    def noted(
        self, members: list[Member], found: list[tuple[str, NoteRef]], texts: list[str]
    ) -> None:
        """Put the texts of the members that get notes from the others into ``texts``: each
        such result as the cache reads it again with those notes (readers/grouping.py's
        way), a record of the full path rendered by the writer."""
        # (a cached member's analyte and reading again without the FastLine item() makes)
        analytes = [m[2][4] if type(m) is tuple else _analyte(m) for m in members]  # type: ignore[index]
        for position, notes in note_places(analytes, found).items():
            member = members[position]
            if type(member) is tuple:
                _, row, entry, head = cast(Cached, member)
                made = self.with_notes(row, None, entry, head, notes)
            else:
                made = self.reread(cast(FastLine, member), notes)
            texts[position] = made.text if isinstance(made, FastLine) else self.render(made)

    def item(self, member: Member) -> Item:
        """A member as the cache hands it on outside a batch (as RowCache._line makes it)."""
        if type(member) is not tuple:
            return cast(FastLine | SkippedLine | Record, member)
        text, row, entry, head = cast(Cached, member)
        flag = cast(str, entry[3])  # (kept entries of results only)
        redo = Redo(row, None, entry, head)
        return FastLine(text, self.name, flag, entry[4], head[0], head[1], entry[5], redo, entry[6])

    def batch(self) -> list[Item]:
        """The closed groups kept so far, as one batch (none when there are none)."""
        texts = self.texts
        if not texts:
            return []
        separator = self.separator
        text = separator.join(texts)
        runs = [text] if text.isascii() else ascii_runs(texts, separator)
        made = FastBatch(
            runs[0], self.name, Counter(self.flags), len(self.flags), self.skipped, self.seen
        )
        self.texts, self.flags, self.skipped, self.seen = [], [], 0, []
        if len(runs) == 1:
            return [made]
        return [made, *[FastBatch(run, self.name, {}, 0) for run in runs[1:]]]


def ascii_runs(texts: list[str], separator: str) -> list[str]:
    """``texts`` joined by ``separator`` as a few texts to write one after another (with the
    separator between them): the runs of ASCII texts joined, each other text on its own.
    The same bytes as the one joined text, but a stream encodes an ASCII text by copying it,
    and any other text character by character (one note with a "µ" in a batch would make
    the whole batch go the slow way)."""
    runs: list[str] = []
    start = 0
    for position, text in enumerate(texts):
        if not text.isascii():
            if start < position:
                runs.append(separator.join(texts[start:position]))
            runs.append(text)
            start = position + 1
    if start < len(texts):
        runs.append(separator.join(texts[start:]))
    return runs


def _results_of(members: list[Member]) -> list[Result] | None:
    """The results of a group's members (None when one is a record of the full path)."""
    results: list[Result] = []
    for member in members:
        kind = type(member)
        if kind is tuple:
            results.append(cast(Result, cast(Cached, member)[2][7]))
        elif kind is FastLine:
            line = cast(FastLine, member)
            results.append((line.analyte, line.flag, line.value, line.comparator))
        elif kind is not SkippedLine:
            return None
    return results


def _analyte(member: Member) -> str | None:
    """The analyte a note from the others may go on (none for a skipped record)."""
    kind = type(member)
    if kind is tuple:
        return cast(Cached, member)[2][4]
    return None if kind is SkippedLine else cast(FastLine, member).analyte


def grouped_long_items(
    cache: "RowCache",
    rows: Iterable[Row],
    count_rows: Callable[[int], None],
    full: "FullPath",
    notes_of: GroupNotes,
) -> Iterator[Item]:
    """Every item of a long file's data rows, in order, with closed groups batched."""
    # One loop with everything in locals, as RowCache._long_items (it runs once per row); as
    # there, its steps inline make its cyclomatic complexity about 20 (with the results of
    # the group gathered as it goes), over the usual 15: as calls per row they would cost
    # more than the per-row objects this loop is here to save.
    groups = Groups(cache, notes_of)
    close = groups.close
    members: list[Member] = []
    results: list[Result] = []  # the results of the members, while all are cached ones
    mixed = False  # (a member other than a cached one: close reads the results)
    patient: str | None = None
    date: str | None = None
    pending = 0
    width, kinds, kind_of, head_of = cache.width, cache.kinds, cache.kind_of, cache.head_of
    result_at, ages_vary, count_label = cache.result_at, cache.ages_vary, cache.count_label
    read_head = cache.heads.read
    last: Any = object()
    head: Head | None = None
    group_head: Head | None = None
    for row in rows:
        pending += 1
        cells = row.cells
        made: Iterable[Member] | None = None
        if row.problem is None and len(cells) == width:
            own = head_of(cells)
            if own != last:
                last, head = own, read_head(cells)
            if head is not None:
                kind = (kind_of(cells), head[5]) if ages_vary else kind_of(cells)
                table = kinds.get(kind)
                if table is None:
                    table = cache._table(kind)
                text = cells[result_at]
                entry = None if table is None else table.get(text)
                if entry is not None and entry is not FULL and entry[3] is not None:
                    (a0, a1, a2, a3), mid, suffix = entry[0], entry[1], entry[2]
                    line = f"{a0}{row.line}{a1}{head[2]}{a2}{head[3]}{a3}{head[4]}{mid}{suffix}"
                    if head is not group_head or len(members) >= MAX_GROUP:
                        # (the same head: the same patient and date, checked once a group)
                        full_group = len(members) >= MAX_GROUP
                        if members and (full_group or head[0] != patient or head[1] != date):
                            out = close(members, None if mixed else results, patient, date)
                            members, results, mixed = [], [], False
                            if out:
                                count_rows(pending)
                                pending = 0
                                yield from out
                        patient, date, group_head = head[0], head[1], head
                    members.append((line, row, entry, head))
                    results.append(entry[7])  # type: ignore[arg-type]
                    continue
                if table is not None and entry is None:
                    count_label(cells)
                    made = (cache._learn(row, table, text, head, None),)  # type: ignore[assignment]
                elif entry is not None and entry is not FULL:  # a test not covered
                    count_label(cells)
                    made = (cache._line(entry, row, head, None),)  # type: ignore[assignment]
        if made is None:
            count_label(cells)
            made = full(row)
        for member in made:
            group_head = None  # (the next cached member checks its patient and date)
            key_patient, key_date = member.patient, member.date  # type: ignore[union-attr]
            if members and (
                key_patient != patient or key_date != date or len(members) >= MAX_GROUP
            ):
                out = close(members, None if mixed else results, patient, date)
                members, results = [], []
                if out:
                    count_rows(pending)
                    pending = 0
                    yield from out
            patient, date, mixed = key_patient, key_date, True
            members.append(member)
    count_rows(pending)
    if members:
        yield from close(members, None if mixed else results, patient, date)
    yield from groups.batch()
