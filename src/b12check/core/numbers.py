"""Strict reading of result text: comparator, number, and whatever follows.

Only plain ASCII decimals are numbers here. Python's ``float()`` would also take ``nan``,
``inf``, ``1_000`` and non-ASCII digits, and ``bisect`` would put a NaN in the top band, so
every value goes through this grammar before it can reach a band.
"""

import math
import re
import unicodedata
from typing import Final, NamedTuple

from b12check.core.errors import ValueProblem
from b12check.core.lazyre import LazyPattern
from b12check.core.separators import Style, read_mantissa

COMPARATORS: Final = {
    "<": "<",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    ">": ">",
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
}

# Comparators some labs write as words ("GREATER THAN 2000"), matched without regard to case.
COMPARATOR_WORDS: Final = {
    "greater than or equal to": ">=",
    "less than or equal to": "<=",
    "greater than": ">",
    "more than": ">",
    "less than": "<",
    "above": ">",
    "below": "<",
}

_VALUE = LazyPattern(
    r"\s*(?P<cmp><=|>=|=<|=>|<|>|≤|≥)?\s*"
    r"(?P<num>(?P<sign>[+-]?)(?P<mantissa>[0-9]+(?:[.,][0-9]+)*|[.,][0-9]+)"
    r"(?P<exp>[eE][+-]?[0-9]+)?)"
    r"(?P<rest>.*)",
    re.DOTALL,
)
_WORD = LazyPattern(
    r"\s*(?P<word>" + "|".join(w.replace(" ", r"\s+") for w in COMPARATOR_WORDS) + r")\s+",
    re.IGNORECASE,
)
_INTERVAL = LazyPattern(
    r"\s*(?P<open>[\[(])\s*(?P<low>[^,\s]*)\s*,\s*(?P<high>[^,\s\])]*)\s*(?P<close>[\])])\s*"
)
_PLAIN_NUMBER = LazyPattern(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class ParsedValue(NamedTuple):
    comparator: str  # "" when the value is exact
    number: float
    number_text: str
    rest: str  # text after the number (unit, lab flag), stripped


def _why_not_a_number(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return "no result given"
    lowered = stripped.casefold()
    if lowered.lstrip("+-") in {"nan", "inf", "infinity"}:
        return f"{stripped!r} is not a finite number"
    if "\u2212" in stripped:
        return f"{stripped!r} uses a Unicode minus sign; type a plain '-'"
    if "_" in stripped and any(c.isdigit() for c in stripped):
        return f"{stripped!r} uses '_' as a digit separator; write plain digits"
    for char in stripped:
        if char.isdigit() and not char.isascii():
            return f"{stripped!r} contains non-ASCII digits ({unicodedata.name(char, '?')})"
    return f"{stripped!r} is not a number"


def parse_value(
    text: str, *, decimal_comma: bool = False, style: Style | None = None
) -> ParsedValue:
    """Split ``"<= 5,5 ng/mL"`` (or ``"GREATER THAN 2000"``) into comparator, number and the
    remaining text.

    A comma or dot is a decimal separator (``0,72``, ``45.5``) where it can be nothing else;
    where it could group thousands (``1,450``; ``1.250`` in a file that writes decimal commas;
    ``1.250,5``) the number is an ``AmbiguousNumber`` unless ``style`` (or ``decimal_comma``)
    settles it (separators.py).
    """
    original = text
    word = _WORD.compiled.match(text) if text.lstrip()[:1].isalpha() else None
    word_comparator = ""
    if word is not None and _VALUE.fullmatch(text[word.end() :]) is not None:
        word_comparator = COMPARATOR_WORDS[" ".join(word["word"].casefold().split())]
        text = text[word.end() :]
    match = _VALUE.fullmatch(text)
    if match is None:
        raise ValueProblem(_why_not_a_number(text))
    rest = match["rest"]
    if rest[:1].isdigit() or rest[:1] in {",", ".", "_"}:
        raise ValueProblem(_why_not_a_number(text))
    if word_comparator and match["cmp"]:
        raise ValueProblem(f"{original.strip()!r} has two comparators")
    chosen = style or Style(decimal_comma=decimal_comma)
    mantissa = match["mantissa"]
    if match["exp"] and sum(mantissa.count(m) for m in ".,") > 1:
        raise ValueProblem(_why_not_a_number(text))
    if match["exp"]:  # 1,5e3: the mark can only be a decimal one
        number = float(match["sign"] + mantissa.replace(",", ".") + match["exp"])
    else:
        number = read_mantissa(mantissa, chosen)
        number = -number if match["sign"] == "-" else number
    if not math.isfinite(number):
        raise ValueProblem(f"{text.strip()!r} overflows: it is not a finite number")
    comparator = word_comparator or (COMPARATORS[match["cmp"]] if match["cmp"] else "")
    return ParsedValue(comparator, number, match["num"], rest.strip())


def parse_plain_number(text: str) -> float:
    """A number written in a data file: ASCII decimal with optional exponent, and finite."""
    stripped = text.strip()
    if not _PLAIN_NUMBER.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a plain decimal number")
    number = float(stripped)
    if not math.isfinite(number):
        raise ValueError(f"{stripped!r} overflows: it is not a finite number")
    return number


class Interval(NamedTuple):
    """An interval of the real line; ``None`` ends are unbounded."""

    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool

    def contains(self, value: float) -> bool:
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    def __str__(self) -> str:
        return format_interval(self)


def format_number(value: float) -> str:
    """Shortest faithful text for a number: 180.0 -> '180', 0.7 -> '0.7'."""
    text = repr(value)
    if "e" in text or "E" in text:
        return f"{value:.6g}"
    return text[:-2] if text.endswith(".0") else text


def format_interval(interval: Interval) -> str:
    low = "" if interval.low is None else format_number(interval.low)
    high = "" if interval.high is None else format_number(interval.high)
    opening = "[" if interval.low_inclusive else "("
    closing = "]" if interval.high_inclusive else ")"
    return f"{opening}{low}, {high}{closing}"


def parse_interval(text: str) -> Interval:
    """Read ``"[180, 350)"``-style interval notation; an empty end is unbounded."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an interval like '[180, 350)' or '(, 12)'")
    low = parse_plain_number(match["low"]) if match["low"] else None
    high = parse_plain_number(match["high"]) if match["high"] else None
    low_inclusive = match["open"] == "["
    high_inclusive = match["close"] == "]"
    if (low is None and low_inclusive) or (high is None and high_inclusive):
        raise ValueError(f"{text!r}: an unbounded end must use '(' or ')'")
    if (
        low is not None
        and high is not None
        and (low > high or (low == high and not (low_inclusive and high_inclusive)))
    ):
        raise ValueError(f"{text!r}: the lower bound is not below the upper bound")
    return Interval(low, high, low_inclusive, high_inclusive)
