"""One row per patient and test (``scan --per-patient``): what a cohort table wants to see.

Each (patient, test) keeps one small ``Cell``: how many results and errors, the first and
last collection date, the latest result (value, comparator, flag, date) and the worst flag
(the highest ``Flag.severity``, core/vocab). Memory grows with patients × tests, never with
rows: a few hundred bytes per pair, so a million pairs take a few hundred MB.

Dates are the ISO dates the readers understood (core/trends.is_iso_date, as trends use them);
a result whose date was not understood is counted (``undated``) but takes no part in the
dates, and is the latest only when no result of that pair has a date (then the last one read).
Ties go to the result read later: on one date, the later row is the latest; between flags of
equal severity (low and high), the worst is the more recent one.

Results without a patient are one person per file (a personal portal export has no patient
column): their rows have no patient and name the file instead; results of a patient are
joined across files and name none. Rows come out sorted by patient, then file, then in the
order of the tests in the reference data.
"""

from collections.abc import Iterator
from typing import Any, Final

from b12check.core.trends import is_iso_date
from b12check.core.vocab import FLAG_SEVERITY, UNCLASSIFIED

FIELDS: Final = (
    "patient",
    "file",
    "analyte",
    "results",
    "errors",
    "first_date",
    "last_date",
    "undated",
    "latest_date",
    "latest_comparator",
    "latest_value",
    "canonical_unit",
    "latest_flag",
    "worst_flag",
    "worst_date",
)
NUMERIC: Final = frozenset({"results", "errors", "undated", "latest_value"})


class Cell:
    """What is kept of one patient's results of one test."""

    __slots__ = (
        "unit",
        "results",
        "errors",
        "undated",
        "first",
        "last",
        "latest",
        "latest_key",
        "worst",
        "worst_key",
    )

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.results = 0
        self.errors = 0
        self.undated = 0
        self.first: str | None = None
        self.last: str | None = None
        self.latest: tuple[str | None, str | None, float | None, str] | None = None
        self.latest_key: tuple[str, int] = ("", -1)
        self.worst: tuple[str, str | None] | None = None
        self.worst_key: tuple[int, str, int] = (-1, "", -1)

    def add(
        self, seq: int, date: str | None, value: float | None, comparator: str | None, flag: str
    ) -> None:
        self.results += 1
        day = date if date is not None and is_iso_date(date) else None
        if day is None:
            self.undated += 1
        else:
            if self.first is None or day < self.first:
                self.first = day
            if self.last is None or day > self.last:
                self.last = day
        order = day or ""  # an undated result comes before every dated one
        if (order, seq) > self.latest_key:
            self.latest_key = (order, seq)
            self.latest = (day, comparator, value, flag)
        worst_key = (FLAG_SEVERITY.get(flag, -1), order, seq)
        if worst_key > self.worst_key:
            self.worst_key = worst_key
            self.worst = (flag, day)


class PerPatient:
    """The cells of a run, filled as results stream past."""

    def __init__(self, order: dict[str, int], units: dict[str, str]) -> None:
        self.order = order  # analyte id -> its place in the reference data
        self.units = units  # analyte id -> canonical unit
        self.cells: dict[tuple[str, str, str], Cell] = {}
        self.seq = 0

    def _cell(self, file: str, patient: str | None, analyte: str) -> Cell:
        key = (patient or "", "" if patient else file, analyte)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell(self.units.get(analyte, ""))
        return cell

    def add_result(
        self,
        file: str,
        patient: str | None,
        analyte: str | None,
        date: str | None,
        value: float | None,
        comparator: str | None,
        flag: str | None,
    ) -> None:
        if not analyte:
            return
        self.seq += 1
        cell = self._cell(file, patient, analyte)
        cell.add(self.seq, date, value, comparator, flag or UNCLASSIFIED)

    def add_error(self, file: str, patient: str | None, analyte: str | None) -> None:
        """An error record of a known test: counted in its patient's row."""
        if analyte:
            self._cell(file, patient, analyte).errors += 1

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per (patient, test), keys as ``FIELDS``, sorted (see the module text)."""
        far = len(self.order)
        keys = sorted(
            self.cells, key=lambda key: (not key[0], key[0], key[1], self.order.get(key[2], far))
        )
        for key in keys:
            cell = self.cells[key]
            latest = cell.latest or (None, None, None, None)
            worst = cell.worst or (None, None)
            yield {
                "patient": key[0] or None,
                "file": key[1] or None,
                "analyte": key[2],
                "results": cell.results,
                "errors": cell.errors,
                "first_date": cell.first,
                "last_date": cell.last,
                "undated": cell.undated,
                "latest_date": latest[0],
                "latest_comparator": latest[1],
                "latest_value": latest[2],
                "canonical_unit": cell.unit or None,
                "latest_flag": latest[3],
                "worst_flag": worst[0],
                "worst_date": worst[1],
            }
