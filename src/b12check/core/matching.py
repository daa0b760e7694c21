"""Which test a name is, by the rules of ``data/names.yaml``.

A name is one of: a test's own name or alias (``reference_ranges.yaml``; always wins); another
test that only looks like a covered one (a look-alike: D-dimer, red-cell magnesium), skipped
with the reason; a covered test under specimen and method words ("Serum vitamin B12",
"Ferritin [Mass/volume] in Serum or Plasma by Immunoassay"); a close miss of a known name
(skipped with "did you mean"); or unknown. Names are compared as folded words
(``core/names.py``). The rules are only built when a name is not an alias.
"""

import difflib
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from b12check.core.lazyre import LazyPattern
from b12check.core.names import name_key, name_words

_PARENS = LazyPattern(r"\(([^()]*)\)")
Words = tuple[str, ...]
K = TypeVar("K", str, Words)


class Phrase(NamedTuple):
    """Folded words; a word marked as a prefix matches any word it begins."""

    words: Words
    prefix: tuple[bool, ...]
    anchored: bool  # only as the first words of a name

    def spans(self, words: Words) -> Iterator[range]:
        size = len(self.words)
        last = len(words) - size
        if not size or last < 0:
            return
        for start in range(0, 1 if self.anchored else last + 1):
            if all(
                words[start + i].startswith(want) if prefix else words[start + i] == want
                for i, (want, prefix) in enumerate(zip(self.words, self.prefix, strict=True))
            ):
                yield range(start, start + size)


def parse_phrase(text: str) -> Phrase:
    """'^u' -> the word 'u' at the start only; 'red cell*' -> 'red' then a word from 'cell'."""
    anchored = text.lstrip().startswith("^")
    words: list[str] = []
    prefix: list[bool] = []
    for part in text.split():
        folded = name_words(part.strip("^*"))
        words.extend(folded)
        prefix.extend([False] * len(folded))
        if folded and part.endswith("*"):
            prefix[-1] = True
    return Phrase(tuple(words), tuple(prefix), anchored)


class Rule(NamedTuple):
    means: str  # what the name really is ("D-dimer, a blood-clotting test")
    looks_like: str | None  # the covered test it looks like (other tests only)
    words: tuple[Phrase, ...]
    unless: tuple[Phrase, ...]

    def hits(self, words: Words) -> bool:
        return any(True for p in self.words for _ in p.spans(words)) and not any(
            True for p in self.unless for _ in p.spans(words)
        )


def _rules(raw: Iterable[dict[str, Any]]) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            item["is"],
            item.get("looks_like"),
            tuple(parse_phrase(p) for p in item["words"]),
            tuple(parse_phrase(p) for p in item.get("unless") or ()),
        )
        for item in raw
    )


class Verdict(NamedTuple):
    """What a name is: a test's id, or a look-alike's (id it looks like, what it is), or
    the ids of close known names."""

    test_id: str | None = None
    looks_like: str | None = None
    means: str | None = None
    near: tuple[str, ...] = ()


UNKNOWN = Verdict()


class NameMatcher:
    """The name rules, and every known name (folded) of the analytes and companion tests."""

    def __init__(self, rules: dict[str, Any], names: dict[str, tuple[str, ...]]) -> None:
        """``names``: test id -> its names and aliases."""
        self.qualifiers = sorted(
            (parse_phrase(p) for p in rules.get("qualifiers") or ()),
            key=lambda phrase: -len(phrase.words),
        )
        self.other_tests = _rules(rules.get("other_tests") or ())
        self.other_kinds = _rules(rules.get("other_kinds") or ())
        self.exact: dict[str, str] = {}
        stripped: dict[str, str | None] = {}
        bags: dict[Words, str | None] = {}
        self.known: dict[Words, str] = {}  # stripped words of each name -> id (close misses)
        for test_id, test_names in names.items():
            for name in test_names:
                key = name_key(name)
                if not key:
                    continue
                self.exact.setdefault(key, test_id)
                core = self._strip(name_words(name), set())
                if not core:
                    continue
                self.known.setdefault(core, test_id)
                _index(stripped, "".join(core), test_id)
                _index(bags, tuple(sorted(core)), test_id)
        self.stripped = {key: value for key, value in stripped.items() if value}
        self.bags = {key: value for key, value in bags.items() if value and len(key) > 1}

    # ------------------------------------------------------------------ the verdict

    def match(self, text: str) -> Verdict:
        key = name_key(text)
        if not key:
            return UNKNOWN
        found = self.exact.get(key)
        if found:
            return Verdict(found)
        words = name_words(text)
        for rule in self.other_tests:
            if rule.hits(words):
                return Verdict(looks_like=rule.looks_like, means=rule.means)
        kind = next((rule for rule in self.other_kinds if rule.hits(words)), None)
        found = self._core(text, words)
        if found and kind:
            return Verdict(looks_like=found, means=kind.means)
        if found:
            return Verdict(found)
        if kind:
            return UNKNOWN  # (no suggestion for another specimen or form of a test)
        core = self._strip(words, self._marks(words))
        return Verdict(near=close_ids(core, self.known, strict=True)) if core else UNKNOWN

    def _core(self, text: str, words: Words) -> str | None:
        """The test ``text`` names once specimen and method words (and the words of other
        kinds, checked by the caller) are set aside; a bracketed part "Cobalamin (Vitamin
        B12)" may give the name on either side, but both sides must agree."""
        found = self._words_match(words)
        if found or "(" not in text:
            return found
        variants = [_PARENS.compiled.sub(" ", text), *_PARENS.compiled.findall(text)]
        ids = {self._words_match(name_words(variant)) for variant in variants} - {None}
        return ids.pop() if len(ids) == 1 else None

    def _words_match(self, words: Words) -> str | None:
        core = self._strip(words, self._marks(words))
        if not core:
            return None
        return self.stripped.get("".join(core)) or self.bags.get(tuple(sorted(core)))

    def _marks(self, words: Words) -> set[int]:
        """Positions of the words of other kinds (urine, red cells ...)."""
        marked: set[int] = set()
        for rule in self.other_kinds:
            for phrase in rule.words:
                for span in phrase.spans(words):
                    marked.update(span)
        return marked

    def _strip(self, words: Words, marked: set[int]) -> Words:
        """``words`` without the positions in ``marked`` and without qualifier phrases."""
        dropped = set(marked)
        for phrase in self.qualifiers:
            for span in phrase.spans(words):
                if not dropped.intersection(span):
                    dropped.update(span)
        return tuple(word for i, word in enumerate(words) if i not in dropped)


def _index(index: dict[K, str | None], key: K, test_id: str) -> None:
    """Index ``key`` to ``test_id``; a key two tests give is ambiguous, so never matched."""
    if index.setdefault(key, test_id) != test_id:
        index[key] = None


def close_ids(words: Words, known: dict[Words, str], *, strict: bool) -> tuple[str, ...]:
    """Ids of the known names close to ``words``, closest first.

    Loose (``check``'s "did you mean"): close as folded text. Strict (a skipped record's):
    word by word as well, each word the same or a misspelling of at least four letters with
    no digit, so "Vitamin A" or "Vitamin B6" is never offered vitamin D or B12."""
    by_key: dict[str, tuple[Words, str]] = {}
    for name, test_id in known.items():
        by_key.setdefault("".join(name), (name, test_id))
    close = difflib.get_close_matches("".join(words), list(by_key), n=6, cutoff=0.6)
    if strict:
        close = [key for key in close if _misspelt(words, by_key[key][0])]
    return tuple(dict.fromkeys(by_key[key][1] for key in close))


def _misspelt(words: Words, known: Words) -> bool:
    if len(words) != len(known):
        return False
    for word, other in zip(words, known, strict=True):
        if word == other:
            continue
        if min(len(word), len(other)) < 4 or any(c.isdigit() for c in word + other):
            return False
        if difflib.SequenceMatcher(None, word, other).ratio() < 0.8:
            return False
    return True
