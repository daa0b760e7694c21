"""Trends: the same test for the same patient on several dates.

Kept as the first and last point per (patient, test), so memory grows with the number of
patients, not rows, and is capped at ``LIMIT`` series (the output says when it was reached).
"""

from typing import Any

LIMIT = 50_000


class Point:
    __slots__ = ("date", "value", "flag")

    def __init__(self, date: str, value: float, flag: str) -> None:
        self.date = date
        self.value = value
        self.flag = flag


class Series:
    __slots__ = ("unit", "first", "last", "dates")

    def __init__(self, unit: str, point: Point) -> None:
        self.unit = unit
        self.first = point
        self.last = point
        self.dates = {point.date}

    def add(self, point: Point) -> None:
        if len(self.dates) < 1000:
            self.dates.add(point.date)
        if point.date < self.first.date:
            self.first = point
        elif point.date > self.last.date:
            self.last = point


class Trends:
    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}
        self.truncated = False

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
        key = (patient or "", analyte)
        series = self.series.get(key)
        point = Point(date, value, flag)
        if series is not None:
            series.add(point)
        elif len(self.series) < LIMIT:
            self.series[key] = Series(unit, point)
        else:
            self.truncated = True

    def as_list(self) -> list[dict[str, Any]]:
        out = []
        for (patient, analyte), series in self.series.items():
            if series.first.date == series.last.date:
                continue
            change = round(series.last.value - series.first.value, 6)
            out.append(
                {
                    "patient": patient or None,
                    "analyte": analyte,
                    "unit": series.unit,
                    "dates": len(series.dates),
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
        return out
