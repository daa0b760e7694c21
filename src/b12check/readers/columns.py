"""Which column takes each role: ``--column ROLE=HEADER`` first, then header names, and where
several columns could take a role, their cells.

A header row can name two columns for one role: ``ID`` (a row number) and ``PID`` (the
patient), or a MyChart export's ``Name`` (the patient's name) beside ``Component`` (the
test). The first data rows decide: the column whose cells are known tests, numbers, dates or
sexes takes the role, and a column of consecutive integers is not the patient. Each choice
keeps its reason, for a notice on stderr and for ``scan --show-layout``.
"""

from collections.abc import Callable, Mapping
from typing import NamedTuple

from b12check.core.errors import ValueProblem
from b12check.core.evaluate import read_sex
from b12check.core.labrange import parse_lab_range
from b12check.core.lazyre import LazyPattern
from b12check.core.names import loinc_code, name_key
from b12check.core.refdata import Reference
from b12check.readers.dates import normalise_date

SAMPLE_ROWS = 30  # data rows below a header sampled to choose between columns
# A cell that reads as a result (a number, perhaps censored, perhaps with a unit): '500', '<5',
# '250 pg/mL', '0,72 mmol/L' — but not '25-OH Vitamin D' or '2025-01-10'.
VALUE_CELL = LazyPattern(r"\s*[<>≤≥]?=?\s*[0-9]+(?:[.,][0-9]+)?\s*(?:[A-Za-zµμ%/]{1,12})?\s*")
_INTEGER = LazyPattern(r"\s*[0-9]{1,12}\s*")
UNIT_LIKE = LazyPattern(r"[^\s/]{1,8}/[^\s/]{1,8}|%")  # 'mU/L', 'IU/mL', '%': a unit we lack


class ColumnNotFound(Exception):
    """``--column ROLE=HEADER`` names a header the file does not have (a usage error)."""


class Choice(NamedTuple):
    position: int
    reason: str  # why this column took the role
    notice: str | None  # said on stderr: the role had several candidates


def _known_test(reference: Reference) -> Callable[[str], bool]:
    def known(cell: str) -> bool:
        try:
            return reference.lookup(cell) is not None or reference.companion(cell) is not None
        except ValueProblem:
            return True  # a refused code names a test, just not one b12check reads
        except ValueError:
            return False

    return known


def _date(cell: str) -> bool:
    return normalise_date(cell)[1] is None


def _predicates(reference: Reference) -> dict[str, tuple[Callable[[str], bool], str]]:
    """Per role: what a cell of the right column looks like, and how to say so."""
    number = (lambda cell: bool(VALUE_CELL.fullmatch(cell)), "numbers")
    date = (_date, "dates")
    return {
        "test": (_known_test(reference), "known tests"),
        "loinc": (lambda cell: loinc_code(cell) is not None, "LOINC codes"),
        "result": number,
        "age": number,
        "lab_low": number,
        "lab_high": number,
        "date": date,
        "birth_date": date,
        "sex": (lambda cell: read_sex(cell) is not None, "sexes"),
        "unit": (
            lambda cell: bool(reference.unit_code(cell) or UNIT_LIKE.fullmatch(cell.strip())),
            "units",
        ),
        "lab_range": (lambda cell: parse_lab_range(cell) is not None, "ranges"),
    }


def consecutive_integers(cells: list[str]) -> bool:
    """1, 2, 3, ...: a row number (two or more cells, each one more than the last)."""
    if len(cells) < 2 or not all(_INTEGER.fullmatch(cell) for cell in cells):
        return False
    numbers = [int(cell) for cell in cells]
    return all(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))


def header_role_candidates(
    cells: list[str], role_of: Mapping[str, str], taken: set[int]
) -> dict[str, list[int]]:
    """Per role, the columns whose header names it (left to right), leaving out ``taken``."""
    found: dict[str, list[int]] = {}
    for position, cell in enumerate(cells):
        role = role_of.get(name_key(cell))
        if role and position not in taken:
            found.setdefault(role, []).append(position)
    return found


def choose_roles(
    cells: list[str],
    role_of: Mapping[str, str],
    overrides: Mapping[str, str],
    sample: list[list[str]],
    reference: Reference,
) -> tuple[dict[str, int], dict[str, Choice]] | None:
    """Each role's column in the header row ``cells``; None when an override's header is
    not in it. ``sample``: data rows below it."""
    keys = [name_key(cell) for cell in cells]
    choices: dict[str, Choice] = {}
    for role, header in overrides.items():
        key = name_key(header)
        if key not in keys:
            return None
        choices[role] = Choice(keys.index(key), f"--column {role}={header}", None)
    taken = {choice.position for choice in choices.values()}
    candidates = header_role_candidates(cells, role_of, taken)
    predicates = _predicates(reference)
    for role, positions in candidates.items():
        if role in choices:
            continue
        column = [[row[p].strip() for row in sample if p < len(row)] for p in positions]
        choices[role] = _pick(role, positions, column, cells, predicates.get(role))
    return {role: choice.position for role, choice in choices.items()}, choices


def _pick(
    role: str,
    positions: list[int],
    columns: list[list[str]],
    headers: list[str],
    predicate: tuple[Callable[[str], bool], str] | None,
) -> Choice:
    name = headers[positions[0]].strip()
    if len(positions) == 1:
        return Choice(positions[0], f"header {name!r} names the {role}", None)
    scores: list[tuple[int, int]] = []  # (cells that fit, cells sampled)
    for filled in ([cell for cell in column if cell] for column in columns):
        if role == "patient":
            scores.append((0 if consecutive_integers(filled) else len(filled), len(filled)))
        elif predicate is not None:
            scores.append((sum(1 for cell in filled if predicate[0](cell)), len(filled)))
        else:
            scores.append((0, len(filled)))
    rates = [fit / total if total else 0.0 for fit, total in scores]
    best = max(range(len(positions)), key=lambda i: (rates[i], -i))
    chosen = headers[positions[best]].strip()
    others = [headers[p].strip() for i, p in enumerate(positions) if i != best]
    if role == "patient":
        held = "holds" if len(others) == 1 else "hold"
        why = (
            f"{', '.join(map(repr, others))} {held} consecutive row numbers"
            if rates[best]
            else "the first of them"
        )
    elif predicate is not None and rates[best]:
        described = ", ".join(
            f"{headers[p].strip()!r} {scores[i][0]} of {scores[i][1]}"
            for i, p in enumerate(positions)
        )
        why = f"sampled cells that are {predicate[1]}: {described}"
    else:
        why = "the first of them (their cells do not tell them apart)"
    reason = f"column {chosen!r} rather than {', '.join(map(repr, others))}: {why}"
    return Choice(positions[best], reason, f"{role} read from {reason}")
