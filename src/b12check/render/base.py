"""What every writer is, and what the line formats offer the scan cache.

Writers take records as they stream past (constant memory) and only render; the schema is
documented in README ("Output records").
"""

from collections.abc import Sequence
from typing import Any, Protocol

from b12check.core.numbers import format_number
from b12check.core.records import FastLine, Record, Summary
from b12check.core.vocab import STATUS_RESULT

CACHE_LIMIT = 4096  # rendered cell texts kept per writer
FORMULA_LEADERS = frozenset("=+-@\t\r \u00a0")


class Writer(Protocol):
    separator: str = "\n"  # between records the scan cache rendered, in one write
    observes: bool = False  # wants to see every result the cache rendered (observe)
    line_format: bool = False  # a LineFormat: each record one piece of text

    def write(self, record: Record) -> None: ...

    def observe(self, line: FastLine) -> None:
        """See a result the scan cache rendered (for writers that keep something per result)."""
        return None

    def observe_group(
        self,
        patient: str | None,
        date: str | None,
        results: Sequence[tuple[str, str, Any, Any]],
    ) -> None:
        """See one patient's results of one date the scan cache rendered: (analyte, flag,
        value in the canonical unit, comparator) each, as ``observe`` would see them."""
        return None

    def write_rendered(self, text: str) -> None:
        """Write a record the scan cache rendered (only line formats are given any)."""
        raise TypeError(f"{type(self).__name__} takes records only, not rendered lines")

    def close(self, summary: Summary) -> None: ...


class LineFormat(Protocol):
    """A format whose records are independent pieces of text (csv, tsv, ndjson, json).

    The scan cache renders real records with placeholders in some fields, keeps the text
    around them, and fills in each later row's own cells with these same cell renderers, so its
    output is the same text the full path writes (run/rowcache.py).
    """

    def render(self, record: Record) -> str: ...

    def write_rendered(self, text: str) -> None: ...

    def placeholder(self, token: str) -> str: ...

    def text(self, value: str | None) -> str: ...

    def plain(self, value: str) -> str: ...

    def number(self, value: float) -> str: ...


def band_text(record: Record) -> str:
    """'180–350 pg/mL', '< 12 ng/mL', '> 914 pg/mL'."""
    if record.status != STATUS_RESULT or (record.band_low is None and record.band_high is None):
        return ""
    unit = record.canonical_unit or ""
    if record.band_low is None:
        return f"< {format_number(record.band_high or 0)} {unit}".strip()
    if record.band_high is None:
        return f"> {format_number(record.band_low)} {unit}".strip()
    return f"{format_number(record.band_low)}–{format_number(record.band_high)} {unit}".strip()
