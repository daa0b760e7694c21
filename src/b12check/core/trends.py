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


class Point:
    __slots__ = ("date", "value", "flag")

    def __init__(self, date: str, value: float, flag: str) -> None:
        self.date = date
        self.value = value
        self.flag = flag


class Series:
    """First and last point of one test for one patient, and how many distinct dates.

    The dates are counted without a set while they are only the first and the last (most
    series): a set is made when a third distinct date comes, capped at ``DATES_LIMIT``.
    """

    __slots__ = ("unit", "first", "last", "others")

    def __init__(self, unit: str, point: Point) -> None:
        self.unit = unit
        self.first = point
        self.last = point
        self.others: set[str] | None = None  # every date seen, once there are over two

    def add(self, point: Point) -> None:
        date, first, last = point.date, self.first.date, self.last.date
        if date != first and date != last and (first != last or self.others is not None):
            if self.others is None:  # a third distinct date
                self.others = {first, last}
            if len(self.others) < DATES_LIMIT:
                self.others.add(date)
        if date < self.first.date:
            self.first = point
        elif date > self.last.date:
            self.last = point

    @property
    def dates(self) -> int:
        if self.others is not None:
            return len(self.others)
        return 1 if self.first.date == self.last.date else 2


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
        self.series: dict[tuple[str, str], Series] = {}
        self.truncated = False
        self.undated = 0  # results left out because their date was not understood

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
        self._add((patient or "", analyte), Point(date, value, flag), unit)

    def add_results(
        self,
        patient: str | None,
        date: str | None,
        results: Iterable[tuple[str, str, float | None, str | None]],
        units: Mapping[str, str],
    ) -> None:
        """``add`` for each exact result (analyte, flag, value, comparator) of one patient on
        one date; censored ones are left out, as a trend has no point for them."""
        exact = [(a, f, v) for a, f, v, cmp in results if not cmp and a and f and v is not None]
        if not exact or not date:
            return
        if not is_iso_date(date):
            self.undated += len(exact)
            return
        who = patient or ""
        for analyte, flag, value in exact:
            self._add((who, analyte), Point(date, value, flag), units.get(analyte, ""))

    def _add(self, key: tuple[str, str], point: Point, unit: str) -> None:
        series = self.series.get(key)
        if series is not None:
            series.add(point)
        elif len(self.series) < LIMIT:
            self.series[key] = Series(unit, point)
        else:
            self.truncated = True

    def items(self) -> Iterator[dict[str, Any]]:
        """One object per series with two dates or more, made one at a time."""
        for (patient, analyte), series in self.series.items():
            if series.first.date == series.last.date:
                continue
            change = round(series.last.value - series.first.value, 6)
            yield (
                {
                    "patient": patient or None,
                    "analyte": analyte,
                    "unit": series.unit,
                    "dates": series.dates,
                    "first": {
                        "date": series.first.date,
                        "value": series.first.value,
                        "flag": series.first.flag,
                    },
                    "last": {
                        "date": series.last.date,
                        "value": series.last.value,
                        "flag": series.last.flag,
                    },
                    "change": change,
                    "direction": "up" if change > 0 else "down" if change < 0 else "none",
                    "flag_changed": series.first.flag != series.last.flag,
                }
            )
