"""``--events FILE``: the patient's own dated notes ("started B12 supplement"), drawn on the
trend charts of the HTML report and listed under them.

A small CSV file of ``date,text`` rows, with an optional header line ``date,text`` (or
``date,text,patient`` to tie an event to one patient of the page). Dates are ISO
(``2025-03-14``) only, so no day and month are ever swapped. Every row that cannot be used is
reported as ``FILE:LINE: reason``; none is dropped quietly.
"""

import csv
import io
from datetime import date
from typing import NamedTuple

from b12check.core.errors import ConfigError

MAX_EVENTS = 500  # rows; more is not a patient's notebook
MAX_TEXT = 300  # characters of one event's text
MAX_PROBLEMS = 20  # problem lines reported (with a count of the rest)
TEXT_COLUMNS = ("text", "event", "description", "note")


class Event(NamedTuple):
    date: str  # ISO 8601 day
    text: str
    patient: str | None = None  # None: every patient on the page


def _columns(header: list[str]) -> tuple[int, int, int | None] | None:
    """(date, text, patient) column positions if ``header`` is a header line, else None."""
    names = [cell.strip().lower() for cell in header]
    if not names or names[0].lstrip("\ufeff") != "date":
        return None
    text = next((i for i, name in enumerate(names) if name in TEXT_COLUMNS), None)
    patient = names.index("patient") if "patient" in names else None
    if text is None:
        return None
    return 0, text, patient


def _event(row: list[str], columns: tuple[int, int, int | None]) -> Event | str:
    """The event of one row, or why it cannot be used."""
    at_date, at_text, at_patient = columns
    wanted = 1 + max(at_text, at_patient or 0)
    if len(row) != wanted:
        return (
            f"expected {wanted} fields (date,text{',patient' if at_patient else ''}), "
            f"found {len(row)}; quote a text that holds a comma"
        )
    day = row[at_date].strip()
    try:
        if len(day) != 10:
            raise ValueError
        date.fromisoformat(day)
    except ValueError:
        return f"{day!r} is not a date written YYYY-MM-DD"
    text = row[at_text].strip()
    if not text:
        return "the event has no text"
    if len(text) > MAX_TEXT:
        return f"the text is longer than {MAX_TEXT} characters"
    patient = row[at_patient].strip() or None if at_patient is not None else None
    return Event(day, text, patient)


def read_events(path: str, text: str) -> list[Event]:
    """The events in ``text`` (the content of ``path``), in date order; ConfigError listing
    every ``FILE:LINE: reason`` when any row cannot be used."""
    events: list[Event] = []
    problems: list[str] = []
    columns: tuple[int, int, int | None] = (0, 1, None)
    first = True  # the first line with anything on it may be a header
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            problems.append(f"{path}:{reader.line_num}: {exc}")
            break
        if row is None:
            break
        number = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if first:
            first = False
            found = _columns(row)
            if found is not None:
                columns = found
                continue
        event = _event(row, columns)
        if isinstance(event, str):
            problems.append(f"{path}:{number}: {event}")
        elif len(events) >= MAX_EVENTS:
            problems.append(f"{path}:{number}: more than {MAX_EVENTS} events")
            break
        else:
            events.append(event)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"{path}: … and {len(problems) - MAX_PROBLEMS} more rows not used")
        raise ConfigError(shown)
    return sorted(events, key=lambda event: event.date)


def load_events(path: str) -> list[Event]:
    """Read the events file at ``path`` (UTF-8, with or without a BOM)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(1_000_001)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the events file ({exc.strerror})"]) from None
    if len(raw) > 1_000_000:
        raise ConfigError([f"{path}: an events file over 1 MB is not a list of events"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    return read_events(path, text)
