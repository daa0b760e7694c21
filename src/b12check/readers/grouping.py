"""Cross-test pattern and derived-value notes, added per patient and collection date.

Records stream past; the records of one patient on one date (at most ``MAX_GROUP``) are held
back until the group ends, then the notes that need several results are added. A result a
cache rendered already (``FastLine``) that must carry such a note is read again by the full
path (or by the cache, which learns it like any other), so it gets exactly the record the full
path writes. A group the cache rendered whole that gets no such note goes on as one
``FastGroup``, written in one go.
"""

from collections.abc import Callable, Iterator

from b12check.core.patterns import MAX_GROUP, GroupNotes, Result, note_places
from b12check.core.records import FastBatch, FastLine, NoteRef, Record
from b12check.core.refdata import Reference
from b12check.core.vocab import STATUS_RESULT
from b12check.readers.items import FastGroup, Item, SkippedLine

Member = Record | FastLine | SkippedLine
# reads a result the cache rendered again, with notes the others gave it
Reread = Callable[[FastLine, list[NoteRef]], Record | FastLine]


def grouped(
    items: Iterator[Item],
    reference: Reference,
    notes: str,
    reread: Reread,
) -> Iterator[Item]:
    """``items`` with pattern notes added; ``reread`` reads a cached result in full."""
    if notes == "none":
        yield from items
        return
    notes_of = GroupNotes(reference)
    group: list[Member] = []
    key: tuple[str | None, str | None] | None = None
    for item in items:
        if isinstance(item, (FastBatch, FastGroup)):  # (never while grouping)
            yield from with_patterns(group, notes_of, reread)
            group = []
            yield item
            continue
        item_key = (item.patient, item.date)
        if group and (item_key != key or len(group) >= MAX_GROUP):
            yield from with_patterns(group, notes_of, reread)
            group = []
        key = item_key
        group.append(item)
    if group:
        yield from with_patterns(group, notes_of, reread)


def with_patterns(
    group: list[Member],
    notes_of: GroupNotes,
    reread: Reread,
) -> list[Item]:
    """The group's members with the notes that need several results; a group the cache
    rendered whole that gets none as one FastGroup."""
    if not group:
        return []
    results: list[Result] = []
    lines: list[FastLine | SkippedLine] = []
    for item in group:
        if isinstance(item, FastLine):
            results.append((item.analyte, item.flag, item.value, item.comparator))
            lines.append(item)
        elif isinstance(item, SkippedLine):
            lines.append(item)
        elif item.analyte and (item.status == STATUS_RESULT or item.value is not None):
            results.append((item.analyte, item.flag or "", item.value, item.comparator))
    found = notes_of(results)
    if not found and len(lines) == len(group):
        return [FastGroup(lines, group[0].file)]
    members: list[Item] = list(group)
    analytes = [None if isinstance(item, SkippedLine) else item.analyte for item in group]
    for position, notes in note_places(analytes, found).items():
        target = group[position]
        if isinstance(target, FastLine):
            members[position] = reread(target, notes)
        else:
            assert isinstance(target, Record)
            target.notes.extend(notes)
    return members
