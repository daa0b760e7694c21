"""Trends: the same test for the same patient on several dates.

Kept as the first and last point per (patient, test), so memory grows with the number of
patients, not rows, and is capped at ``LIMIT`` series (the output says when it was reached).
Points are ordered by their ISO date (readers/dates.py writes every date it understood so);
a date that was not understood (kept as written, with a warning) is no point of any series,
and the count of such results is reported, so no trend starts or ends on a guess.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

LIMIT = 50_000
DATES_LIMIT = 1000  # distinct dates counted per series at most
DATES_KEPT = 65_536  # date texts shared between series (then it starts again)


class Series:
    """First and last point (date, value, flag) of one test for one patient, and how many
    distinct dates. Kept flat in one slotted object (up to ``LIMIT`` of them are kept), with
    its patient and test, so no key tuple is kept beside it.

    The dates are counted without more memory while they are only the first and the last
    (most series); from a third distinct date on, every distinct date is kept in one text,
    the ISO dates one after another (ten characters each, at most ``DATES_LIMIT``): a set of
    a few dates takes twice the memory, and only ISO dates come here.
    """

    __slots__ = (
        "patient",
        "analyte",
        "unit",
        "first_date",
        "first_value",
        "first_flag",
        "last_date",
        "last_value",
        "last_flag",
        "others",
    )

    def __init__(
        self, patient: str, analyte: str, unit: str, date: str, value: float, flag: str
    ) -> None:
        self.patient = patient
        self.analyte = analyte
        self.unit = unit
        self.first_date = self.last_date = date
        self.first_value = self.last_value = value
        self.first_flag = self.last_flag = flag
        self.others: str | None = None  # every date seen, once there are over two

    def add(self, date: str, value: float, flag: str) -> None:
        first, last = self.first_date, self.last_date
        if date != first and date != last and (first != last or self.others is not None):
            others = self.others
            if others is None:  # a third distinct date
                self.others = first + last + date
            elif len(others) < DATES_LIMIT * 10 and not _holds(others, date):
                self.others = others + date
        if date < first:
            self.first_date, self.first_value, self.first_flag = date, value, flag
        elif date > last:
            self.last_date, self.last_value, self.last_flag = date, value, flag

    @property
    def dates(self) -> int:
        if self.others is not None:
            return len(self.others) // 10
        return 1 if self.first_date == self.last_date else 2


def _holds(dates: str, date: str) -> bool:
    """Whether ``date`` is one of the ISO dates written one after another in ``dates``
    (a match can only start at a date's start: a '-' is at the 5th and 8th place of each)."""
    return date in dates


def is_iso_date(text: str) -> bool:
    """``YYYY-MM-DD``: a date the readers understood (any other text was not)."""
    return (
        len(text) == 10
        and text[4] == text[7] == "-"
        and text[:4].isdigit()
        and text[5:7].isdigit()
        and text[8:].isdigit()
        and text.isascii()
    )


class Trends:
    def __init__(self) -> None:
        # the series of each test by patient ("" for none), and all of them in the order they
        # began (the order they are written in)
        self.by_test: dict[str, dict[str, Series]] = {}
        self.series: list[Series] = []
        self.truncated = False
        self.undated = 0  # results left out because their date was not understood
        self._dates: dict[str, str] = {}
        self._without: str | None = None  # the last patient seen with no series, once full

    def add(
        self,
        patient: str | None,
        analyte: str | None,
        date: str | None,
        value: float | None,
        flag: str | None,
        unit: str,
    ) -> None:
        """Record one exact result with a date (others say nothing about a trend)."""
        if not (analyte and date and value is not None and flag):
            return
        if not is_iso_date(date):
            self.undated += 1
            return
        self._add(patient or "", analyte, self._date(date), value, flag, unit)

    def add_results(
        self,
        patient: str | None,
        date: str | None,
        results: Iterable[tuple[str, str, float | None, str | None]],
        units: Mapping[str, str],
    ) -> None:
        """``add`` for each exact result (analyte, flag, value, comparator) of one patient on
        one date; censored ones are left out, as a trend has no point for them."""
        if not date:
            return
        known = self._dates.get(date)  # (only ISO dates are kept there)
        if known is None:
            if not is_iso_date(date):
                self.undated += sum(
                    1 for a, f, v, cmp in results if not cmp and a and f and v is not None
                )
                return
            known = self._date(date)
        who, by_test = patient or "", self.by_test
        if self.truncated:
            # no series can begin any more, so a patient with none gets none: looked up once
            # for the patient's groups one after another (most, past the limit)
            if who == self._without:
                return
            if not any(who in of_test for of_test in by_test.values()):
                self._without = who
                return
        # (what add and _add do for each result, without two calls per result)
        for analyte, flag, value, comparator in results:
            if comparator or not analyte or not flag or value is None:
                continue
            of_test = by_test.get(analyte)
            series = None if of_test is None else of_test.get(who)
            if series is not None:
                series.add(known, value, flag)
            elif len(self.series) < LIMIT:
                self._add(who, analyte, known, value, flag, units.get(analyte, ""))
            else:
                self.truncated = True

    def _date(self, date: str) -> str:
        """One text per date for all series (each result's date is a text of its own)."""
        if len(self._dates) >= DATES_KEPT:
            self._dates = {}
        return self._dates.setdefault(date, date)

    def _add(
        self, patient: str, analyte: str, date: str, value: float, flag: str, unit: str
    ) -> None:
        of_test = self.by_test.get(analyte)
        if of_test is None:
            of_test = self.by_test[analyte] = {}
        series = of_test.get(patient)
        if series is not None:
            series.add(date, value, flag)
        elif len(self.series) < LIMIT:
            series = of_test[patient] = Series(patient, analyte, unit, date, value, flag)
            self.series.append(series)
        else:
            self.truncated = True

    def items(self) -> Iterator[dict[str, Any]]:
        """One object per series with two dates or more, made one at a time."""
        for series in self.series:
            if series.first_date == series.last_date:
                continue
            change = round(series.last_value - series.first_value, 6)
            yield (
                {
                    "patient": series.patient or None,
                    "analyte": series.analyte,
                    "unit": series.unit,
                    "dates": series.dates,
                    "first": {
                        "date": series.first_date,
                        "value": series.first_value,
                        "flag": series.first_flag,
                    },
                    "last": {
                        "date": series.last_date,
                        "value": series.last_value,
                        "flag": series.last_flag,
                    },
                    "change": change,
                    "direction": "up" if change > 0 else "down" if change < 0 else "none",
                    "flag_changed": series.first_flag != series.last_flag,
                }
            )
