"""The pieces of rendered records the row cache (run/rowcache.py) keeps: a record rendered by
the real writer with placeholders in its own fields, cut at them.

A record's own fields are the ones the core only copies or reads from the row (line, patient,
date, age, value text, value). Records that agree in everything else have one shape and render
the same text around their own fields, so a shape is rendered once (and checked by the row
cache against the writer's own text) and later records of it are filled in with the writer's
cell renderers. Nothing here knows a band, a number or a note.
"""

from collections.abc import Hashable
from operator import attrgetter
from typing import Any, cast

from b12check.core.patterns import Result
from b12check.core.records import FIELDS, Record
from b12check.core.vocab import STATUS_RESULT, STATUS_SKIPPED
from b12check.render.base import LineFormat

SHARED_LIMIT = 4096  # distinct shared pieces kept per file
# Placeholder texts: plain letters, so no format quotes or escapes them.
TOKENS = ("QZQLINEQZQ", "QZQPATIENTQZQ", "QZQDATEQZQ", "QZQAGEQZQ", "QZQTEXTQZQ", "QZQVALUEQZQ")
OWN_FIELDS = ("line", "patient", "date", "age", "value_text", "value")  # (TOKENS' fields)
SHAPE_LIMIT = 4096  # shapes of result records kept per file
# What a result record is besides its own fields: records with the same shape render the same
# text around them (lists and the dict as tuples, so that it can be a key).
_SHAPE_FIELDS = tuple(
    name for name in FIELDS if name not in OWN_FIELDS + ("warnings", "notes", "flag_by_sex")
)
_shape_fields = attrgetter(*_SHAPE_FIELDS)

# A kept key: (the four pieces before line, patient, date and age; the text from the age to
# the value's end; the text after it; flag or None for a skipped record; analyte; value in
# the canonical unit; comparator; what the group notes read of it, core/patterns.Result, or
# None where nothing groups the results: Pieces.results).
Entry = tuple[
    tuple[str, str, str, str], str, str, str | None, str, float, str | None, Result | None
]
# A shape's template: (the four pieces before line, patient, date and age; the text from the
# age to the value text; from the value text to the value; after the value).
Template = tuple[tuple[str, str, str, str], str, str, str]
FULL = cast("Entry", ())  # a key whose values go the full path


class Pieces:
    """The shapes and shared pieces of one file's records; ``chars`` counts the text kept."""

    def __init__(self, fmt: LineFormat, results: bool = True) -> None:
        self.fmt = fmt
        # whether entries carry what the group notes read (False where nothing groups the
        # results, e.g. a scan writing batches: a smaller entry per key)
        self.results = results
        self.placeholders = [fmt.placeholder(token) for token in TOKENS]
        self.chars = 0
        self.shared: dict[object, Any] = {}
        self.shapes: dict[Hashable, Template] = {}

    def confirm(
        self, shape: Hashable, template: Template | None, text: str, record: Record
    ) -> bool:
        """Whether a line rendered from pieces may stand for ``record``: a new shape
        (``template`` given) only when its ``text`` is the writer's own text of the record,
        and the shape is then kept (while the budget lasts)."""
        if template is None:
            return True
        if text != self.fmt.render(record):
            return False
        if len(self.shapes) < SHAPE_LIMIT:
            self.shapes[shape] = template
        return True

    def entry(self, record: Record, keep: bool = True) -> tuple[Entry, Hashable, Template | None]:
        """``record`` as the pieces around its own fields (FULL when it must go the full path
        every time), the record's shape, and the template when the shape is new. Records of
        one shape differ only in the fields the pieces leave out, so a shape is rendered and
        checked once and its later records are filled in with the writer's cell renderers.
        With ``keep`` False (an entry that will not be kept: past the cache's budgets) only a
        shape already kept gives pieces, and nothing is added to what is kept (FULL else)."""
        if record.status == STATUS_RESULT and record.value is not None:
            flag: str | None = record.flag or "unclassified"
            if record.value_text is None:
                return FULL, None, None
            shape: Hashable = shape_of(record)
            template = self.shapes.get(shape)
            new = template is None
            if template is None:
                if not keep:
                    return FULL, None, None
                template = self.template(record, 6)
                if template is None:
                    return FULL, None, None
            heads, before_text, before_value, suffix = template
            fmt = self.fmt
            value_text = fmt.text(record.value_text)
            mid = f"{before_text}{value_text}{before_value}{fmt.number(record.value)}"
        elif keep and record.status == STATUS_SKIPPED and record.analyte is None:
            flag = None  # not a test b12check covers: no note or count can need it
            shape, new = None, True
            template = self.template(record, 4)
            if template is None:
                return FULL, None, None
            heads, mid, _, suffix = template
        else:
            return FULL, None, None
        if keep:
            self.chars += len(mid)
        analyte, value = record.analyte or "", record.value or 0.0
        result = (
            None if flag is None or not self.results else (analyte, flag, value, record.comparator)
        )
        entry = (heads, mid, suffix, flag, analyte, value, record.comparator, result)
        return entry, shape, template if new else None

    def template(self, record: Record, count: int) -> Template | None:
        """The record rendered with placeholders in its first ``count`` own fields (line,
        patient, date, age, value text, value), cut at them; None if a placeholder is lost."""
        own = OWN_FIELDS[:count]
        fields = [getattr(record, name) for name in own]
        try:
            for name, token in zip(own, TOKENS, strict=False):
                setattr(record, name, token)
            rendered = self.fmt.render(record)
        finally:
            for name, value in zip(own, fields, strict=True):
                setattr(record, name, value)
        pieces = split(rendered, self.placeholders[:count])
        if pieces is None:
            return None
        heads = self.shared_piece(tuple(pieces[:4]))
        if count == 4:
            return heads, pieces[4], "", ""
        return (
            heads,
            self.shared_piece(pieces[4]),
            self.shared_piece(pieces[5]),
            self.shared_piece(pieces[6]),
        )

    def shared_piece(self, piece: Any) -> Any:
        """One object for equal pieces (the text after a value repeats for a whole band)."""
        known = self.shared.get(piece)
        if known is not None:
            return known
        if len(self.shared) < SHARED_LIMIT:
            self.shared[piece] = piece
            self.chars += len(piece) if isinstance(piece, str) else sum(map(len, piece))
        return piece


def shape_of(record: Record) -> Hashable:
    by_sex = record.flag_by_sex
    return (
        _shape_fields(record),
        tuple(record.warnings),
        tuple(record.notes),
        None if by_sex is None else tuple(by_sex.items()),
    )


def split(rendered: str, placeholders: list[str]) -> list[str] | None:
    """Cut a rendered record at the placeholders, in field order (None if one is missing or
    appears twice)."""
    pieces = []
    rest = rendered
    for token in placeholders:
        head, found, rest = rest.partition(token)
        if not found or token in rest or token in head:
            return None
        pieces.append(head)
    pieces.append(rest)
    return pieces
