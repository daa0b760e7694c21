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


def header_fields(text: str, book: PhraseBook) -> dict[str, str]:
    """The ``role: value`` pairs of one line (an empty dict for a line without any)."""
    keys: list[tuple[str, int, int]] = []  # role, where the key starts, where its value starts
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
        keys.append((found.role, found.start, after.end()))
    fields: dict[str, str] = {}
    for index, (role, _, value_start) in enumerate(keys):
        end = keys[index + 1][1] if index + 1 < len(keys) else len(text)
        value = text[value_start:end]
        gap = _GAP.search(value)
        if gap is not None:
            value = value[: gap.start()]
        value = value.strip().strip("|").strip()
        if value and role not in fields:
            fields[role] = value
    return fields
