"""The words of lab reports, from ``data/headers.yaml`` (``report:``): which words make a
column header line, and which keys head the patient's details.

A phrase matches whole words, ignoring case and the spaces between them; ``find_phrases``
walks a line and finds, at each word, the longest phrase that starts there.
"""

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from b12check.core.lazyre import LazyPattern

_WORD = LazyPattern(r"[^\s:|]+")
_TRIM = ".:#()[]"


def fold(text: str) -> str:
    """A word as phrases compare it: case folded, punctuation around it dropped."""
    return text.strip(_TRIM).casefold()


class Phrase(NamedTuple):
    role: str  # what the words name ("result", "patient" ...)
    start: int  # character offsets of the phrase in the line
    end: int
    rank: int = 0  # its place in its role's list: the first is preferred


class PhraseBook:
    """Phrases (lists of words) by role, looked up by their first word."""

    def __init__(self, by_role: Mapping[str, list[str]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, int]]] = {}
        for role, phrases in by_role.items():
            for rank, phrase in enumerate(phrases):
                words = tuple(fold(w) for w in phrase.split() if fold(w))
                if words:
                    self._by_first.setdefault(words[0], []).append((words, role, rank))
        for choices in self._by_first.values():
            choices.sort(key=lambda choice: -len(choice[0]))  # longest first

    def find_phrases(self, line: str) -> Iterator[Phrase | tuple[int, int]]:
        """Each phrase of the line in turn, and each word that starts none as its span."""
        words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.compiled.finditer(line)]
        at = 0
        while at < len(words):
            phrase = self._longest(words, at)
            if phrase is None:
                yield words[at][0], words[at][1]
                at += 1
                continue
            role, size, rank = phrase
            yield Phrase(role, words[at][0], words[at + size - 1][1], rank)
            at += size

    def _longest(self, words: list[tuple[int, int, str]], at: int) -> tuple[str, int, int] | None:
        for phrase, role, rank in self._by_first.get(words[at][2], ()):
            size = len(phrase)
            if tuple(w[2] for w in words[at : at + size]) == phrase:
                return role, size, rank
        return None

    def only_phrases(self, text: str) -> bool:
        """Whether ``text`` is made of phrases and nothing else (``(Reference: …)``)."""
        return all(isinstance(found, Phrase) for found in self.find_phrases(text))

    def role(self, text: str) -> str | None:
        """The role of a text that is one phrase and nothing else."""
        found = list(self.find_phrases(text))
        if len(found) == 1 and isinstance(found[0], Phrase):
            return found[0].role
        return None


class ReportWords:
    """The report words of one run's reference data."""

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        data = data or {}
        self.columns = PhraseBook(data.get("columns", {}))
        self.fields = PhraseBook(data.get("fields", {}))
        self.in_range_flag: str = data.get("in_range_flag", "normal")
        self.out_of_range_flag: str = data.get("out_of_range_flag", "out of range")
