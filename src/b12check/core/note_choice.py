"""Which of the reference's notes a result carries, by test, flag and notes mode.

The same few notes go on every row of an export, so the choice is remembered per reference.
The memory is keyed by the Reference object itself (weakly: it goes with the reference), never
by ``id(reference)``, which a later Reference can reuse once the first is gone.
"""

from weakref import WeakKeyDictionary

from b12check.core.notes_data import BandEdges
from b12check.core.records import NoteRef
from b12check.core.refdata import Reference
from b12check.core.vocab import NoteKind, NotesMode

_Chosen = dict[tuple[str, str, str, BandEdges | None], tuple[NoteRef, ...]]
_CHOSEN: "WeakKeyDictionary[Reference, _Chosen]" = WeakKeyDictionary()


def notes_for(
    reference: Reference, analyte: str, flag: str, mode: str, band: BandEdges | None = None
) -> list[NoteRef]:
    """The notes a result of ``analyte`` flagged ``flag`` carries under notes ``mode``
    (none, brief or full; anything else is a ValueError), read against ``band`` (its edges
    in the canonical unit; None when no single band placed it). A note that quotes cut-offs
    goes only on values read against the bands it describes (notes.yaml, ``bands``)."""
    chosen = _CHOSEN.get(reference)
    if chosen is None:
        chosen = _CHOSEN[reference] = {}
    key = (analyte, flag, mode, band)
    cached = chosen.get(key)
    if cached is None:
        picked = select_notes(reference, analyte, flag, NotesMode(mode), band)
        cached = chosen[key] = tuple(picked)
    return list(cached)


def select_notes(
    reference: Reference,
    analyte: str,
    flag: str,
    mode: NotesMode,
    band: BandEdges | None = None,
) -> list[NoteRef]:
    """brief: the first finding that applies; full: every note that applies, findings first,
    then about, follow-up and pitfall notes, each kind in the data's order."""
    if mode is NotesMode.NONE:
        return []
    chosen = []
    for note in reference.notes:
        if not note.applies(analyte, flag, band):
            continue
        if mode is NotesMode.BRIEF:
            if note.kind == "finding":
                return [NoteRef(note.text, note.source, note.kind, note.source_type)]
            continue
        chosen.append(NoteRef(note.text, note.source, note.kind, note.source_type))
    chosen.sort(key=_kind_order)
    return chosen


def _kind_order(note: NoteRef) -> int:
    return NoteKind(note.kind).order  # notes.yaml is validated: its kinds are all known
