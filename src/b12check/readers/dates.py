"""Collection dates: carried as given, normalised to ISO 8601 only when that is unambiguous."""

import math
import unicodedata
from datetime import date, datetime

from b12check.core.lazyre import LazyPattern

# Digits are ASCII 0-9 only: ``\d`` would also take Arabic-Indic or full-width digits, which
# int() then reads as if they were plain ones.
_ISO = LazyPattern(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?\s*"
)
_DOTTED = LazyPattern(
    r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?:\s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?\s*"
)
_SLASHED = LazyPattern(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:\s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?\s*"
)


def _build(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def slash_order(text: str) -> str | None:
    """'dmy' or 'mdy' when a d/m/y date shows its order (one part over 12), else None."""
    match = _SLASHED.fullmatch(text.strip())
    if not match:
        return None
    first, second = int(match[1]), int(match[2])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def normalise_date(
    text: str, date_format: str | None = None, order: str | None = None
) -> tuple[str, str | None]:
    """Return (date to report, warning or None).

    ISO dates (with or without a time), and day-first ``dd.mm.yyyy`` become ``YYYY-MM-DD``.
    ``03/04/2024`` is ambiguous unless one part is over 12, another date of the same file
    settled the order (``order``: 'dmy' or 'mdy'), or ``--date-format`` settles it.
    A date that cannot be read keeps its text and gets a warning; the value is still read.
    """
    stripped = text.strip()
    if date_format:
        foreign = _foreign_digits(stripped)
        if foreign:
            return stripped, foreign
        try:
            return datetime.strptime(stripped, date_format).date().isoformat(), None
        except ValueError:
            return stripped, f"date {stripped!r} does not match --date-format {date_format!r}"
    for pattern, parts_order in ((_ISO, "ymd"), (_DOTTED, "dmy")):
        match = pattern.fullmatch(stripped)
        if match:
            parts = dict(
                zip(parts_order, (int(match[1]), int(match[2]), int(match[3])), strict=True)
            )
            iso = _build(parts["y"], parts["m"], parts["d"])
            if iso is None:
                return stripped, f"date {stripped!r} is not a valid calendar date"
            return iso, None
    match = _SLASHED.fullmatch(stripped)
    if match:
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        if first > 12 >= second or (order == "dmy" and first <= 12 and second <= 12):
            iso = _build(year, second, first)
        elif second > 12 >= first or (order == "mdy" and first <= 12 and second <= 12):
            iso = _build(year, first, second)
        else:
            return stripped, (
                f"date {stripped!r} is ambiguous (day/month or month/day?); "
                "pass --date-format, e.g. %d/%m/%Y"
            )
        if iso is None:
            return stripped, f"date {stripped!r} is not a valid calendar date"
        return iso, None
    foreign = _foreign_digits(stripped)
    if foreign:
        return stripped, foreign
    return stripped, f"date {stripped!r} not understood; pass --date-format to read it"


def _foreign_digits(stripped: str) -> str | None:
    """The warning for a date written with non-ASCII digits (which strptime's ``%Y`` and
    int() would read as plain ones), else None."""
    if stripped.isascii():
        return None
    digit = next((c for c in stripped if c.isdigit() and not c.isascii()), None)
    if digit is None:
        return None
    return (
        f"date {stripped!r} contains non-ASCII digits ({unicodedata.name(digit, '?')}); "
        "write it with 0-9"
    )


def _birthday(born: date, year: int) -> date:
    """The birthday in ``year`` (29 February counts as 28 February in other years)."""
    try:
        return born.replace(year=year)
    except ValueError:
        return born.replace(year=year, day=28)


def age_on(born_iso: str, on_iso: str) -> float | None:
    """Age in years on ``on_iso`` of someone born on ``born_iso`` (both ``YYYY-MM-DD``): the
    whole years completed plus the share of the current year, rounded down to 0.01, so that
    a birthday starts the next year exactly. None if ``on_iso`` is before the birth."""
    born, on = date.fromisoformat(born_iso[:10]), date.fromisoformat(on_iso[:10])
    if on < born:
        return None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    last, following = _birthday(born, born.year + years), _birthday(born, born.year + years + 1)
    exact = years + (on - last).days / (following - last).days
    return math.floor(exact * 100) / 100
