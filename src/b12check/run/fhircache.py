"""A cache in front of the core for FHIR NDJSON scanned to a line format (csv, tsv, ndjson,
json): the FHIR counterpart of run/rowcache.py, with the same pieces (run/pieces.py).

A bulk export repeats a few shapes of Observation that differ only in the value, the id, the
subject and the date. The key of a line is what the walk (readers/fhir_walk.py) and the core
read of it: the resource without the parts the walk never reads (``UNREAD_PARTS``) and without
those it reads only for the record's patient and date (``PLACE_PARTS``), written out with
``marshal`` (equal bytes only for equal JSON values of equal types), the kind of value, and
the sex and age key the reader's own ``head`` gives the subject on that date. Within a key,
the value (``valueQuantity.value`` or ``valueString``, as parsed) picks the entry. The first
line of a key goes the full path (``FhirReader.resource_records``); its record is cut into
pieces around its own fields (line, patient, date, age, value text, value), and the first
record of each shape is checked against the writer's own text. No rule is applied here.

The full path takes: a line that is not an Observation (and after a Patient or a Bundle the
subjects are read again), one with ``contained`` or ``component``, a date or person that
carries a warning, an error (it prints a diagnostic), and any key past the budgets
(``ENTRY_LIMIT`` keys, ``CHAR_LIMIT`` characters kept per file). A result that gets a note
from the patient's other results is read again in full (``FhirReader.reread``).
``B12CHECK_NO_CACHE=1`` turns it off (cli/commands.py).
"""

import marshal
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator
from json import loads
from typing import TYPE_CHECKING, Any, NamedTuple

from b12check.core.records import FastBatch, FastLine, Record
from b12check.readers.items import Item, SkippedLine
from b12check.render.base import LineFormat
from b12check.run.pieces import FULL, Entry, Pieces

if TYPE_CHECKING:
    from b12check.readers.fhir import FhirReader, Head

ENTRY_LIMIT = 10240  # keys kept per file (those that go the full path included)
CHAR_LIMIT = 1 << 21  # characters of rendered text and key bytes kept per file (2 Mi)
HEAD_LIMIT = 4096  # subjects and dates remembered at once
BATCH_SIZE = 100  # rendered lines per batch
SCALARS = (int, float, str, bool)  # a value that can pick an entry
# (the head of a line: what the reader says of its subject and date, and the same rendered:
# patient, date and age texts, sex and age key)
Rendered = tuple["Head", str, str, str, Hashable, Hashable]


class ToBatch(NamedTuple):
    """A result's line for the next FastBatch (when batching)."""

    text: str
    flag: str


Fast = FastLine | SkippedLine | ToBatch


class FhirCache:
    """One per run; ``ndjson`` for each NDJSON file."""

    def __init__(self, fmt: LineFormat, batching: bool) -> None:
        self.fmt = fmt
        self.batching = batching  # results in FastBatch lines (nothing groups them)
        self.none_text = fmt.text(None)

    def ndjson(
        self, lines: Iterable[bytes], name: str, reader: "FhirReader", counted: dict[str, int]
    ) -> Iterator[Item]:
        """Every item of the file's lines, in order (as the reader's own records would be)."""
        lines_of = _File(self, name, reader)
        texts: list[str] = []
        flags: list[str] = []
        for number, line in enumerate(lines, 1):
            try:
                resource = loads(line)
            except ValueError:  # (a blank line too: the reader says what it is)
                resource = None
            found = None if resource is None else lines_of.fast(resource, line, number)
            if type(found) is ToBatch:
                counted[name] += 1
                texts.append(found.text)
                flags.append(found.flag)
                if len(texts) < BATCH_SIZE:
                    continue
            if texts:
                yield FastBatch("\n".join(texts), name, Counter(flags), len(texts))
                texts, flags = [], []
            if found is None:
                if resource is None:
                    yield from reader.line_records(line, number, name, counted)
                else:
                    yield from lines_of.full(resource, number, counted)
            elif isinstance(found, list):
                counted[name] += len(found)
                yield from found
            elif not isinstance(found, ToBatch):
                counted[name] += 1
                yield found
        if texts:
            yield FastBatch("\n".join(texts), name, Counter(flags), len(texts))


class _File:
    """The keys, heads and pieces of one file."""

    def __init__(self, cache: FhirCache, name: str, reader: "FhirReader") -> None:
        from b12check.readers.fhir import FhirRedo
        from b12check.readers.fhir_values import when
        from b12check.readers.fhir_walk import PLACE_PARTS, UNREAD_PARTS

        self.fmt, self.batching, self.none_text = cache.fmt, cache.batching, cache.none_text
        self.name = name
        self.reader = reader
        self.redo, self.when = FhirRedo, when
        self.place_parts = PLACE_PARTS
        self.dropped = frozenset(PLACE_PARTS + UNREAD_PARTS)
        self.kinds: dict[Hashable, dict[Hashable, Entry]] = {}
        self.heads: dict[bytes, Rendered | None] = {}
        self.entries = 0
        self.key_chars = 0
        self.pieces = Pieces(self.fmt)

    def full(self, resource: Any, number: int, counted: dict[str, int]) -> Iterator[Record]:
        """The reader's own records of a parsed line."""
        if not (type(resource) is dict and resource.get("resourceType") == "Observation"):
            self.heads.clear()  # a Patient or a Bundle may name a subject anew
        return self.reader.resource_records(resource, number, self.name, counted)

    def fast(self, resource: Any, line: bytes, number: int) -> Fast | list[Record] | None:
        """The line rendered from its key's entry (learned from this line if the key is
        new), or the full path's records of a line that taught its key nothing; None when
        the line takes the full path."""
        if type(resource) is not dict or resource.get("resourceType") != "Observation":
            return None
        if "contained" in resource or "component" in resource:
            return None
        dropped = self.dropped
        shape = {part: given for part, given in resource.items() if part not in dropped}
        quantity = shape.get("valueQuantity")
        if type(quantity) is dict and "value" in quantity:
            slot, value = "valueQuantity", quantity["value"]
            shape["valueQuantity"] = {k: v for k, v in quantity.items() if k != "value"}
        elif "valueString" in shape and "valueQuantity" not in shape:
            slot, value = "valueString", shape.pop("valueString")
        else:
            slot, value = "", None
        if slot and type(value) not in SCALARS:
            return None
        head = self._head([resource.get(part) for part in self.place_parts])
        if head is None:
            return None
        table = self._table(shape, slot, value, head)
        if table is None:
            return None
        entry = table.get(value)
        if entry is None:
            if not self._room():
                return None
            return self._learn(resource, table, value, head, line, number)
        if entry is FULL:
            return None
        return self._line(entry, number, head, line)

    def _table(
        self, resource: dict[str, Any], slot: str, value: Any, head: Rendered
    ) -> dict[Hashable, Entry] | None:
        """The entries of one key, by value; None past the budget for a new key."""
        kind = (marshal.dumps(resource), slot, type(value), head[4], head[5])
        table = self.kinds.get(kind)
        if table is None:
            if self.entries >= ENTRY_LIMIT or self.key_chars >= CHAR_LIMIT:
                return None
            table = self.kinds[kind] = {}
            self.entries += 1
            self.key_chars += len(kind[0])
        return table

    def _learn(
        self,
        resource: dict[str, Any],
        table: dict[Hashable, Entry],
        value: Any,
        head: Rendered,
        line: bytes,
        number: int,
    ) -> Fast | list[Record]:
        """The full path's records of a line whose value is new to its key, or the same as
        a rendered line when its pieces are kept."""
        records = list(self.reader.resource_records(resource, number, self.name, Counter()))
        if len(records) != 1:
            return records
        (record,) = records
        entry, shape, template = self.pieces.entry(record)
        table[value] = entry
        self.entries += 1
        if entry is FULL:
            return records
        rendered = self._line(entry, number, head, line)
        if not self.pieces.confirm(shape, template, rendered.text, record):
            table[value] = FULL
            return records
        return rendered

    def _room(self) -> bool:
        return self.entries < ENTRY_LIMIT and self.pieces.chars < CHAR_LIMIT

    def _head(self, place: list[Any]) -> Rendered | None:
        """The head of a line from its ``PLACE_PARTS`` (None when it carries a warning)."""
        key = marshal.dumps(place)
        if key in self.heads:
            return self.heads[key]
        parts = dict(zip(self.place_parts, place, strict=True))
        head = self.reader.head(parts["subject"], self.when(parts))
        rendered: Rendered | None = None
        if head is not None:
            fmt = self.fmt
            age = head.age
            age_text = self.none_text if age is None else fmt.number(age)
            age_key = self.reader.age_keys.key(age)
            patient, date = fmt.text(head.patient), fmt.text(head.date)
            rendered = (head, patient, date, age_text, head.sex, age_key)
        if len(self.heads) >= HEAD_LIMIT:
            self.heads.clear()
        self.heads[key] = rendered
        return rendered

    def _line(self, entry: Entry, number: int, head: Rendered, line: bytes) -> Fast:
        (a0, a1, a2, a3), mid, suffix, flag, analyte, value, comparator, _ = entry
        text = f"{a0}{number}{a1}{head[1]}{a2}{head[2]}{a3}{head[3]}{mid}{suffix}"
        own = head[0]
        if flag is None:
            return SkippedLine(text, self.name, own.patient, own.date)
        if self.batching:
            return ToBatch(text, flag)
        redo = self.redo(line, number, own.person)
        return FastLine(
            text, self.name, flag, analyte, own.patient, own.date, value, redo, comparator
        )
