"""The test labels of a long file, counted as the rows stream past, and what each matched.

After a file, the labels that name no test b12check covers are summed up on stderr (one line
each, the most frequent first, capped); ``scan --show-layout`` lists every label with the
test it matched, or why it matched none. The label of a row is what the core is given for it
(``RowReader.test_name``: a known LOINC code, else the test cell).
"""

from collections.abc import Callable, Hashable, Iterator
from operator import itemgetter
from typing import NamedTuple

from b12check.core.refdata import Reference
from b12check.readers.layout import Layout
from b12check.readers.source import Row

LABELS_KEPT = 10_000  # distinct labels counted per file; rows past it are counted together
SHOWN = 10  # labels not covered named on stderr per file


class Match(NamedTuple):
    label: str
    rows: int
    analyte: str | None  # the test it matched (a companion's id too), None if none
    why: str  # what it matched, or why it matched none


def match_label(reference: Reference, label: str) -> tuple[str | None, str]:
    """(analyte or None, what ``label`` matched or why not), as the core reads the name."""
    if not label.strip():
        return None, "no test name"
    try:
        found = reference.identify(label)
    except ValueError as exc:
        return None, f"not read: {exc}"
    if found.refused:
        return None, f"refused: {found.refused}"
    if found.analyte is not None:
        return found.analyte.id, f"{found.analyte.id} ({found.analyte.name})"
    if found.companion is not None:
        return found.companion.id, f"{found.companion.id}: read only to work out other values"
    return None, found.skip_reason


class LabelTally:
    """Counts the label cells of one long file's rows."""

    def __init__(self, layout: Layout) -> None:
        self.roles = [role for role in ("test", "loinc") if role in layout.roles]
        self.positions = [layout.roles[role] for role in self.roles]
        self.width = layout.width
        self.counts: dict[Hashable, int] = {}
        self.uncounted = 0  # rows whose label came after LABELS_KEPT others

    def add(self, cells: list[str]) -> None:
        """Count the label cells of one row (of the layout's width)."""
        if len(cells) != self.width or not self.positions:
            return
        key = itemgetter(*self.positions)(cells)
        seen = self.counts.get(key)
        if seen is not None:
            self.counts[key] = seen + 1
        elif len(self.counts) < LABELS_KEPT:
            self.counts[key] = 1
        else:
            self.uncounted += 1

    def counting(self, rows: Iterator[Row]) -> Iterator[Row]:
        """``rows``, counting the label cells of each row of the layout's width."""
        positions = self.positions
        if not positions:
            yield from rows
            return
        key_of: Callable[[list[str]], Hashable] = itemgetter(*positions)
        counts, width = self.counts, self.width
        get = counts.get
        for row in rows:
            cells = row.cells
            if len(cells) == width:
                key = key_of(cells)
                seen = get(key)
                if seen is not None:
                    counts[key] = seen + 1
                elif len(counts) < LABELS_KEPT:
                    counts[key] = 1
                else:
                    self.uncounted += 1
            yield row

    def matches(
        self, reference: Reference, label_of: Callable[[dict[str, str | None]], str]
    ) -> list[Match]:
        """Every distinct label with its count and match, the most frequent first.
        ``label_of``: the label the core is given for a row's test and loinc cells."""
        roles = self.roles
        rows: dict[str, int] = {}
        for key, count in self.counts.items():
            cells = key if isinstance(key, tuple) else (key,)
            context: dict[str, str | None] = {"test": None, "loinc": None}
            for role, cell in zip(roles, cells, strict=True):
                context[role] = str(cell).strip() or None
            label = label_of(context)
            rows[label] = rows.get(label, 0) + count
        found = [
            Match(label, count, *match_label(reference, label)) for label, count in rows.items()
        ]
        return sorted(found, key=lambda m: (-m.rows, m.label))


def not_covered_lines(matches: list[Match], uncounted: int) -> list[str]:
    """The stderr summary lines of the labels that matched no test (capped at SHOWN)."""
    missing = [m for m in matches if m.analyte is None]
    lines = [f"test label {m.label!r} not read ({_rows(m.rows)}): {m.why}" for m in missing[:SHOWN]]
    rest = missing[SHOWN:]
    if rest:
        rows = sum(m.rows for m in rest)
        lines.append(f"... and {len(rest)} more test labels not read ({_rows(rows)})")
    if uncounted:
        lines.append(f"{uncounted} rows with labels past the first {LABELS_KEPT} not counted")
    return lines


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"
