"""Honesty and coverage checks for ``src/b12check/data/notes.yaml``.

These tests read the YAML directly and do not import ``b12check``, so they keep
working while the package itself changes. They check that:

* every ``section`` is a real heading of the source article and every ``reference``
  names an authority that appears in the shared research notes;
* no note copies the article (or the research notes) word for word;
* no note claims a deficiency causes or cures fibromyalgia, gives a dose, or tells
  the reader to take, start or stop something;
* every analyte x flag pair has a ``finding`` note, and patterns use known ids.

The article and the research notes live outside the repo (``../shared`` beside it) and their
text is not copied in. The citation and copying checks read a fingerprint of them instead
(``tests/fixtures/article/fingerprint.json``: the article's headings, hashes of every 8-word
run, the authorities found), made by ``tests/tools/article_fingerprint.py``, so every test runs
on a fresh clone. When ``../shared`` is present, one more check proves the stored fingerprint
is still what the script makes from those files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools import article_fingerprint as fp
from tests.tools.article_fingerprint import RUN, copied_run, reference_parts, run_digests

HERE = Path(__file__).resolve()
NOTES_PATH = HERE.parents[1] / "src/b12check/data/notes.yaml"
FINGERPRINT_PATH = fp.DEFAULT_OUT
SHARED = fp.DEFAULT_SHARED
REFRESH = "run `python tests/tools/article_fingerprint.py` with ../shared present"

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
NOTE_KEYS = frozenset({"analyte", "flags", "kind", "text", "section", "reference", "bands"})
PATTERN_KEYS = frozenset({"id", "title", "when", "absent", "text", "section", "reference"})
MAX_TEXT = 220
HEX = re.compile(r"^[0-9a-f]+$")

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


def forbidden_hits(text: str) -> list[str]:
    return [name for name, rx in FORBIDDEN.items() if rx.search(text)]


def covers(note: dict[str, Any], analyte: str, flag: str) -> bool:
    flags = note.get("flags") or []
    return note.get("analyte") in (analyte, "*") and ("*" in flags or flag in flags)


FINGERPRINT = fp.load(FINGERPRINT_PATH)
ARTICLE_HEADINGS = frozenset(FINGERPRINT["article"]["headings"])
ARTICLE_RUNS = frozenset(FINGERPRINT["article"]["runs"])
AUTHORITIES = frozenset(FINGERPRINT["research_notes"]["authorities"])
FACTS_RUNS = frozenset(FINGERPRINT["research_notes"]["runs"])
SOURCES = {"article": fp.ARTICLE, "research_notes": fp.FACTS}


SHARED_PRESENT = all((SHARED / name).is_file() for name in SOURCES.values())


def _source_case(section: str) -> Any:
    """What the fingerprint check can do for one source here, named in the test id."""
    present = SHARED_PRESENT
    how = "compared-with-shared" if present else "shared-absent-self-consistency-only"
    return pytest.param(section, present, id=f"{section}-{how}")


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
    source = run_digests("Stress has been found to impair stomach function, reducing acid.")
    copied = "Notably, STRESS has been found to impair stomach-function."
    assert copied_run(copied, source) == "stress has been found to impair stomach function"
    assert copied_run("Stress may reduce stomach acid over time.", source) is None


def test_run_detector_normalises_case_punctuation_and_apostrophes() -> None:
    source = run_digests("The body's stores don\u2019t show it: serum levels can look normal.")
    assert copied_run("the bodys stores dont show it, serum levels can look fine", source)


# ------------------------------------------------------------- fingerprint


@pytest.mark.parametrize(("section", "shared_present"), [_source_case(s) for s in SOURCES])
def test_fingerprint_is_current(section: str, shared_present: bool) -> None:
    """The stored fingerprint is intact (as the script wrote it, made with the rules these
    tests use); with ../shared present it is also exactly what the script makes from it."""
    stored = FINGERPRINT[section]
    assert FINGERPRINT["format"] == fp.FORMAT, REFRESH
    assert FINGERPRINT["run_words"] == RUN and FINGERPRINT["digest_chars"] == fp.DIGEST_CHARS
    assert stored["file"] == SOURCES[section]
    assert stored["checksum"] == fp.section_checksum(FINGERPRINT, section), (
        f"{FINGERPRINT_PATH.name} [{section}] was changed by hand; {REFRESH}"
    )
    runs = stored["runs"]
    assert len(runs) > 1000 and runs == sorted(set(runs)), "runs must be sorted and unique"
    assert all(len(r) == fp.DIGEST_CHARS and HEX.match(r) for r in runs)
    assert len(stored["sha256"]) == 64 and HEX.match(stored["sha256"])
    if not shared_present:
        return  # nothing to compare with; the test id says so
    article = (SHARED / fp.ARTICLE).read_text(encoding="utf-8")
    facts = (SHARED / fp.FACTS).read_text(encoding="utf-8")
    fresh = fp.build(article, facts, FINGERPRINT["research_notes"]["authorities"])
    assert stored["sha256"] == fresh[section]["sha256"], f"{SOURCES[section]} changed; {REFRESH}"
    assert stored == fresh[section], f"stored fingerprint differs from the script's; {REFRESH}"


def test_script_fingerprints_a_shared_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The script run on a stand-in ../shared writes a file these tests can use."""
    (tmp_path / "source").mkdir()
    (tmp_path / "research").mkdir()
    (tmp_path / fp.ARTICLE).write_text(
        "A Short Title\nIron Deficiency\n"
        "Low stores of iron were common in the group that the authors studied.\n",
        encoding="utf-8",
    )
    (tmp_path / fp.FACTS).write_text("Mayo Clinic Laboratories [V]; nothing else.\n", "utf-8")
    out = tmp_path / "fingerprint.json"
    assert fp.main([str(tmp_path), "--out", str(out)]) == 0
    made = fp.load(out)
    for section in SOURCES:
        assert made[section]["checksum"] == fp.section_checksum(made, section)
    assert made["article"]["headings"] == ["A Short Title", "Iron Deficiency"]
    assert made["research_notes"]["authorities"] == ["Mayo Clinic Laboratories"]
    copied = "Notes say low stores of iron were common in the group they studied."
    assert copied_run(copied, set(made["article"]["runs"])) is not None
    assert fp.main([str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, where)


def test_fingerprint_stores_no_source_text() -> None:
    """Besides digests and file names, the only text kept is headings and authority names."""
    for where, text in _strings(FINGERPRINT, "fingerprint"):
        if where.endswith((".runs", ".sha256", ".checksum")):
            assert HEX.match(text), f"{where}: {text!r} is not a digest"
        elif where.endswith(".headings"):
            assert len(text.split()) <= 12 and not text.endswith("."), f"{where}: {text!r}"
        elif where.endswith(".authorities"):
            assert len(text.split()) <= 6, f"{where}: {text!r} is too long for a name"
        else:
            assert where in {
                "fingerprint.about",
                "fingerprint.article.file",
                "fingerprint.research_notes.file",
            }, f"unexpected text at {where}"


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
def test_section_is_article_heading(item_id: str, section: str) -> None:
    assert section in ARTICLE_HEADINGS, f"{item_id}: {section!r} is not an article heading"


@pytest.mark.parametrize(("item_id", "reference"), REFERENCES, ids=[r[0] for r in REFERENCES])
def test_reference_is_traceable(item_id: str, reference: str) -> None:
    for part in reference_parts(reference):
        assert part, f"{item_id}: empty part in {reference!r}"
        assert part in AUTHORITIES, (
            f"{item_id}: {part!r} is not among the authorities found in reference-facts.md "
            f"(if it is there, {REFRESH})"
        )


# ------------------------------------------------------------------ wording


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_text_style(text: str) -> None:
    assert text.strip(), "empty text"
    assert len(text) <= MAX_TEXT, f"{len(text)} characters (max {MAX_TEXT})"
    assert not MARKUP.search(text), "looks like markdown or contains square brackets"


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_no_copied_run_from_article(text: str) -> None:
    run = copied_run(text, ARTICLE_RUNS)
    assert run is None, f"shares {RUN} consecutive words with the article: {run!r}"


@pytest.mark.parametrize("text", TEXT_VALUES, ids=TEXT_IDS)
def test_no_copied_run_from_reference_facts(text: str) -> None:
    run = copied_run(text, FACTS_RUNS)
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
