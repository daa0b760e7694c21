"""Notes and patterns as the run reads them: what the shipped ``notes.yaml`` says, and where
each statement comes from (an article section or a reference)."""

from typing import NamedTuple

# A band as notes see it: its lower and upper edge in the test's canonical unit (None: open).
BandEdges = tuple[float | None, float | None]


class Note(NamedTuple):
    analyte: str
    flags: frozenset[str]
    kind: str
    text: str
    source: str
    source_type: str  # "article" or "reference"
    # None: any band. Otherwise the bands the note describes, or (``other`` True) the bands
    # it must not go on because other notes of its kind describe them.
    bands: frozenset[BandEdges] | None = None
    other: bool = False

    def applies(self, analyte: str, flag: str, band: BandEdges | None = None) -> bool:
        """Whether the note goes on a result of ``analyte`` flagged ``flag`` that was read
        against ``band`` (None: no single band, as for an unclassified value)."""
        if self.analyte not in ("*", analyte) or not ("*" in self.flags or flag in self.flags):
            return False
        if self.bands is None:
            return True
        return (band not in self.bands) if self.other else (band in self.bands)


class Pattern(NamedTuple):
    id: str
    title: str
    when: dict[str, frozenset[str]]
    absent: frozenset[str]
    text: str
    source: str
    source_type: str
