"""The patient's details in a report's header: ``KEY: value`` pairs, several to a line.

``Patient ID: CL-40211   DOB: 03/02/1971   Sex: F`` gives the patient, the birth date and the
sex; the keys are the ``report: fields`` words of ``data/headers.yaml``. A key counts only
with a colon (or ``#``) after it, so that a test's name is never taken for one. A value runs
to the next key or to a gap of two or more spaces.
"""

from b12check.core.lazyre import LazyPattern
from b12check.readers.report_words import Phrase, PhraseBook

_AFTER_KEY = LazyPattern(r"\s*[:#]\s*")
_GAP = LazyPattern(r"\s{2,}|\t")
_BETWEEN = " |·•,;/"  # marks written between the pairs of one line


def header_fields(
    text: str, book: PhraseBook, rest: list[str] | None = None
) -> dict[str, tuple[int, str]]:
    """The ``role: (rank, value)`` pairs of one line (none for a line without any); of two
    keys for one role (``Name:`` and ``Patient ID:``) the one listed first in the data file
    (the lower rank) is kept. ``rest[0]`` is set to what follows the last value after a gap
    (text that is not the patient's details), and to what precedes the first key."""
    rest = rest if rest is not None else [""]
    keys: list[tuple[Phrase, int]] = []  # the key, where its value starts
    for found in book.find_phrases(text):
        if not isinstance(found, Phrase):
            continue
        if found.start > 0 and not (
            text[found.start - 1].isspace() or text[found.start - 1] in "|"
        ):
            continue
        after = _AFTER_KEY.compiled.match(text, found.end)
        if after is None or ":" not in after.group() and "#" not in after.group():
            continue
        keys.append((found, after.end()))
    rest[0] = text[: keys[0][0].start] if keys else ""
    fields: dict[str, tuple[int, str]] = {}
    for index, (key, value_start) in enumerate(keys):
        end = keys[index + 1][0].start if index + 1 < len(keys) else len(text)
        value = text[value_start:end]
        gap = _GAP.search(value)
        if gap is not None:
            value = value[: gap.start()]
            if index + 1 == len(keys):
                rest[0] += "  " + text[value_start + gap.end() :]
        value = value.strip().strip(_BETWEEN).strip()
        if value and (key.role not in fields or key.rank < fields[key.role][0]):
            fields[key.role] = (key.rank, value)
    return fields
