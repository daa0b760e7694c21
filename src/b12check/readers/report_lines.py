"""Lines of a lab report's text: what each one is, and the parts of a result line.

A line is a ruling (``+----+``, ``|---|---|``, ``------``), a column header line (made of
the column words of ``data/headers.yaml``), a table row (``| a | b |``: Markdown and grid
tables) or text, whose cells are the runs separated by two or more spaces (columns of a
``pdftotext -layout`` page or a PDF's text layer; tabs are spaces by now). ``read_rest``
reads what follows a test name on a line without column headers: the value (with its
comparator and a flag glued to it), its unit, the lab's range and the lab's flag. Whatever
it cannot place with certainty (a second number, a second test) makes the line doubtful,
never guessed.
"""

from typing import NamedTuple

from b12check.core.lazyre import LazyPattern
from b12check.core.read_number import split_lab_flag
from b12check.core.refdata import Reference
from b12check.readers.report_words import Phrase, PhraseBook

_RULE = LazyPattern(r"\s*[|+]?[\s:|+=-]*[-=]{3,}[\s:|+=-]*")
_GAP = LazyPattern(r"\S+(?: \S+)*")  # a cell: words with single spaces between them
_NUM = r"[0-9]+(?:[.,][0-9]+)*"
_CMP = r"(?:<=|>=|=<|=>|<|>|≤|≥)"
_FLAG = r"(?:HH|LL|H|L|A|AA|CH|CL|\*+|!|↑|↓)"
# a value: comparator, number, a flag glued to it ('415H', '12.5*') or in brackets, then
# the end or a space
VALUE = LazyPattern(
    rf"\s*(?P<value>{_CMP}?\s?{_NUM})(?P<glued>{_FLAG})?(?P<bracket>\s?\({_FLAG}\))?(?=\s|$)"
)
RANGE = LazyPattern(
    rf"\s*\(?(?P<range>{_NUM}\s*(?:-|–|—|to)\s*{_NUM}|{_CMP}\s?{_NUM})\)?(?=\s|$)",
)
_DIGIT = LazyPattern(r"[0-9]")
# the first standalone number of a line: where a test name without cells ends
_FIRST_VALUE = LazyPattern(rf"(?:^|(?<=[\s:]))(?={_CMP}?\s?{_NUM}(?:{_FLAG})?(?:\s|$|\())")


class Cell(NamedTuple):
    start: int
    end: int
    text: str


def is_rule(text: str) -> bool:
    return _RULE.fullmatch(text) is not None


def table_row(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) > 1 and stripped[0] == "|" and stripped[-1] == "|"


def cells_of(text: str) -> list[Cell]:
    """The cells of a line: between the bars of a table row, else runs of text separated by
    two or more spaces (tabs count as such a gap)."""
    if table_row(text):
        inner = text.strip()[1:-1]
        offset = text.index("|") + 1
        found: list[Cell] = []
        for part in inner.split("|"):
            found.append(Cell(offset, offset + len(part), part.strip()))
            offset += len(part) + 1
        return found
    return [Cell(m.start(), m.end(), m.group()) for m in _GAP.compiled.finditer(text)]


class Columns(NamedTuple):
    """A column header line: each column's role and its span of characters."""

    roles: list[str]
    cells: list[Cell]
    table: bool  # from a table row: cells are matched by position, not by place


def header_line(text: str, book: PhraseBook) -> Columns | None:
    """The columns of a line made of column words only, naming the test and a value column."""
    table = table_row(text)
    roles: list[str] = []
    cells: list[Cell] = []
    if table:
        for cell in cells_of(text):
            role = book.role(cell.text) if cell.text else "other"
            if role is None:
                return None
            roles.append(role)
            cells.append(cell)
    else:
        for found in book.find_phrases(text):
            if not isinstance(found, Phrase):
                return None
            roles.append(found.role)
            cells.append(Cell(found.start, found.end, text[found.start : found.end]))
    if "test" not in roles or not {"result", "in_range", "out_of_range"} & set(roles):
        return None
    if len(set(roles) - {"other"}) != len([r for r in roles if r != "other"]):
        return None  # a role twice: not a header b12check can place values under
    return Columns(roles, cells, table)


def place(cells: list[Cell], columns: Columns) -> dict[str, str] | str:
    """The cells of a row by the role of the column each sits under, or why they cannot be
    placed without doubt."""
    if columns.table:
        if len(cells) != len(columns.roles):
            return f"{len(cells)} cells, but the table's header has {len(columns.roles)}"
        return {role: cell.text for role, cell in zip(columns.roles, cells, strict=True)}
    placed: dict[str, str] = {}
    for cell in cells:
        role = _column_of(cell, columns)
        if role is None:
            return f"{cell.text!r} does not sit under any one column of the header"
        if role in placed:
            return f"two entries under the {role.replace('_', ' ')} column"
        placed[role] = cell.text
    return placed


def _column_of(cell: Cell, columns: Columns) -> str | None:
    """The column whose span (from its header to the next header) a cell overlaps most; None
    when it overlaps two about as much (it straddles them)."""
    spans = columns.cells
    overlaps: list[tuple[int, str]] = []
    for index, header in enumerate(spans):
        start = header.start if index else 0
        end = spans[index + 1].start if index + 1 < len(spans) else 1 << 30
        overlap = min(cell.end, end) - max(cell.start, start)
        if overlap > 0:
            overlaps.append((overlap, columns.roles[index]))
    if not overlaps:
        return None
    overlaps.sort(reverse=True)
    if len(overlaps) > 1 and overlaps[1][0] * 3 > overlaps[0][0]:
        return None
    return overlaps[0][1]


class Parts(NamedTuple):
    """What a result line gives; ``doubt`` says why it cannot be read without guessing."""

    value: str | None = None
    unit: str | None = None
    lab_range: str | None = None
    lab_flag: str | None = None
    doubt: str | None = None
    extra: str = ""  # words after the value that are none of these (the reader judges them)


def split_name(text: str) -> tuple[str, str]:
    """A line without columns as (the text before its first standalone number, the rest);
    ``Vitamin B12: 350 pg/mL`` gives ('Vitamin B12', '350 pg/mL')."""
    found = _FIRST_VALUE.search(text)
    if found is None:
        return text.strip().rstrip(":").strip(), ""
    return text[: found.start()].strip().rstrip(":").strip(), text[found.start() :].strip()


def read_value(text: str) -> tuple[str, str | None, str] | None:
    """(value with its comparator, the flag glued to it or None, the text after it), or None
    when ``text`` does not start with a number."""
    match = VALUE.compiled.match(text)
    if match is None:
        return None
    flag = match["glued"] or (match["bracket"].strip()[1:-1] if match["bracket"] else None)
    return " ".join(match["value"].split()), flag, text[match.end() :]


def read_rest(rest: str, reference: Reference) -> Parts:
    """What follows the test name on a line: value, unit, range, flag (in that order, the
    unit and flag may also come after the range)."""
    head = rest.strip()
    lead_flag: str | None = None
    first, _, after = head.partition(" ")
    if first and split_lab_flag(first)[0] == "" and read_value(after) is not None:
        lead_flag, head = first, after  # 'L  150 pg/mL': a flag column before the value
    found = read_value(head)
    if found is None:
        return Parts(doubt="no value right after the test name")
    value, flag, remaining = found
    flag = flag or lead_flag
    unit: str | None = None
    range_unit: str | None = None
    lab_range: str | None = None
    words = remaining.split()
    extra: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        if lab_range is None:
            matched = RANGE.compiled.match(" ".join(words[at:]))
            if matched is not None:
                lab_range = matched["range"]
                at += len(matched.group().split())
                continue
        if reference.unit_code(word) or _unit_like(word):
            if lab_range is None and unit is None:
                unit = word
            elif lab_range is not None and range_unit is None:
                range_unit = word
            else:
                return Parts(doubt=f"more than one unit on the line ({word!r})")
        elif split_lab_flag(word)[0] == "":
            if flag is not None and flag.casefold() != word.strip("()").casefold():
                return Parts(doubt=f"two lab flags on the line ({flag!r} and {word!r})")
            flag = word.strip("()") if word.startswith("(") else word
        elif _DIGIT.search(word):
            return Parts(doubt=f"more than one number on the line ({word!r} besides {value!r})")
        elif reference.identify(word).analyte is not None:
            return Parts(doubt=f"another test ({word!r}) is named on the same line")
        else:
            extra.append(word)
        at += 1
    if lab_range is not None and range_unit is not None:
        lab_range = f"{lab_range} {range_unit}"
    return Parts(value, unit or range_unit, lab_range, flag, None, " ".join(extra))


def _unit_like(word: str) -> bool:
    return "/" in word and not _DIGIT.compiled.match(word) and len(word) <= 16


def read_placed(placed: dict[str, str], reference: Reference, flags: dict[str, str]) -> Parts:
    """The parts of a row placed under column headers (``place``); ``flags``: the lab flag
    a value in the in-range or out-of-range column gets when none is written beside it."""
    for role, text in placed.items():
        if role != "test" and text and not _DIGIT.search(text):
            if reference.identify(text).analyte is not None:
                return Parts(doubt=f"another test ({text!r}) is named on the same line")
    values = [(role, placed.get(role, "")) for role in ("result", "in_range", "out_of_range")]
    filled = [(role, text) for role, text in values if text]
    if len(filled) > 1:
        return Parts(doubt="values in more than one of the result columns")
    if not filled:
        return Parts(doubt="no value under the result column")
    role, text = filled[0]
    found = read_value(text)
    unit = placed.get("unit") or None
    flag = placed.get("lab_flag") or None
    if found is None:
        if _DIGIT.search(text):
            return Parts(doubt=f"the result {text!r} is not one value")
        return Parts(text, unit, placed.get("lab_range") or None, flag)  # 'pending' ...
    value, glued, rest = found
    rest_unit, rest_flag = split_lab_flag(rest)
    if rest_unit and _DIGIT.search(rest_unit):
        return Parts(doubt=f"the result {text!r} is not one value")
    if rest_unit:
        if unit and not reference.same_unit(rest_unit, unit):
            return Parts(doubt=f"the result says {rest_unit!r} but the unit column {unit!r}")
        unit = unit or rest_unit
    written = [f for f in (glued, rest_flag, flag) if f]
    if len({f.strip("()").casefold() for f in written}) > 1:
        return Parts(doubt=f"two lab flags ({' and '.join(written)})")
    chosen = written[0].strip("()") if written else flags.get(role)
    return Parts(value, unit, placed.get("lab_range") or None, chosen, None)
