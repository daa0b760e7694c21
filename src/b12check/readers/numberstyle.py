"""Whether a file writes decimals with a comma, from its delimiter and its first data rows.

A ``;``-separated file (what spreadsheets write where the comma is the decimal mark) or one
whose first rows hold a number that can only be read with a decimal comma (``0,72``,
``45,5``, ``1.250,5``, ``0,70-1,00`` in the lab's range) is a decimal-comma file: there
``1,450`` is 1.45 and ``1.250`` is ambiguous (1.25 or 1250?), an error unless ``--thousands``
or ``--decimal-comma`` settles it (core/separators.py). Only the rows read before the layout
is known count, so that every value of a file is read by the same rule.
"""

from collections.abc import Iterable

from b12check.core.lazyre import LazyPattern

_DECIMAL_COMMA = LazyPattern(
    r"(?<![0-9.,])[+-]?(?:0,[0-9]+|[0-9]+,[0-9]{1,2}|[0-9]+,[0-9]{4,}|[0-9]{4,},[0-9]{3}"
    r"|[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+)(?![0-9.,])"
)


def writes_decimal_commas(delimiter: str | None, cells: Iterable[str]) -> bool:
    """True for a ``;``-separated file, or when a number in ``cells`` (the result and lab
    range cells of the first rows) can only be read with a decimal comma."""
    if delimiter == ";":
        return True
    return any("," in cell and _DECIMAL_COMMA.search(cell) for cell in cells)
