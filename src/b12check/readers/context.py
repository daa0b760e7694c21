"""Dates and ages of a row: the collection date as reported, and the person's age on it.

A file's slashed dates are read in the day/month order its first telling date shows (or as
``--date-format`` says); ages come from an age cell, else from a birth date on the collection
date.
"""

from datetime import date as Day

from b12check.core.errors import ValueProblem
from b12check.core.numbers import parse_value
from b12check.readers.dates import age_between, normalise_date, slash_order

MAX_AGE = 130  # years: an older age is a typo
DATES_KEPT = 4096  # date cells remembered per file


class RowDates:
    """Reads the date and age cells of one file's rows (``start_file`` before each file)."""

    def __init__(self, date_format: str | None) -> None:
        self.date_format = date_format
        self.date_order: str | None = None  # 'dmy' or 'mdy' once a date of the file shows it
        # dates read so far, by (cell, order): a birth date comes again on every row
        self._read: dict[tuple[str, str | None], tuple[str, str | None]] = {}

    def start_file(self) -> None:
        self.date_order = None
        self._read = {}

    def learn_date_order(self, text: str) -> None:
        if self.date_order is None:
            self.date_order = slash_order(text)

    def read_date(self, text: str) -> tuple[str, str | None]:
        """A stripped date cell as (date to report, warning or None), letting it settle the
        day/month order of the file first."""
        # (a text read before under the order now in force was learned from already)
        known = self._read.get((text, self.date_order))
        if known is not None:
            return known
        self.learn_date_order(text)
        known = normalise_date(text, self.date_format, self.date_order)
        if len(self._read) >= DATES_KEPT:  # (the newest are kept: a person's rows come together)
            self._read.clear()
        self._read[(text, self.date_order)] = known
        return known

    def age(
        self, age_text: str | None, born_text: str | None, date: str | None
    ) -> tuple[float | None, str | None]:
        """(age, warning): from the row's age cell, else from its birth date on its collection
        date (``date``: ISO, None when missing or unreadable). Cells are stripped, None when
        empty."""
        if age_text:
            return read_age(age_text)
        if not born_text:
            return None, None
        born, warning = self.read_date(born_text)
        if warning:
            return None, f"birth {warning}; no age worked out"
        if date is None:
            return None, "no readable collection date to work out the age from the birth date"
        age = birth_age(Day.fromisoformat(born[:10]), Day.fromisoformat(date[:10]))
        if age is None:
            return None, f"birth date {born_text!r} does not fit the collection date {date}"
        return age, None


def birth_age(born: Day, on: Day) -> float | None:
    """The age on ``on`` of someone born on ``born``; None when the dates do not fit (a
    collection before the birth, or an age over ``MAX_AGE``)."""
    age = age_between(born, on)
    if age is None or age > MAX_AGE:
        return None
    return age


def read_age(text: str) -> tuple[float | None, str | None]:
    """(age, None) from an age cell such as ``42`` or ``42 years``, else (None, warning).

    The number is read by the same strict grammar as results, so ``nan``, ``1_7`` and
    non-ASCII digits (which ``float()`` would take) are not ages.
    """
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    try:
        parsed = parse_value(first)
    except ValueProblem as exc:
        return None, f"age not understood: {exc}; no age used"
    if parsed.comparator or parsed.rest:
        return None, f"age {text!r} not understood; no age used"
    if not 0 <= parsed.number <= MAX_AGE:
        return None, f"age {text!r} is not between 0 and {MAX_AGE}; no age used"
    return parsed.number, None
