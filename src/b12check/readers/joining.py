"""Joining companion tables to the rows of a file: their values become cells of each row.

The core, and the cache in front of it (``run/rowcache.py``, keyed by the cells the core
reads), see a joined value exactly as a cell of the file: each row of the file's width gets
one cell per joined role, and the layout's roles point at those cells. A cell the row has
itself (its own sex, its own test name) wins over the table's. A row whose id the table
lacks gets a note cell (role ``joined``, read into the record's warnings and part of the
cache's key), and the ids not found are counted for a summary after the file.
"""

from collections.abc import Iterator

from b12check.readers.columns import Choice
from b12check.readers.companion import Table
from b12check.readers.layout import Layout, LayoutProblem
from b12check.readers.source import Row

MISSING_KEPT = 1000  # distinct ids not found remembered per table and file
SHOWN = 10  # ids named in the summary line


class _Side:
    """One table joined to one file: where its id is, which roles it fills, what was missed."""

    def __init__(self, table: Table, key_at: int, roles: list[tuple[str, int | None]]) -> None:
        self.table = table
        self.key_at = key_at
        self.roles = roles  # (role, the row's own cell for it or None), in appended order
        self.missing: dict[str, int] = {}

    def cells(self, cells: list[str]) -> tuple[list[str], str]:
        key = cells[self.key_at].strip()
        rows = self.table.rows
        found = rows.get(key) if key else None
        note = ""
        if found is None:
            note = self._note(key, key in rows)
            if len(self.missing) < MISSING_KEPT or key in self.missing:
                self.missing[key] = self.missing.get(key, 0) + 1
        values = found or {}
        table_first = self.table.key_role != "patient"  # a code's label wins over the row's
        joined = []
        for role, own in self.roles:
            mine = cells[own].strip() if own is not None else ""
            theirs = values.get(role, "")
            value = (theirs or mine) if table_first else (mine or theirs)
            if role == "test" and not value:
                value = key  # the code itself: skipped as not covered, with the note
            joined.append(value)
        return joined, note

    def _note(self, key: str, ambiguous: bool) -> str:
        table = self.table
        what = "patient" if table.key_role == "patient" else "code"
        if not key:
            return f"no {what} id to look up in {table.name}"
        if ambiguous:
            return f"{what} {key!r} has rows in {table.name} that disagree; none of them used"
        if what == "patient":
            return f"patient not in {table.name}; no sex or age from it"
        return f"code {key!r} not in {table.name}"

    def summary(self) -> str | None:
        if not self.missing:
            return None
        ids = sorted(self.missing, key=lambda key: (-self.missing[key], key))
        shown = ", ".join(repr(key) for key in ids[:SHOWN])
        more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
        rows = sum(self.missing.values())
        counted = f"{rows} row" if rows == 1 else f"{rows} rows"
        what = "patient ids" if self.table.key_role == "patient" else "codes"
        return f"{what} not found in {self.table.name} ({counted}): {shown}{more}"


class Join:
    """The companion tables joined to one file's rows."""

    def __init__(self, layout: Layout, tables: list[Table]) -> None:
        self.sides: list[_Side] = []
        roles = dict(layout.roles)
        headers = list(layout.headers)
        choices = dict(layout.choices)
        for table in tables:
            key_at = _key_column(layout, table)
            side_roles: list[tuple[str, int | None]] = []
            by = layout.headers[key_at].strip()
            for role, header in table.roles.items():
                own = layout.roles.get(role)
                side_roles.append((role, own))
                roles[role] = len(headers)
                headers.append(f"{header} ({table.name})")
                reason = f"joined from {table.name} column {header!r} by {by!r}"
                if own is not None:
                    mine = layout.headers[own].strip()
                    own_first = table.key_role == "patient"
                    reason += f", the row's own {mine!r} " + ("first" if own_first else "after it")
                choices[role] = Choice(roles[role], reason, None)
            self.sides.append(_Side(table, key_at, side_roles))
        roles["joined"] = len(headers)
        headers.append("(joined notes)")
        self.layout = Layout(layout.kind, layout.header_line, headers, roles, layout.tests, choices)
        self.layout.file_width = layout.file_width
        self.layout.read_through = {
            own for side in self.sides for _, own in side.roles if own is not None
        }

    def rows(self, rows: Iterator[Row]) -> Iterator[Row]:
        """``rows``, each of the file's width with the joined cells after its own."""
        width = self.layout.file_width
        sides = self.sides
        for row in rows:
            cells = row.cells
            if row.problem is None and len(cells) == width:
                notes = []
                for side in sides:
                    values, note = side.cells(cells)
                    cells.extend(values)
                    if note:
                        notes.append(note)
                cells.append(" | ".join(notes))
            elif row.problem is None and len(cells) == self.layout.width:
                # a row of the wrong width that happens to have the joined width
                if sum(1 for cell in cells if cell.strip()) <= 1:
                    cells.append("")  # a title or footer line stays one
                else:
                    row.problem = f"expected {width} fields, found {len(cells)}"
            yield row

    def summary(self) -> list[str]:
        return [line for side in self.sides if (line := side.summary()) is not None]


def _key_column(layout: Layout, table: Table) -> int:
    """The column of the file holding the table's ids."""
    wanted = ("patient",) if table.key_role == "patient" else ("code", "loinc", "test")
    for role in wanted:
        if role in layout.roles:
            return layout.roles[role]
    what = "patient" if table.key_role == "patient" else "code (or LOINC or test)"
    raise LayoutProblem(
        f"no {what} column to join {table.name} by (headers: "
        f"{', '.join(repr(h.strip()) for h in layout.headers if h.strip())})",
        layout.header_line,
    )
