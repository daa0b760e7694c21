"""Which of ``.`` and ``,`` in a number is the decimal separator, and which groups thousands.

``1.250`` is 1.25 in most exports and 1250 in a German one; ``1,450`` is 1450 or 1.45. Where
the reading depends on a separator nobody has settled, the number is refused with every
reading it could have (``AmbiguousNumber``), so that the caller, who knows the test, can say
which one is plausible. Settled by ``--thousands`` (``.``, ``,`` or ``none``), by
``--decimal-comma`` (commas are decimals, so a dot in threes groups thousands), or by the file
itself (``comma_file``: it writes decimals with a comma, so a comma is a decimal there).
"""

from typing import Final, NamedTuple

from b12check.core.errors import ValueProblem
from b12check.core.lazyre import LazyPattern

THOUSANDS_CHOICES: Final = (".", ",", "none")
_GROUPED = LazyPattern(r"[1-9][0-9]{0,2}(?:[.,][0-9]{3})+")  # (one kind of mark: checked)


class Style(NamedTuple):
    """How a run (and the file being read) writes numbers."""

    decimal_comma: bool = False  # --decimal-comma: every comma is a decimal separator
    thousands: str | None = None  # --thousands: '.', ',' or 'none' (no grouping at all)
    comma_file: bool = False  # the file writes decimals with a comma (scan finds out)


class Reading(NamedTuple):
    number: float
    how: str  # e.g. "'.' groups thousands"


class AmbiguousNumber(ValueProblem):
    """A number whose reading depends on an unsettled separator; ``readings`` holds each."""

    def __init__(self, text: str, readings: tuple[Reading, ...], hint: str) -> None:
        self.text = text
        self.readings = readings
        self.hint = hint
        super().__init__(self.describe(""))

    def describe(self, plausible: str) -> str:
        """The message, with ``plausible`` (e.g. "as B12 only 1250 pg/mL is plausible")."""
        if len(self.readings) == 1:
            (only,) = self.readings
            head = f"{self.text!r} is written with thousands grouped ({only.how}: {_n(only)})"
        else:
            options = " or ".join(f"{_n(r)} ({r.how})" for r in self.readings)
            head = f"{self.text!r} is ambiguous: thousands separator or decimal? {options}"
        return head + (f"; {plausible}" if plausible else "") + f"; {self.hint}"


def _n(reading: Reading) -> str:
    from b12check.core.numbers import format_number

    return format_number(reading.number)


def dot_hint() -> str:
    return _hint(".")


def _hint(mark: str) -> str:
    if mark == ".":
        return (
            "pass --thousands . if dots group thousands, or --thousands none if they are decimals"
        )
    return "pass --thousands , if commas group thousands, or --decimal-comma if they are decimals"


def _grouped(mark: str) -> str:
    return f"'{mark}' groups thousands"


def read_mantissa(text: str, style: Style) -> float:
    """The number written as digits with ``.``/``,`` marks (no sign, no exponent)."""
    marks = [c for c in text if c in ".,"]
    if not marks:
        return float(text)
    if len(marks) == 1:
        return _one_mark(text, marks[0], style)
    return _grouped_number(text, marks, style)


def _decimal(text: str, mark: str) -> float:
    return float(text.replace(mark, "."))


def _one_mark(text: str, mark: str, style: Style) -> float:
    if not _GROUPED.fullmatch(text):  # 0,72 or 45.5: the mark can only be a decimal one
        if style.thousands == mark:
            raise ValueProblem(
                f"{text!r} is not grouped in threes, yet --thousands says '{mark}' groups thousands"
            )
        return _decimal(text, mark)
    grouped, decimal = float(text.replace(mark, "")), _decimal(text, mark)
    if style.thousands is not None:
        return grouped if style.thousands == mark else decimal
    if style.decimal_comma or (style.comma_file and mark == ","):
        return decimal if mark == "," else grouped
    if mark == "." and not style.comma_file:
        return decimal  # the usual reading wherever decimals are not written with a comma
    readings = (Reading(decimal, f"'{mark}' as a decimal"), Reading(grouped, _grouped(mark)))
    raise AmbiguousNumber(text, readings, _hint(mark))


def _grouped_number(text: str, marks: list[str], style: Style) -> float:
    """``1.250.000``, ``1.250,5`` or ``1,250.5``: only a grouping reading makes sense."""
    group, last = marks[0], marks[-1]
    whole, point = (text, "") if last == group else text.rsplit(last, 1)
    if (
        any(m != group for m in marks[:-1])
        or not _GROUPED.fullmatch(whole)
        or not point.isdigit()
        and point
    ):
        raise ValueProblem(f"{text!r} is not a number")
    number = float(whole.replace(group, "") + (f".{point}" if point else ""))
    settled = style.thousands == group or (style.decimal_comma and group == "." and last != ".")
    if settled:
        return number
    if style.thousands is not None or style.decimal_comma:
        said = "--decimal-comma" if style.thousands is None else f"--thousands {style.thousands}"
        raise ValueProblem(f"{text!r} groups thousands with '{group}', which {said} rules out")
    hint = f"pass --thousands {group} to read it so"
    if group == ".":
        hint += " (or --decimal-comma)"
    raise AmbiguousNumber(text, (Reading(number, _grouped(group)),), hint)
