"""Companion tables: a patients table (patient id -> sex, birth date or age) and a codes
table (a lab system's code -> test label, perhaps LOINC and unit), read into memory.

Their headers are found as the main file's are (the same CSV source, header names and
column choice); ``joining`` adds their values to the rows of the main file.
"""

from typing import NamedTuple

from b12check.core.refdata import Reference
from b12check.readers.columns import VALUE_CELL, choose_roles
from b12check.readers.layout import HEADER_SEARCH_ROWS, HeaderIndex
from b12check.readers.source import FileProblem, Row, open_source

PATIENT_ROLES = ("sex", "birth_date", "age")
CODE_ROLES = ("test", "loinc", "unit")


class CompanionProblem(Exception):
    """A companion table that cannot be used (one line, naming the file)."""


class Table(NamedTuple):
    path: str
    name: str  # the file's name, for messages
    key_role: str  # the role of its id column: patient, code or loinc
    key_header: str
    roles: dict[str, str]  # role -> the header of its column, for the roles it gives
    rows: dict[str, dict[str, str] | None]  # id -> values by role; None: rows that disagree


def load_patients(path: str, index: HeaderIndex, reference: Reference) -> Table:
    return _load(path, index, reference, ("patient",), PATIENT_ROLES, "a patient id column")


def load_codes(path: str, index: HeaderIndex, reference: Reference) -> Table:
    return _load(path, index, reference, ("code", "loinc"), CODE_ROLES, "a code column")


def _load(
    path: str,
    index: HeaderIndex,
    reference: Reference,
    keys: tuple[str, ...],
    gives: tuple[str, ...],
    needs: str,
) -> Table:
    try:
        source = open_source(path)
    except FileProblem as exc:
        raise CompanionProblem(f"{path}: {exc}") from None
    try:
        rows = source.rows()
        first: list[Row] = []
        for row in rows:
            _check(path, row)
            first.append(row)
            if len(first) >= HEADER_SEARCH_ROWS:
                break
        at, key_role, roles = _header(first, index, reference, keys, gives, path, needs)
        header = first[at]
        width = len(header.cells)
        table: dict[str, dict[str, str] | None] = {}
        for row in [*first[at + 1 :], *rows]:
            _check(path, row)
            if len(row.cells) != width:
                raise CompanionProblem(
                    f"{path}:{row.line}: expected {width} fields, found {len(row.cells)}"
                )
            _add(table, row.cells, roles[key_role], {r: roles[r] for r in gives if r in roles})
    finally:
        source.close()
    headers = {role: header.cells[roles[role]].strip() for role in gives if role in roles}
    name = path.rsplit("/", 1)[-1]
    key_header = header.cells[roles[key_role]].strip()
    return Table(path, name, key_role, key_header, headers, table)


def _check(path: str, row: Row) -> None:
    if row.problem:
        raise CompanionProblem(f"{path}:{row.line}: {row.problem}")


def _header(
    first: list[Row],
    index: HeaderIndex,
    reference: Reference,
    keys: tuple[str, ...],
    gives: tuple[str, ...],
    path: str,
    needs: str,
) -> tuple[int, str, dict[str, int]]:
    for at, row in enumerate(first):
        if any(VALUE_CELL.fullmatch(cell) for cell in row.cells):
            continue
        sample = [r.cells for r in first[at + 1 :] if len(r.cells) == len(row.cells)]
        chosen = choose_roles(row.cells, index.role_of, {}, sample, reference)
        if chosen is None:
            continue
        roles = chosen[0]
        key_role = next((key for key in keys if key in roles), None)
        if key_role is not None and any(role in roles for role in gives):
            return at, key_role, roles
    seen = next((row.cells for row in first if any(c.strip() for c in row.cells)), [])
    shown = ", ".join(repr(c.strip()) for c in seen if c.strip()) or "nothing"
    wanted = " / ".join(gives)
    raise CompanionProblem(
        f"{path}: no header row with {needs} and a {wanted} column found (first row: {shown})"
    )


def _add(
    table: dict[str, dict[str, str] | None],
    cells: list[str],
    key_at: int,
    value_at: dict[str, int],
) -> None:
    key = cells[key_at].strip()
    if not key:
        return
    values = {role: cells[at].strip() for role, at in value_at.items() if cells[at].strip()}
    if key in table and table[key] != values:
        table[key] = None  # two rows of one id that disagree: neither is used
    elif key not in table:
        table[key] = values
