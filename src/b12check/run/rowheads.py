"""The row cache's reading of a row's own fields (run/rowcache.py): its patient, date and age as
the full path reads them, rendered by the writer, and the age key the core defines
(``core.depends.AgeKeys``) — or None when the full path would give the row's date or age a
warning (that row then goes the full path).

Dates, the last birth date and ages are kept per file within bounds (``DATE_LIMIT``,
``AGE_LIMIT``); an age from a birth date is worked out by the full path's own rule
(readers/context.birth_age).
"""

from collections.abc import Hashable
from datetime import date as Day

from b12check.core.depends import AgeKeys
from b12check.core.evaluate import Settings
from b12check.readers.context import birth_age
from b12check.readers.routing import RowReader
from b12check.render.base import LineFormat

DATE_LIMIT = 4096  # date cells remembered per file
AGE_LIMIT = 4096  # ages (to 0.01 year) remembered per file, rendered and as age keys
# What the row's own fields look like: (patient, ISO date, patient text, date text, age
# text, age key).
Head = tuple[str | None, str | None, str, str, str, Hashable]
Dated = tuple[str | None, str, Day | None]  # (ISO date, rendered, the day)


class RowHeads:
    """Reads the own fields of one file's rows (one per file: what it keeps is that file's)."""

    def __init__(
        self,
        fmt: LineFormat,
        settings: Settings,
        reader: RowReader,
        roles: dict[str, int],
        age_keys: AgeKeys,
    ) -> None:
        self.fmt, self.settings, self.reader, self.age_keys = fmt, settings, reader, age_keys
        self.none_text = fmt.text(None)
        self.patient_at, self.date_at = roles.get("patient", -1), roles.get("date", -1)
        self.age_at, self.born_at = roles.get("age", -1), roles.get("birth_date", -1)
        # without age or birth date cells, every row has the run's age (--age or none)
        self.ages_vary = self.age_at >= 0 or self.born_at >= 0
        age = settings.age
        self.run_age = (self.none_text if age is None else fmt.number(age), age_keys.key(age))
        self.dates: dict[str, Dated] = {}
        self.no_date: Dated = (None, self.none_text, None)
        self.born: tuple[str, Day] = ("", Day.min)  # the last birth date cell read
        self.ages: dict[float | None, tuple[str, Hashable]] = {}

    def read(self, cells: list[str]) -> Head | None:
        """The row's head; None when its date or age carries a warning."""
        fmt = self.fmt
        patient = cells[self.patient_at].strip() or None if self.patient_at >= 0 else None
        date_text = cells[self.date_at].strip() if self.date_at >= 0 else ""
        date = (self.dates.get(date_text) or self._date(date_text)) if date_text else self.no_date
        if date is None:
            return None
        if not self.ages_vary:
            age_text, age_key = self.run_age
            return (patient, date[0], fmt.text(patient), date[1], age_text, age_key)
        age_cell = cells[self.age_at].strip() or None if self.age_at >= 0 else None
        born = cells[self.born_at].strip() if self.born_at >= 0 else ""
        if age_cell is None and born:
            age = self._birth_age(born, date[2])
            if age is None:
                return None
        else:
            age, warning = self.reader.dates.age(age_cell, None, date[0])
            if warning:
                return None
            if age is None:
                age = self.settings.age
        known = self.ages.get(age)
        if known is None:
            known = (self.none_text if age is None else fmt.number(age), self.age_keys.key(age))
            if len(self.ages) < AGE_LIMIT:
                self.ages[age] = known
        return (patient, date[0], fmt.text(patient), date[1], known[0], known[1])

    def _birth_age(self, text: str, on: Day | None) -> float | None:
        """The age from a stripped, filled birth date cell on the collection day, worked out
        by the full path's own rule; None when the full path would give the row's age a
        warning. The last birth date read is kept: a person's rows come together."""
        born = self.born
        if born[0] != text:
            iso, warning = self.reader.dates.read_date(text)
            if warning:
                return None
            born = self.born = (text, Day.fromisoformat(iso[:10]))
        return None if on is None else birth_age(born[1], on)

    def _date(self, text: str) -> Dated | None:
        """(ISO date, rendered, the day) for a stripped date cell, None when it carries a
        warning."""
        iso, warning = self.reader.dates.read_date(text)
        if warning:
            return None
        known = (iso, self.fmt.text(iso), Day.fromisoformat(iso[:10]))
        if len(self.dates) < DATE_LIMIT:
            self.dates[text] = known
        return known
