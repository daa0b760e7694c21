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
    distinct dates. Kept flat in one slotted object (up to ``LIMIT`` of them are kept).

    The dates are counted without a set while they are only the first and the last (most
    series): a set is made when a third distinct date comes, capped at ``DATES_LIMIT``.
    """

    __slots__ = (
        "unit",
        "first_date",
        "first_value",
        "first_flag",
        "last_date",
        "last_value",
        "last_flag",
        "others",
    )

    def __init__(self, unit: str, date: str, value: float, flag: str) -> None:
        self.unit = unit
        self.first_date = self.last_date = date
        self.first_value = self.last_value = value
        self.first_flag = self.last_flag = flag
        self.others: set[str] | None = None  # every date seen, once there are over two

    def add(self, date: str, value: float, flag: str) -> None:
        first, last = self.first_date, self.last_date
        if date != first and date != last and (first != last or self.others is not None):
            if self.others is None:  # a third distinct date
                self.others = {first, last}
            if len(self.others) < DATES_LIMIT:
                self.others.add(date)
        if date < first:
            self.first_date, self.first_value, self.first_flag = date, value, flag
        elif date > last:
            self.last_date, self.last_value, self.last_flag = date, value, flag

    @property
    def dates(self) -> int:
        if self.others is not None:
            return len(self.others)
        return 1 if self.first_date == self.last_date else 2


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
        self._dates: dict[str, str] = {}

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
        self._add((patient or "", analyte), self._date(date), value, flag, unit)

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
        who, date = patient or "", self._date(date)
        for analyte, flag, value in exact:
            self._add((who, analyte), date, value, flag, units.get(analyte, ""))

    def _date(self, date: str) -> str:
        """One text per date for all series (each result's date is a text of its own)."""
        if len(self._dates) >= DATES_KEPT:
            self._dates = {}
        return self._dates.setdefault(date, date)

    def _add(self, key: tuple[str, str], date: str, value: float, flag: str, unit: str) -> None:
        series = self.series.get(key)
        if series is not None:
            series.add(date, value, flag)
        elif len(self.series) < LIMIT:
            self.series[key] = Series(unit, date, value, flag)
        else:
            self.truncated = True

    def items(self) -> Iterator[dict[str, Any]]:
        """One object per series with two dates or more, made one at a time."""
        for (patient, analyte), series in self.series.items():
            if series.first_date == series.last_date:
                continue
            change = round(series.last_value - series.first_value, 6)
            yield (
                {
                    "patient": patient or None,
                    "analyte": analyte,
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
