"""Finding the header row of an export and what each column holds.

Two layouts are recognised without being told:
- long: one value per row, with a result column and a test (or LOINC) column;
- wide: one row per patient or visit, a column per test, the unit in the header
  (``B12 (pg/mL)``, ``Vitamin D [nmol/L]``, ``ferritin_ng_ml``) or in a units row below it.
Title or note lines above the header are passed over. Header names come from the data file
``data/headers.yaml``; ``--column ROLE=HEADER`` and ``--layout`` override detection.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

from b12check.core.lazyre import LazyPattern
from b12check.core.names import name_key
from b12check.core.refdata import Analyte, Reference
from b12check.readers.columns import (
    SAMPLE_ROWS,
    UNIT_LIKE,
    VALUE_CELL,
    Choice,
    ColumnNotFound,
    choose_roles,
)

HEADER_SEARCH_ROWS = 50
_BRACKETED_UNIT = LazyPattern(r"(?P<name>.*?)\s*[(\[]\s*(?P<unit>[^)\]]+?)\s*[)\]]\s*")
_SPLIT = LazyPattern(r"[_\s]+")


class LayoutProblem(Exception):
    """The file has no header row b12check can use (one line, no file name)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class TestColumn(NamedTuple):
    position: int
    header: str
    analyte: Analyte | None  # None: a test b12check does not cover (its cells are skipped)
    unit: str | None  # the unit text from the header or the units row


class Layout:
    """Where the header is and what each column holds."""

    __slots__ = (
        "kind",
        "header_line",
        "headers",
        "roles",
        "tests",
        "choices",
        "file_width",
        "read_through",
    )

    def __init__(
        self,
        kind: str,
        header_line: int,
        headers: list[str],
        roles: dict[str, int],
        tests: list[TestColumn] | None = None,
        choices: dict[str, Choice] | None = None,
    ) -> None:
        self.kind = kind  # "long" or "wide"
        self.header_line = header_line
        self.headers = headers
        self.roles = roles
        self.tests: list[TestColumn] = tests or []
        self.choices: dict[str, Choice] = choices or {}  # why each role took its column
        self.file_width = len(headers)  # the file's own columns (joined ones come after)
        self.read_through: set[int] = set()  # own columns read through a joined cell

    @property
    def width(self) -> int:
        return len(self.headers)


class HeaderIndex:
    """Header alias lookup built from the headers data file."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.role_of: dict[str, str] = {}
        for role, names in data["roles"].items():
            for name in names:
                self.role_of.setdefault(name_key(name), role)
        self.non_results: dict[str, str] = {
            text.casefold(): reason for text, reason in data.get("non_results", {}).items()
        }


def split_test_header(header: str, reference: Reference) -> tuple[Analyte | None, str | None]:
    """'B12 (pg/mL)' -> (b12, 'pg/mL'); 'ferritin_ng_ml' -> (ferritin, 'ng/ml')."""
    text = header.strip()
    match = _BRACKETED_UNIT.fullmatch(text)
    if match and (reference.unit_code(match["unit"]) or UNIT_LIKE.fullmatch(match["unit"])):
        return _safe_lookup(reference, match["name"]), match["unit"]
    analyte = _safe_lookup(reference, text)
    if analyte is not None:
        return analyte, None
    tokens = [t for t in _SPLIT.split(text) if t]
    for size in (2, 3, 1):
        if len(tokens) > size:
            unit = "/".join(tokens[-size:])
            if reference.unit_code(unit):
                return _safe_lookup(reference, " ".join(tokens[:-size])), unit
    return None, None


def _safe_lookup(reference: Reference, text: str) -> Analyte | None:
    try:
        return reference.lookup(text)
    except ValueError:
        return None


def _wide_columns(
    cells: list[str], roles: dict[str, int], reference: Reference
) -> list[TestColumn]:
    taken = set(roles.values())
    columns = []
    for position, cell in enumerate(cells):
        if position in taken or not cell.strip():
            continue
        analyte, unit = split_test_header(cell, reference)
        if analyte is not None or unit is not None:
            columns.append(TestColumn(position, cell.strip(), analyte, unit))
    return columns


def _duplicates(cells: list[str], important: set[int]) -> str | None:
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = name_key(cell)
        if not key:
            continue
        if key in seen and (position in important or seen[key] in important):
            return (
                f"column {cell.strip()!r} appears twice (columns {seen[key] + 1} and "
                f"{position + 1}); rename one, or choose one with --column"
            )
        seen.setdefault(key, position)
    return None


def find_layout(
    first_rows: list[tuple[int, list[str]]],
    reference: Reference,
    index: HeaderIndex,
    *,
    overrides: Mapping[str, str],
    forced: str | None,
    code_names_test: bool = False,
) -> Layout:
    """Pick the header among the first rows (line, cells) and describe the columns.
    ``code_names_test``: a code column (joined to a codes table) names the test."""
    rows = first_rows[:HEADER_SEARCH_ROWS]
    for number, (line, cells) in enumerate(rows):
        if any(VALUE_CELL.fullmatch(cell) for cell in cells):
            continue  # a header names columns; a row holding numbers is data or a note
        sample = [c for _, c in rows[number + 1 : number + 1 + SAMPLE_ROWS] if len(c) == len(cells)]
        chosen = choose_roles(cells, index.role_of, overrides, sample, reference)
        if chosen is None:
            continue  # an override names a header this row does not have
        roles, choices = chosen
        names_test = "test" in roles or "loinc" in roles or (code_names_test and "code" in roles)
        is_long = "result" in roles and names_test
        tests = [] if is_long else _wide_columns(cells, roles, reference)
        covered = any(column.analyte is not None for column in tests)
        if forced == "wide" and not covered:
            continue
        if (forced in (None, "long") and is_long) or (forced in (None, "wide") and covered):
            kind = "long" if is_long and forced != "wide" else "wide"
            if kind == "wide":
                tests = tests or _wide_columns(cells, roles, reference)
            important = set(roles.values()) | {c.position for c in tests}
            problem = _duplicates(cells, important)
            if problem:
                raise LayoutProblem(problem, line)
            return Layout(kind, line, cells, roles, tests, choices)
    missing = _missing_override(first_rows, reference, index, overrides, forced)
    if missing:
        raise ColumnNotFound(missing)
    seen = next((cells for _, cells in first_rows if any(c.strip() for c in cells)), [])
    shown = ", ".join(repr(c.strip()) for c in seen[:12] if c.strip()) or "nothing"
    raise LayoutProblem(
        f"no header row found (first row: {shown}); name the columns with "
        "--column test=HEADER --column result=HEADER (long layout) or use --layout wide "
        "with tests as column headers"
    )


def _missing_override(
    first_rows: list[tuple[int, list[str]]],
    reference: Reference,
    index: HeaderIndex,
    overrides: Mapping[str, str],
    forced: str | None,
) -> str | None:
    """What to say when a header ``--column`` names is in no header row (None: each is)."""
    if not overrides:
        return None
    try:
        layout = find_layout(first_rows, reference, index, overrides={}, forced=forced)
        line, seen = layout.header_line, layout.headers
    except LayoutProblem:
        line, seen = next(
            ((n, cells) for n, cells in first_rows if any(c.strip() for c in cells)), (0, [])
        )
    keys = {name_key(cell) for cell in seen}
    missing = [
        f"{role}={header}" for role, header in overrides.items() if name_key(header) not in keys
    ]
    if not missing:
        return None
    shown = ", ".join(repr(c.strip()) for c in seen if c.strip()) or "none"
    what = ", ".join(f"--column {item}" for item in missing)
    return f"{what}: no such column (headers seen on line {line}: {shown})"


def units_row(cells: list[str], layout: Layout, reference: Reference) -> list[TestColumn] | None:
    """If ``cells`` is a units row under a wide header, the test columns with their units:
    a column whose header names no covered test but which has a unit in this row is a test
    too (one b12check does not cover: each of its cells is a skipped record)."""
    found = False
    updated = []
    for column in layout.tests:
        text = cells[column.position].strip() if column.position < len(cells) else ""
        if text and reference.unit_code(text) is None:
            return None
        found = found or bool(text)
        unit = column.unit or text or None
        updated.append(TestColumn(column.position, column.header, column.analyte, unit))
    if not found:
        return None
    taken = set(layout.roles.values()) | {column.position for column in layout.tests}
    for position, header in enumerate(layout.headers[: len(cells)]):
        text = cells[position].strip()
        if position in taken or not header.strip() or not text:
            continue
        if reference.unit_code(text) or UNIT_LIKE.fullmatch(text):
            updated.append(TestColumn(position, header.strip(), None, text))
    return sorted(updated, key=lambda column: column.position)
