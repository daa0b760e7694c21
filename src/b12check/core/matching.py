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
CLOSE = 0.85  # how alike a misspelt word and a known one are (difflib ratio; cysteine vs
# homocysteine is 0.8 and no misspelling, ferriten vs ferritin 0.875 is one)


class Phrase(NamedTuple):
    """Folded words; a word marked as a prefix matches any word it begins."""

    words: Words
    prefix: tuple[bool, ...]
    anchored: bool  # only as the first words of a name

    def at(self, words: Words, start: int) -> bool:
        """Whether the phrase is in ``words`` from ``start`` on."""
        if start + len(self.words) > len(words) or (self.anchored and start):
            return False
        for i, (want, prefix) in enumerate(zip(self.words, self.prefix, strict=True)):
            word = words[start + i]
            if not (word.startswith(want) if prefix else word == want):
                return False
        return True


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


class Phrases:
    """Phrases indexed by their first word, so finding them costs a look-up per word."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.by_first: dict[str, list[Phrase]] = {}
        self.by_prefix: list[Phrase] = []  # those whose first word is a prefix
        for phrase in map(parse_phrase, texts):
            if not phrase.words:
                continue
            if phrase.prefix[0]:
                self.by_prefix.append(phrase)
            else:
                self.by_first.setdefault(phrase.words[0], []).append(phrase)

    def spans(self, words: Words) -> Iterator[range]:
        for start, word in enumerate(words):
            for phrase in self.by_first.get(word, ()):
                if phrase.at(words, start):
                    yield range(start, start + len(phrase.words))
            for phrase in self.by_prefix:
                if word.startswith(phrase.words[0]) and phrase.at(words, start):
                    yield range(start, start + len(phrase.words))

    def found(self, words: Words) -> bool:
        return next(self.spans(words), None) is not None


class Rule(NamedTuple):
    means: str  # what the name really is ("D-dimer, a blood-clotting test")
    looks_like: str | None  # the covered test it looks like (other tests only)
    words: Phrases
    unless: Phrases

    def hits(self, words: Words) -> bool:
        return self.words.found(words) and not self.unless.found(words)


def _rules(raw: Iterable[dict[str, Any]]) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            item["is"],
            item.get("looks_like"),
            Phrases(item["words"]),
            Phrases(item.get("unless") or ()),
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
        self.qualifiers = Phrases(rules.get("qualifiers") or ())
        self.other_tests = _rules(rules.get("other_tests") or ())
        self.other_kinds = _rules(rules.get("other_kinds") or ())
        self.kind_words = Phrases(
            phrase for kind in rules.get("other_kinds") or () for phrase in kind["words"]
        )
        self.exact: dict[str, str] = {}
        stripped: dict[str, str | None] = {}
        bags: dict[Words, str | None] = {}
        self.known: dict[int, dict[Words, str]] = {}  # by word count: stripped words -> id
        for test_id, test_names in names.items():
            for name in test_names:
                key = name_key(name)
                if not key:
                    continue
                self.exact.setdefault(key, test_id)
                core = self._strip(name_words(name), set())
                if not core:
                    continue
                self.known.setdefault(len(core), {}).setdefault(core, test_id)
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
        variants = self._variants(text, words)
        kind = next(
            (rule for rule in self.other_kinds for each in variants if rule.hits(each)), None
        )
        if kind is None:
            found = self._agreed(variants)
            return Verdict(found) if found else self._near(words)
        found = self._words_match(words, set())  # a test's own name may hold such a word
        if found:
            return Verdict(found)
        found = self._agreed(variants)
        return Verdict(looks_like=found, means=kind.means) if found else UNKNOWN

    def _near(self, words: Words) -> Verdict:
        core = self._strip(words, set())
        if not core:
            return UNKNOWN
        return Verdict(near=close_ids(core, self.known.get(len(core), {}), strict=True))

    def _variants(self, text: str, words: Words) -> list[Words]:
        """The name's words; without the specimen and method words it starts with ("Serum
        U-Mg" starts like "U-Mg"); and those outside and inside each bracketed part:
        "Cobalamin (Vitamin B12)" may name the test on either side."""
        found = [words]
        front = self._after_leading_qualifiers(words)
        if front != words and front:
            found.append(front)
        if "(" in text:
            parts = [_PARENS.compiled.sub(" ", text), *_PARENS.compiled.findall(text)]
            found += [name_words(part) for part in parts]
        return found

    def _after_leading_qualifiers(self, words: Words) -> Words:
        start = 0
        while True:
            lead = [span for span in self.qualifiers.spans(words) if span.start == start]
            if not lead:
                return words[start:]
            start = max(span.stop for span in lead)

    def _agreed(self, variants: list[Words]) -> str | None:
        """The test the whole name gives once specimen and method words (and the words of
        other kinds) are set aside; else the one test its bracketed parts agree on."""
        found = self._words_match(variants[0], self._marks(variants[0]))
        if found or len(variants) == 1:
            return found
        ids = {self._words_match(each, self._marks(each)) for each in variants[1:]}
        ids.discard(None)
        return ids.pop() if len(ids) == 1 else None

    def _words_match(self, words: Words, marked: set[int]) -> str | None:
        core = self._strip(words, marked)
        if not core:
            return None
        return self.stripped.get("".join(core)) or self.bags.get(tuple(sorted(core)))

    def _marks(self, words: Words) -> set[int]:
        """Positions of the words of other kinds (urine, red cells ...)."""
        return {i for span in self.kind_words.spans(words) for i in span}

    def _strip(self, words: Words, marked: set[int]) -> Words:
        """``words`` without the positions in ``marked`` and without qualifier phrases (the
        longest first where two overlap)."""
        dropped = set(marked)
        spans = sorted(self.qualifiers.spans(words), key=lambda span: (-len(span), span.start))
        for span in spans:
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
    word by word, each word the same or a misspelling (``CLOSE``) of at least four letters
    with no digit, so "Vitamin A" or "Vitamin B6" is never offered vitamin D or B12."""
    key = "".join(words)
    by_key: dict[str, str] = {}
    for name, test_id in known.items():
        if not strict or _misspelt(words, name):
            by_key.setdefault("".join(name), test_id)
    close = difflib.get_close_matches(key, list(by_key), n=6, cutoff=0.6)
    return tuple(dict.fromkeys(by_key[found] for found in close))


_KNOWN_WORDS: dict[str, difflib.SequenceMatcher[str]] = {}


def _misspelt(words: Words, known: Words) -> bool:
    if len(words) != len(known) or words == known:
        return False
    for word, other in zip(words, known, strict=True):
        if word == other:
            continue
        shorter, longer = sorted((len(word), len(other)))
        if shorter < 4 or 2 * shorter < CLOSE * (shorter + longer):
            return False
        if not (word + other).isalpha():  # a digit (B6 is no misspelling of B12)
            return False
        matcher = _KNOWN_WORDS.get(other)
        if matcher is None:  # (known words are few: each analysed once)
            matcher = _KNOWN_WORDS[other] = difflib.SequenceMatcher(None, "", other)
        matcher.set_seq1(word)
        if matcher.quick_ratio() < CLOSE:
            return False
        if matcher.ratio() < CLOSE:
            return False
    return True
