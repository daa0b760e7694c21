"""Cross-test pattern and derived-value notes, added per patient and collection date.

Records stream past; the records of one patient on one date (at most ``MAX_GROUP``) are held
back until the group ends, then the notes that need several results are added. A result a
cache rendered already (``FastLine``) that must carry such a note is read again by the full
path, so it gets exactly the record the full path writes.
"""

from collections.abc import Callable, Iterator

from b12check.core.patterns import group_notes
from b12check.core.records import FastBatch, FastLine, Record
from b12check.core.refdata import Reference
from b12check.core.vocab import STATUS_RESULT
from b12check.readers.items import Item, SkippedLine

MAX_GROUP = 200  # records held back at most while a patient/date group is completed
Member = Record | FastLine | SkippedLine


def grouped(
    items: Iterator[Item],
    reference: Reference,
    notes: str,
    reread: Callable[[FastLine], Record],
) -> Iterator[Item]:
    """``items`` with pattern notes added; ``reread`` reads a cached result in full."""
    group: list[Member] = []
    key: tuple[str | None, str | None] | None = None
    for item in items:
        if isinstance(item, FastBatch):  # batches only come when nothing is grouped
            yield from with_patterns(group, reference, notes, reread)
            group = []
            yield item
            continue
        item_key = (item.patient, item.date)
        if group and (item_key != key or len(group) >= MAX_GROUP):
            yield from with_patterns(group, reference, notes, reread)
            group = []
        key = item_key
        group.append(item)
    if group:
        yield from with_patterns(group, reference, notes, reread)


def with_patterns(
    group: list[Member], reference: Reference, notes: str, reread: Callable[[FastLine], Record]
) -> list[Member]:
    if notes == "none":
        return group
    results = [
        (item.analyte or "", item.flag or "", item.value, item.comparator)
        for item in group
        if isinstance(item, FastLine)
        or (
            isinstance(item, Record)
            and item.analyte
            and (item.status == STATUS_RESULT or item.value is not None)
        )
    ]
    for analyte, note in group_notes(results, reference):
        position = next(
            i
            for i, item in enumerate(group)
            if not isinstance(item, SkippedLine) and item.analyte == analyte
        )
        target = group[position]
        if isinstance(target, FastLine):
            target = group[position] = reread(target)
        assert isinstance(target, Record)
        target.notes.append(note)
    return group
