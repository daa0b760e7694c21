"""Notes and patterns as the run reads them: what the shipped ``notes.yaml`` says, and where
each statement comes from (an article section or a reference)."""

from typing import NamedTuple


class Note(NamedTuple):
    analyte: str
    flags: frozenset[str]
    kind: str
    text: str
    source: str
    source_type: str  # "article" or "reference"

    def applies(self, analyte: str, flag: str) -> bool:
        return self.analyte in ("*", analyte) and ("*" in self.flags or flag in self.flags)


class Pattern(NamedTuple):
    id: str
    title: str
    when: dict[str, frozenset[str]]
    absent: frozenset[str]
    text: str
    source: str
    source_type: str
