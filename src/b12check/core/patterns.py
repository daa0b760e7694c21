"""Notes that need several results of one patient on one date: patterns and derived values.

Both are added as notes to an existing record, so every input value still becomes exactly
one record. Input: (analyte, flag, value in the canonical unit, comparator) per result.
"""

from collections.abc import Iterable, Sequence
from operator import itemgetter

from b12check.core.classify import classify
from b12check.core.numbers import format_number
from b12check.core.records import NoteRef
from b12check.core.refdata import Reference

MAX_GROUP = 200  # results of one patient and date held back at most to look for patterns
TSAT_TOLERANCE = 3.0  # percentage points between reported and computed saturation
TSAT_SOURCE = "Davis's Lab & Diagnostic Tests (TSAT = serum iron / TIBC x 100)"
UIBC_SOURCE = "LOINC 2501-5 (UIBC); TIBC = serum iron + UIBC"

Result = tuple[str, str, float | None, str | None]


def firing_patterns(
    results: Iterable[tuple[str, str]], reference: Reference
) -> list[tuple[str, NoteRef]]:
    """Patterns that hold, given (analyte, flag) pairs: each as (the analyte whose first result
    carries the note, the note)."""
    flags: dict[str, set[str]] = {}
    for analyte, flag in results:
        flags.setdefault(analyte, set()).add(flag)
    fired = []
    for pattern in reference.patterns:
        if not flags.keys() >= pattern.when.keys() or any(a in flags for a in pattern.absent):
            continue
        if all(flags[a] & wanted for a, wanted in pattern.when.items()):
            note = NoteRef(pattern.text, pattern.source, "pattern", pattern.source_type)
            fired.append((next(iter(pattern.when)), note))
    return fired


def derived_notes(results: list[Result], reference: Reference) -> list[tuple[str, NoteRef]]:
    """Values worked out from others of the same patient and date (all exact):
    TIBC = serum iron + UIBC when no TIBC was reported (shown beside iron), and transferrin
    saturation = iron / TIBC, shown beside TIBC (or iron) when no TSAT was reported, or beside
    a reported TSAT that differs from it by more than 3 points."""
    # the last exact iron, TIBC and UIBC, the first exact TSAT, and whether any TSAT came
    # (one pass: this runs for every group with an iron result)
    iron = tibc = uibc = reported = None
    with_tsat = False
    for analyte, _, value, comparator in results:
        if analyte == "tsat":
            with_tsat = True
            if reported is None and value is not None and not comparator:
                reported = value
        elif value is not None and not comparator:
            if analyte == "iron":
                iron = value
            elif analyte == "tibc":
                tibc = value
            elif analyte == "uibc":
                uibc = value
    if iron is None:
        return []
    notes: list[tuple[str, NoteRef]] = []
    target = "tibc"
    tibc_analyte = reference.analytes.get("tibc")
    if tibc is None and uibc and tibc_analyte is not None:
        tibc = round(iron + uibc, 1)
        flag = classify(tibc_analyte, None, tibc_analyte.canonical_unit, "", tibc).flag
        text = (
            f"TIBC worked out as serum iron + UIBC: {format_number(tibc)} "
            f"{tibc_analyte.canonical_unit} ({flag.replace('_', ' ')}). Derived here, not measured."
        )
        notes.append(("iron", NoteRef(text, UIBC_SOURCE, "derived", "reference")))
        target = "iron"
    tsat_analyte = reference.analytes.get("tsat")
    if not tibc or tsat_analyte is None:
        return notes
    computed = round(iron / tibc * 100, 1)
    if computed > 100:
        text = (
            f"Serum iron is above TIBC ({format_number(computed)} % saturation), which is not "
            "physically possible: an assay problem or recent iron infusion is likely; ask the lab."
        )
        return [*notes, (target, NoteRef(text, TSAT_SOURCE, "derived", "reference"))]
    if not with_tsat:
        flag = classify(tsat_analyte, None, "%", "", computed).flag
        text = (
            f"Transferrin saturation worked out from iron and TIBC: {format_number(computed)} % "
            f"({flag.replace('_', ' ')}). Derived here, not measured by the lab."
        )
        return [*notes, (target, NoteRef(text, TSAT_SOURCE, "derived", "reference"))]
    if reported is not None and abs(reported - computed) > TSAT_TOLERANCE:
        text = (
            f"The reported saturation ({format_number(reported)} %) differs from iron / TIBC "
            f"({format_number(computed)} %) by more than {format_number(TSAT_TOLERANCE)} points; "
            "ask the lab which figure to go by."
        )
        return [*notes, ("tsat", NoteRef(text, TSAT_SOURCE, "derived", "reference"))]
    return notes


def group_notes(results: list[Result], reference: Reference) -> list[tuple[str, NoteRef]]:
    """The notes of one group: the patterns that hold, then the derived values."""
    return GroupNotes(reference)(results)


def note_places(
    analytes: Sequence[str | None], found: Iterable[tuple[str, NoteRef]]
) -> dict[int, list[NoteRef]]:
    """Where a group's notes go: each on the first member of the analyte it names, by the
    members' positions (``analytes``: each member's analyte, None for one that carries no
    note, such as a skipped record of a test not covered), the notes of one in their order."""
    placed: dict[int, list[NoteRef]] = {}
    for analyte, note in found:
        placed.setdefault(analytes.index(analyte), []).append(note)
    return placed


def watched_tests(reference: Reference) -> frozenset[str]:
    """The tests a pattern names (in its conditions or as absent): the only ones whose flags
    firing_patterns reads."""
    return frozenset(a for pattern in reference.patterns for a in (*pattern.when, *pattern.absent))


def pattern_key(
    pairs: Iterable[tuple[str, str]], watched: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    """What the patterns read of a group: its (analyte, flag) pairs of the ``watched``
    tests, sorted and without repeats."""
    return tuple(sorted({pair for pair in pairs if pair[0] in watched}))


_pair_of = itemgetter(0, 1)  # a result's (analyte, flag)
NOTHING: tuple[list[tuple[str, NoteRef]], bool] = ([], False)  # (never changed)
NOTHING_WITH_IRON: tuple[list[tuple[str, NoteRef]], bool] = ([], True)


class GroupNotes:
    """``group_notes`` for many groups, with the patterns remembered by the (analyte, flag)
    pairs of the group in its order (at most ``LIMIT`` of them), and past that by the pairs
    the patterns read: those of the tests a pattern names (``watched``), sorted and without
    repeats, which take a few texts for all of a cohort's groups. Derived values are worked
    out for each group: they read exact values, which rarely come twice, and a group without
    an iron result is settled at once (every derived value needs one)."""

    LIMIT = 2048

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        # per key: the patterns that fire, and whether it has an iron result
        self.known: dict[tuple[tuple[str, str], ...], tuple[list[tuple[str, NoteRef]], bool]] = {}
        self.pairs: dict[tuple[str, str], tuple[str, str]] = {}  # one of each in the keys
        self.watched = watched_tests(reference)
        self.fired: dict[tuple[tuple[str, str], ...], list[tuple[str, NoteRef]]] = {}

    def __call__(self, results: list[Result]) -> list[tuple[str, NoteRef]]:
        pairs = tuple(map(_pair_of, results))  # ((analyte, flag) of each, made in C)
        known = self.known.get(pairs)
        if known is None:
            known = self._learn(pairs)
        fired, with_iron = known
        if not with_iron:
            return list(fired)
        return fired + derived_notes(results, self.reference)

    def _learn(self, pairs: tuple[tuple[str, str], ...]) -> tuple[list[tuple[str, NoteRef]], bool]:
        kept = self.pairs
        key = tuple([kept.setdefault(pair, pair) for pair in pattern_key(pairs, self.watched)])
        fired = self.fired.get(key)
        if fired is None:
            fired = firing_patterns(key, self.reference)
            if len(self.fired) < self.LIMIT:
                self.fired[key] = fired
        with_iron = any(a == "iron" for a, _ in pairs)
        known = (fired, with_iron) if fired else NOTHING_WITH_IRON if with_iron else NOTHING
        if len(self.known) < self.LIMIT:
            self.known[tuple([kept.setdefault(pair, pair) for pair in pairs])] = known
        return known
