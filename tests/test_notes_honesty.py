"""Honesty and coverage checks for ``src/b12check/data/notes.yaml``.

These tests read the YAML directly and do not import ``b12check``, so they keep
working while the package itself changes. They check that:

* every ``section`` is a real heading of the source article and every ``reference``
  names an authority that appears in the shared research notes;
* no note copies the article (or the research notes) word for word;
* no note claims a deficiency causes or cures fibromyalgia, gives a dose, or tells
  the reader to take, start or stop something;
* every analyte x flag pair has a ``finding`` note, and patterns use known ids.

The article-dependent checks are skipped when the shared files are not present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve()
NOTES_PATH = HERE.parents[1] / "src/b12check/data/notes.yaml"
ARTICLE_PATH = HERE.parents[2] / "shared/source/fibromyalgia-b12-article.txt"
FACTS_PATH = HERE.parents[2] / "shared/research/reference-facts.md"

# Fixed analyte ids and the flags each can receive ("unclassified" is added below).
ANALYTE_FLAGS: dict[str, tuple[str, ...]] = {
    "b12": ("deficient", "borderline", "normal", "high"),
    "vitamin_d": ("deficient", "borderline", "normal", "high", "critical_high"),
    "magnesium": (
        "critical_low",
        "deficient",
        "borderline",
        "normal",
        "high",
        "critical_high",
    ),
    "ferritin": ("deficient", "borderline", "normal", "high"),
    "iron": ("low", "normal", "high", "critical_high"),
    "tibc": ("low", "normal", "high"),
    "tsat": ("deficient", "borderline", "normal", "high"),
    "mma": ("normal", "high"),
    "homocysteine": ("normal", "high"),
}
ALL_FLAGS: dict[str, frozenset[str]] = {
    analyte: frozenset((*flags, "unclassified")) for analyte, flags in ANALYTE_FLAGS.items()
}
KINDS = frozenset({"about", "finding", "follow_up", "pitfall"})
NOTE_KEYS = frozenset({"analyte", "flags", "kind", "text", "section", "reference"})
PATTERN_KEYS = frozenset({"id", "title", "when", "absent", "text", "section", "reference"})
MAX_TEXT = 220
RUN = 8  # shared consecutive words that count as copying

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "cause_or_cure_fibromyalgia": re.compile(
        r"\b(?:caus(?:e|es|ed|ing)|cur(?:e|es|ed|ing)|trigger(?:s|ed)?|revers(?:e|es|ed))\b"
        r"[^.?!]*\bfibromyalgia\b",
        re.IGNORECASE,
    ),
    "fibromyalgia_caused_or_cured": re.compile(
        r"\bfibromyalgia\b[^.?!]*\b(?:is|are|was|be|being)\s+(?:caused|cured|triggered)\b",
        re.IGNORECASE,
    ),
    "any_cure_claim": re.compile(r"\bcur(?:e|es|ed|ing)\b", re.IGNORECASE),
    "dose_amount": re.compile(
        r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|\u00b5g|\u03bcg|ug|iu|units?)\b", re.IGNORECASE
    ),
    "imperative_treatment": re.compile(
        r"(?:^|[.!?:;]\s+)(?:take|start|stop|begin|increase)\b", re.IGNORECASE
    ),
    "you_should": re.compile(r"\byou\s+(?:should|must|need\s+to)\b", re.IGNORECASE),
    "overstatement": re.compile(
        r"\b(?:proven|proves|guarantee[sd]?|definitely|always\s+works|"
        r"will\s+(?:fix|relieve|improve|resolve|heal))\b",
        re.IGNORECASE,
    ),
}
MARKUP = re.compile(r"[\[\]`*#<>]{2}|[\[\]`#]|\*\w|^\s*[-+]\s|\n")
HEDGE = re.compile(r"\?|\b(?:may|might|can|could|possible|possibly|suggests?|usual)\b", re.I)
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --------------------------------------------------------------------- helpers


def _load_notes() -> dict[str, Any]:
    data = yaml.safe_load(NOTES_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "notes.yaml must be a mapping"
    return data


DATA = _load_notes()
NOTES: list[dict[str, Any]] = list(DATA.get("notes") or [])
PATTERNS: list[dict[str, Any]] = list(DATA.get("patterns") or [])


def _note_id(i: int, note: dict[str, Any]) -> str:
    return f"note{i}-{note.get('analyte')}-{note.get('kind')}"


def _items() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every note and pattern, with a readable id."""
    for i, note in enumerate(NOTES):
        yield _note_id(i, note), note
    for pattern in PATTERNS:
        yield f"pattern-{pattern.get('id')}", pattern


def _texts() -> Iterator[tuple[str, str]]:
    """Every user-visible string: note texts, pattern titles and texts."""
    for item_id, item in _items():
        yield f"{item_id}-text", str(item.get("text", ""))
        if "title" in item:
            yield f"{item_id}-title", str(item["title"])


TEXTS = list(_texts())
TEXT_IDS = [tid for tid, _ in TEXTS]
TEXT_VALUES = [text for _, text in TEXTS]
ITEMS = list(_items())
ITEM_IDS = [iid for iid, _ in ITEMS]
ITEM_VALUES = [item for _, item in ITEMS]
NOTE_IDS = [_note_id(i, n) for i, n in enumerate(NOTES)]
SECTIONS = [(iid, item["section"]) for iid, item in ITEMS if "section" in item]
REFERENCES = [(iid, item["reference"]) for iid, item in ITEMS if "reference" in item]


def words(text: str) -> list[str]:
    """Lowercase words with punctuation stripped (apostrophes dropped, not split)."""
    text = text.lower().replace("\u2019", "").replace("'", "")
    return re.findall(r"[^\W_]+", text)


def ngrams(tokens: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def shared_run(text: str, source_grams: set[tuple[str, ...]]) -> str | None:
    for gram in ngrams(words(text)):
        if gram in source_grams:
            return " ".join(gram)
    return None


def headings(article: str) -> set[str]:
    """Non-empty stripped lines of at most 12 words that do not end with a full stop."""
    out = set()
    for line in article.splitlines():
        line = line.strip()
        if line and len(line.split()) <= 12 and not line.endswith("."):
            out.add(line)
    return out


def forbidden_hits(text: str) -> list[str]:
    return [name for name, rx in FORBIDDEN.items() if rx.search(text)]


def covers(note: dict[str, Any], analyte: str, flag: str) -> bool:
    flags = note.get("flags") or []
    return note.get("analyte") in (analyte, "*") and ("*" in flags or flag in flags)


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE_PATH.is_file():
        pytest.skip(f"article not available at {ARTICLE_PATH}")
    return ARTICLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article_grams(article: str) -> set[tuple[str, ...]]:
    return ngrams(words(article))


@pytest.fixture(scope="module")
def facts() -> str:
    if not FACTS_PATH.is_file():
        pytest.skip(f"reference facts not available at {FACTS_PATH}")
    return FACTS_PATH.read_text(encoding="utf-8")


# ------------------------------------------------------------ self-checks
# The checks below must be able to fail; these cases prove the detectors bite.


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ("Low B12 causes fibromyalgia.", "cause_or_cure_fibromyalgia"),
        ("Fibromyalgia is caused by low magnesium.", "fibromyalgia_caused_or_cured"),
        ("Injections can cure the pain.", "any_cure_claim"),
        ("Many take 1000 mcg daily.", "dose_amount"),
        ("A dose of 50,000 IU is common.", "dose_amount"),
        ("Some use 400 mg at night.", "dose_amount"),
        ("Take a supplement daily.", "imperative_treatment"),
        ("Low result. Start iron tablets.", "imperative_treatment"),
        ("You should use a spray.", "you_should"),
        ("Injections will relieve fatigue.", "overstatement"),
    ],
)
def test_forbidden_patterns_catch_bad_text(bad: str, rule: str) -> None:
    assert rule in forbidden_hits(bad)


@pytest.mark.parametrize(
    "good",
    [
        "Below 12 ng/mL, where deficiency is likely.",
        "Would an MMA test help settle this?",
        "The article reports that some people feel better; evidence is limited.",
    ],
)
def test_forbidden_patterns_allow_hedged_text(good: str) -> None:
    assert forbidden_hits(good) == []


def test_run_detector_catches_copied_sentence() -> None:
    source = ngrams(words("Stress has been found to impair stomach function, reducing acid."))
    assert shared_run("Notably, stress has been found to impair stomach function.", source)
    assert shared_run("Stress may reduce stomach acid over time.", source) is None


# --------------------------------------------------------------- structure


def test_top_level_shape() -> None:
    assert set(DATA) <= {"version", "notes", "patterns"}, set(DATA)
    assert DATA.get("version") == 1
    assert isinstance(DATA.get("notes"), list) and NOTES
    assert isinstance(DATA.get("patterns"), list) and PATTERNS


@pytest.mark.parametrize("note", NOTES, ids=NOTE_IDS)
def test_note_fields(note: dict[str, Any]) -> None:
    assert isinstance(note, dict)
    assert set(note) <= NOTE_KEYS, f"unknown keys: {set(note) - NOTE_KEYS}"
    assert {"analyte", "flags", "kind", "text"} <= set(note)
    assert note["kind"] in KINDS
    analyte = note["analyte"]
    assert analyte == "*" or analyte in ALL_FLAGS, f"unknown analyte {analyte!r}"
    flags = note["flags"]
    assert isinstance(flags, list) and flags, "flags must be a non-empty list"
    assert len(set(flags)) == len(flags), "duplicate flags"
    if "*" in flags:
        assert flags == ["*"], '"*" must stand alone'
        return
    allowed = frozenset.intersection(*ALL_FLAGS.values()) if analyte == "*" else ALL_FLAGS[analyte]
    assert set(flags) <= allowed, f"flags not valid for {analyte}: {set(flags) - allowed}"


@pytest.mark.parametrize("item", ITEM_VALUES, ids=ITEM_IDS)
def test_exactly_one_source(item: dict[str, Any]) -> None:
    has_section = "section" in item
    has_reference = "reference" in item
    assert has_section != has_reference, "need exactly one of section / reference"
    value = item["section"] if has_section else item["reference"]
    assert isinstance(value, str) and value.strip() == value and value


def test_note_texts_unique() -> None:
    texts = [str(n.get("text")) for n in NOTES]
    dupes = {t for t in texts if texts.count(t) > 1}
    assert not dupes


# --------------------------------------------------------------- citations


@pytest.mark.parametrize(("item_id", "section"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_section_is_article_heading(item_id: str, section: str, article: str) -> None:
    assert section in headings(article), f"{item_id}: {section!r} is not an article heading"


@pytest.mark.parametrize(("item_id", "reference"), REFERENCES, ids=[r[0] for r in REFERENCES])
def test_reference_is_traceable(item_id: str, reference: str, facts: str) -> None:
    for part in reference.split(";"):
        part = part.strip()
        assert part, f"{item_id}: empty part in {reference!r}"
        assert part in facts, f"{item_id}: {part!r} does not appear in reference-facts.md"


# ------------------------------------------------------------------ wording


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_text_style(text: str) -> None:
    assert text.strip(), "empty text"
    assert len(text) <= MAX_TEXT, f"{len(text)} characters (max {MAX_TEXT})"
    assert not MARKUP.search(text), "looks like markdown or contains square brackets"


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_no_copied_run_from_article(text: str, article_grams: set[tuple[str, ...]]) -> None:
    run = shared_run(text, article_grams)
    assert run is None, f"shares {RUN} consecutive words with the article: {run!r}"


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_no_copied_run_from_reference_facts(text: str, facts: str) -> None:
    run = shared_run(text, ngrams(words(facts)))
    assert run is None, f"shares {RUN} consecutive words with reference-facts.md: {run!r}"


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_no_forbidden_claims(text: str) -> None:
    assert forbidden_hits(text) == []


FOLLOW_UPS = [(i, n) for i, n in enumerate(NOTES) if n.get("kind") == "follow_up"]


@pytest.mark.parametrize("note", [n for _, n in FOLLOW_UPS], ids=[_note_id(*f) for f in FOLLOW_UPS])
def test_follow_up_is_a_question(note: dict[str, Any]) -> None:
    assert str(note["text"]).rstrip().endswith("?")


# ----------------------------------------------------------------- coverage

PAIRS = [(a, f) for a, flags in ALL_FLAGS.items() for f in sorted(flags)]


@pytest.mark.parametrize(("analyte", "flag"), PAIRS, ids=[f"{a}-{f}" for a, f in PAIRS])
def test_every_flag_has_a_finding(analyte: str, flag: str) -> None:
    findings = [n for n in NOTES if n.get("kind") == "finding" and covers(n, analyte, flag)]
    assert findings, f"no finding note for {analyte}/{flag}"


@pytest.mark.parametrize(("analyte", "flag"), PAIRS, ids=[f"{a}-{f}" for a, f in PAIRS])
def test_first_finding_is_specific(analyte: str, flag: str) -> None:
    """Brief mode shows the first finding, so it should name this analyte and flag."""
    first = next(
        (n for n in NOTES if n.get("kind") == "finding" and covers(n, analyte, flag)), None
    )
    assert first is not None
    assert first["analyte"] == analyte and flag in first["flags"]


@pytest.mark.parametrize("analyte", sorted(ALL_FLAGS))
def test_every_analyte_has_an_about_note(analyte: str) -> None:
    assert any(n.get("kind") == "about" and n.get("analyte") == analyte for n in NOTES)


# ----------------------------------------------------------------- patterns


def test_pattern_ids_unique_and_kebab() -> None:
    ids = [p.get("id") for p in PATTERNS]
    assert len(ids) == len(set(ids)), f"duplicate pattern ids: {ids}"
    for pid in ids:
        assert isinstance(pid, str) and KEBAB.match(pid), f"not kebab-case: {pid!r}"


@pytest.mark.parametrize("pattern", PATTERNS, ids=[str(p.get("id")) for p in PATTERNS])
def test_pattern_fields(pattern: dict[str, Any]) -> None:
    assert set(pattern) <= PATTERN_KEYS, f"unknown keys: {set(pattern) - PATTERN_KEYS}"
    assert {"id", "title", "when", "text"} <= set(pattern)
    when = pattern["when"]
    assert isinstance(when, dict) and when, "when must be a non-empty mapping"
    for analyte, flags in when.items():
        assert analyte in ALL_FLAGS, f"unknown analyte {analyte!r}"
        assert isinstance(flags, list) and flags, f"{analyte}: flags must be a non-empty list"
        assert set(flags) <= ALL_FLAGS[analyte], f"{analyte}: bad flags {flags}"
    absent = pattern.get("absent", [])
    assert isinstance(absent, list)
    for analyte in absent:
        assert analyte in ALL_FLAGS, f"unknown analyte {analyte!r} in absent"
        assert analyte not in when, f"{analyte} is both required and absent"


@pytest.mark.parametrize("pattern", PATTERNS, ids=[str(p.get("id")) for p in PATTERNS])
def test_pattern_text_is_hedged(pattern: dict[str, Any]) -> None:
    assert HEDGE.search(str(pattern["text"])), "pattern text should be a question or hedged"


@pytest.mark.parametrize(
    ("required", "absent"),
    [
        ({"ferritin": {"deficient", "borderline"}, "tsat": {"deficient"}}, set()),
        ({"b12": {"borderline"}, "mma": {"high"}}, set()),
        ({"b12": {"borderline"}}, {"mma"}),
        ({"ferritin": {"normal", "high"}, "tsat": {"deficient"}}, set()),
    ],
    ids=["iron-deficiency", "b12-mma-high", "b12-no-mma", "inflammation-masking"],
)
def test_required_patterns_present(required: dict[str, set[str]], absent: set[str]) -> None:
    for pattern in PATTERNS:
        when = {a: set(f) for a, f in pattern.get("when", {}).items()}
        if when == required and set(pattern.get("absent", [])) == absent:
            return
    pytest.fail(f"no pattern with when={required} absent={absent}")
