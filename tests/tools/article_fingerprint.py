"""Fingerprint the source article and the research notes for the note-honesty tests.

The notes in ``src/b12check/data/notes.yaml`` cite headings of an article and authorities
named in the project's research notes, and must not copy either word for word. Those two
files live outside the repository (``../shared`` beside it) and their text must not be
copied in. This script keeps what ``tests/test_notes_honesty.py`` needs instead:

* the article's section headings (notes cite them, so they are public in the repo anyway);
* a truncated sha256 of every run of ``RUN`` consecutive normalised words, for the article
  and for the research notes, so a copied run can be found without the text;
* the authority names cited in notes.yaml that do appear in the research notes.

Run it after either source changes, or when a note cites an authority not yet listed::

    python tests/tools/article_fingerprint.py            # reads ../shared beside the repo
    python tests/tools/article_fingerprint.py PATH/TO/shared

It needs only the standard library and PyYAML, and it is not part of the installed package.
The test module imports the word rules from here, so both use one implementation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import yaml

FORMAT = 1
RUN = 8  # consecutive shared words that count as copying
DIGEST_CHARS = 12  # hex digits kept of each sha256 (48 bits: a false match is negligible)
REPO = Path(__file__).resolve().parents[2]
NOTES = REPO / "src/b12check/data/notes.yaml"
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "tests/fixtures/article/fingerprint.json"
ARTICLE = "source/fibromyalgia-b12-article.txt"
FACTS = "research/reference-facts.md"
HEADING_MAX_WORDS = 12

Fingerprint = dict[str, Any]


# ------------------------------------------------------------------ word rules


def words(text: str) -> list[str]:
    """Lowercase words with punctuation stripped (apostrophes dropped, not split)."""
    text = text.lower().replace("\u2019", "").replace("'", "")
    return re.findall(r"[^\W_]+", text)


def ngrams(tokens: Sequence[str], n: int = RUN) -> list[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens, in order (repeats kept)."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def gram_digest(gram: Iterable[str]) -> str:
    """The stored form of one run: its words joined by single spaces, hashed."""
    return hashlib.sha256(" ".join(gram).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def run_digests(text: str) -> set[str]:
    """Digests of every ``RUN``-word run of ``text``."""
    return {gram_digest(gram) for gram in ngrams(words(text))}


def copied_run(text: str, digests: AbstractSet[str]) -> str | None:
    """The first ``RUN``-word run of ``text`` whose digest is in ``digests``, as words."""
    for gram in ngrams(words(text)):
        if gram_digest(gram) in digests:
            return " ".join(gram)
    return None


def headings(article: str) -> list[str]:
    """Non-empty stripped lines of at most 12 words that do not end with a full stop."""
    found = {
        line
        for line in (raw.strip() for raw in article.splitlines())
        if line and len(line.split()) <= HEADING_MAX_WORDS and not line.endswith(".")
    }
    return sorted(found)


def reference_parts(reference: str) -> list[str]:
    """The authorities of one ``reference`` value, which separates them with "; "."""
    return [part.strip() for part in reference.split(";")]


def cited_authorities(notes: dict[str, Any]) -> set[str]:
    """Every authority named in a ``reference`` of a note or pattern."""
    items = [*(notes.get("notes") or []), *(notes.get("patterns") or [])]
    return {
        part
        for item in items
        if isinstance(item, dict) and isinstance(item.get("reference"), str)
        for part in reference_parts(item["reference"])
        if part
    }


# ------------------------------------------------------------------ the file


def section_checksum(fingerprint: Fingerprint, name: str) -> str:
    """sha256 over one section's content and the rules it was made with (not the checksum
    itself), so a hand edit or a change of rule shows."""
    section = {k: v for k, v in fingerprint[name].items() if k != "checksum"}
    rules = {k: fingerprint[k] for k in ("format", "run_words", "digest_chars")}
    canonical = json.dumps([rules, name, section], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build(article: str, facts: str, authorities: Iterable[str]) -> Fingerprint:
    """The fingerprint of the two sources; of ``authorities`` it keeps those that the
    research notes mention."""
    fingerprint: Fingerprint = {
        "format": FORMAT,
        "about": (
            "Made by tests/tools/article_fingerprint.py from ../shared; no text of the article "
            "or the research notes but the article's headings. Do not edit by hand."
        ),
        "run_words": RUN,
        "digest_chars": DIGEST_CHARS,
        "article": {
            "file": ARTICLE,
            "sha256": hashlib.sha256(article.encode("utf-8")).hexdigest(),
            "headings": headings(article),
            "runs": sorted(run_digests(article)),
        },
        "research_notes": {
            "file": FACTS,
            "sha256": hashlib.sha256(facts.encode("utf-8")).hexdigest(),
            "authorities": sorted({a for a in authorities if a in facts}),
            "runs": sorted(run_digests(facts)),
        },
    }
    for name in ("article", "research_notes"):
        fingerprint[name]["checksum"] = section_checksum(fingerprint, name)
    return fingerprint


def build_from(shared: Path, notes_path: Path = NOTES) -> Fingerprint:
    notes = yaml.safe_load(notes_path.read_text(encoding="utf-8"))
    return build(
        (shared / ARTICLE).read_text(encoding="utf-8"),
        (shared / FACTS).read_text(encoding="utf-8"),
        cited_authorities(notes if isinstance(notes, dict) else {}),
    )


def render(fingerprint: Fingerprint) -> str:
    return json.dumps(fingerprint, indent=1, ensure_ascii=False) + "\n"


def load(path: Path = DEFAULT_OUT) -> Fingerprint:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


# ------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    missing = [p for p in (args.shared / ARTICLE, args.shared / FACTS) if not p.is_file()]
    if missing:
        print(f"not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    fingerprint = build_from(args.shared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(fingerprint), encoding="utf-8")
    counts = {name: len(fingerprint[name]["runs"]) for name in ("article", "research_notes")}
    print(f"wrote {args.out}: {counts} runs, {len(fingerprint['article']['headings'])} headings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
