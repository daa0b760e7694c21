"""Collection dates: carried as given, normalised to ISO 8601 only when that is unambiguous."""

import math
import re
import unicodedata
from datetime import date, datetime

from b12check.core.lazyre import LazyPattern

# Digits are ASCII 0-9 only: ``\d`` would also take Arabic-Indic or full-width digits, which
# int() then reads as if they were plain ones.
# A time after a date: 9:12, 09:12:30, 9:12 AM, 21:05:00.123, with a zone (Z, +01:00) after
# an ISO one. It is checked and dropped: a collection date is reported as the day.
_CLOCK = r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.[0-9]{1,9})?)?"
_TIME = rf"(?:(?:\s+|\s*,\s*){_CLOCK}(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?)?\s*"
_Y, _M, _D = r"(?P<y>[0-9]{4})", r"(?P<m>[0-9]{1,2})", r"(?P<d>[0-9]{1,2})"
_NAMED = r"(?P<mon>[A-Za-z]{3,9})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_ISO = LazyPattern(
    rf"{_Y}-{_M}-{_D}(?:[T ]{_CLOCK}(?:\s*(?:Z|[+-][0-9]{{2}}(?::?[0-9]{{2}})?))?)?\s*"
)
_DOTTED = LazyPattern(rf"{_D}\.{_M}\.{_Y}{_TIME}")
_SLASHED = LazyPattern(rf"(?P<a>[0-9]{{1,2}})/(?P<b>[0-9]{{1,2}})/{_Y}{_TIME}")
# 20250304, and HL7's 202503040912(30)
_COMPACT = LazyPattern(
    r"(?P<y>(?:19|20)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"
    r"(?:(?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})?)?"
)
# Mar 4, 2025 9:12 AM; March 4th 2025; 04-Mar-2025; 1 Dec 2024 (English month names)
_MONTH_FIRST = LazyPattern(rf"{_NAMED}\s+{_D}{_ORDINAL},?\s+{_Y}{_TIME}")
_DAY_FIRST = LazyPattern(rf"{_D}{_ORDINAL}(?:\s+|-){_NAMED}(?:\s+|-){_Y}{_TIME}")
_UNAMBIGUOUS = (_ISO, _DOTTED, _COMPACT, _MONTH_FIRST, _DAY_FIRST)
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}


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
    first, second = int(match["a"]), int(match["b"])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def normalise_date(
    text: str, date_format: str | None = None, order: str | None = None
) -> tuple[str, str | None]:
    """Return (date to report, warning or None).

    ISO dates (with or without a time and zone), day-first ``dd.mm.yyyy``, compact
    ``20250304`` (and HL7's ``202503040912``) and English month names (``Mar 4, 2025 9:12
    AM``, ``04-Mar-2025``, ``1 Dec 2024``) become ``YYYY-MM-DD``; a time must be one.
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
    for pattern in _UNAMBIGUOUS:
        match = pattern.fullmatch(stripped)
        if match:
            month = MONTHS.get(match["mon"].casefold()) if "mon" in match.re.groupindex else None
            if month is None and "mon" in match.re.groupindex:
                break  # not a month's name: not a date
            parts = (int(match["y"]), month or int(match["m"]), int(match["d"]))
            return _checked(stripped, match, *parts)
    match = _SLASHED.fullmatch(stripped)
    if match:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        if first > 12 >= second or (order == "dmy" and first <= 12 and second <= 12):
            return _checked(stripped, match, year, second, first)
        if second > 12 >= first or (order == "mdy" and first <= 12 and second <= 12):
            return _checked(stripped, match, year, first, second)
        return stripped, (
            f"date {stripped!r} is ambiguous (day/month or month/day?); "
            "pass --date-format, e.g. %d/%m/%Y"
        )
    foreign = _foreign_digits(stripped)
    if foreign:
        return stripped, foreign
    return stripped, f"date {stripped!r} not understood; pass --date-format to read it"


def _checked(
    stripped: str, match: re.Match[str], year: int, month: int, day: int
) -> tuple[str, str | None]:
    """The ISO date, or the text with a warning when the day or the time cannot be."""
    iso = _build(year, month, day)
    if iso is None:
        return stripped, f"date {stripped!r} is not a valid calendar date"
    if "h" in match.re.groupindex and match["h"] is not None and not _clock_ok(match):
        return stripped, f"date {stripped!r} has a time that cannot be"
    return iso, None


def _clock_ok(match: re.Match[str]) -> bool:
    hour, minute = int(match["h"]), int(match["mi"])
    second = int(match["s"]) if match["s"] else 0
    ampm = match["ampm"] if "ampm" in match.re.groupindex else None
    hours_ok = 1 <= hour <= 12 if ampm else hour <= 23
    return hours_ok and minute <= 59 and second <= 59


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
    """Age in years on ``on_iso`` of someone born on ``born_iso`` (both ``YYYY-MM-DD``), as
    ``age_between`` works it out; None if ``on_iso`` is before the birth."""
    return age_between(date.fromisoformat(born_iso[:10]), date.fromisoformat(on_iso[:10]))


def age_between(born: date, on: date) -> float | None:
    """Age in years on ``on`` of someone born on ``born``: the whole years completed plus the
    share of the current year, rounded down to 0.01, so that a birthday starts the next year
    exactly. None if ``on`` is before the birth."""
    if on < born:
        return None
    year, month, day = born.year, born.month, born.day
    years = on.year - year - (on.month < month or (on.month == month and on.day < day))
    if month == 2 and day == 29:  # (a birthday that most years do not have)
        last, following = _birthday(born, year + years), _birthday(born, year + years + 1)
    else:
        last, following = date(year + years, month, day), date(year + years + 1, month, day)
    start = last.toordinal()
    exact = years + (on.toordinal() - start) / (following.toordinal() - start)
    return math.floor(exact * 100) / 100
