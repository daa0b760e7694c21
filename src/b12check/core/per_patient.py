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
    """What is kept of one patient's results of one test (flat slots: one object a pair)."""

    __slots__ = (
        "unit",
        "results",
        "errors",
        "undated",
        "first",
        "last",
        "latest_order",
        "latest_seq",
        "latest_date",
        "latest_comparator",
        "latest_value",
        "latest_flag",
        "worst_severity",
        "worst_order",
        "worst_seq",
        "worst_flag",
    )

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.results = 0
        self.errors = 0
        self.undated = 0
        self.first: str | None = None
        self.last: str | None = None
        self.latest_order = ""  # the latest result's date, "" when it has none
        self.latest_seq = -1
        self.latest_date: str | None = None
        self.latest_comparator: str | None = None
        self.latest_value: float | None = None
        self.latest_flag: str | None = None
        self.worst_severity = -1
        self.worst_order = ""
        self.worst_seq = -1
        self.worst_flag: str | None = None

    def add(
        self, seq: int, day: str | None, value: float | None, comparator: str | None, flag: str
    ) -> None:
        """One result; ``day`` is its ISO date, or None when its date was not understood."""
        self.results += 1
        if day is None:
            self.undated += 1
        else:
            if self.first is None or day < self.first:
                self.first = day
            if self.last is None or day > self.last:
                self.last = day
        order = day or ""  # an undated result comes before every dated one
        if (order, seq) > (self.latest_order, self.latest_seq):
            self.latest_order, self.latest_seq, self.latest_date = order, seq, day
            self.latest_comparator, self.latest_value, self.latest_flag = comparator, value, flag
        severity = FLAG_SEVERITY.get(flag, -1)
        if (severity, order, seq) > (self.worst_severity, self.worst_order, self.worst_seq):
            self.worst_severity, self.worst_order, self.worst_seq = severity, order, seq
            self.worst_flag = flag


class PerPatient:
    """The cells of a run, filled as results stream past."""

    def __init__(self, order: dict[str, int], units: dict[str, str]) -> None:
        self.order = order  # analyte id -> its place in the reference data
        self.units = units  # analyte id -> canonical unit
        self.cells: dict[tuple[str, str, str], Cell] = {}
        self.seq = 0
        self.days: dict[str, str] = {}  # one string per distinct date and patient id, shared

    def _cell(self, file: str, patient: str | None, analyte: str) -> Cell:
        key = (patient or "", "" if patient else file, analyte)
        cell = self.cells.get(key)
        if cell is None:
            if patient:  # (one string per patient, shared by the keys of its tests)
                key = (self.days.setdefault(patient, patient), "", analyte)
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
        day = None
        if date is not None and is_iso_date(date):
            day = self.days.setdefault(date, date)
        cell.add(self.seq, day, value, comparator, flag or UNCLASSIFIED)

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
            yield {
                "patient": key[0] or None,
                "file": key[1] or None,
                "analyte": key[2],
                "results": cell.results,
                "errors": cell.errors,
                "first_date": cell.first,
                "last_date": cell.last,
                "undated": cell.undated,
                "latest_date": cell.latest_date,
                "latest_comparator": cell.latest_comparator,
                "latest_value": cell.latest_value,
                "canonical_unit": cell.unit or None,
                "latest_flag": cell.latest_flag,
                "worst_flag": cell.worst_flag,
                "worst_date": cell.worst_order or None,
            }
