"""Rows of a known layout to records, by the full path: one ``evaluate`` per value.

A long row holds one value; a wide row one per filled test column (or a skipped record when
it holds none). A row with the wrong number of cells is an error, or a skipped record when it
is a title, note or footer line.
"""

from collections.abc import Iterator

from b12check.core.evaluate import Settings, evaluate
from b12check.core.names import loinc_code
from b12check.core.records import Record
from b12check.core.refdata import Reference
from b12check.core.vocab import HEADER_ROLES, STATUS_ERROR, STATUS_SKIPPED
from b12check.readers.context import RowDates
from b12check.readers.layout import HeaderIndex, Layout, TestColumn
from b12check.readers.source import Row

# read per row ('joined': the notes of companion tables joined to the row, readers/joining.py)
CONTEXT_ROLES = (*(role for role in HEADER_ROLES if role != "result"), "joined")
Context = dict[str, str | None]


def two_column_range(low: str | None, high: str | None) -> str | None:
    """The lab range of a file that gives it in two columns (``LOW``/``HIGH``), as the one
    text the core reads: ``30-100``, or ``>=30`` / ``<=100`` when one side is empty."""
    if low and high:
        return f"{low} - {high}"
    if low:
        return f">={low}"
    if high:
        return f"<={high}"
    return None


def known_code(reference: Reference, code: str | None) -> str | None:
    """``code`` when it is a LOINC code b12check knows (or refuses, with its reason), so that
    the test is looked up by it rather than by its name; else None."""
    if code and loinc_code(code) and (code in reference.refused_codes or reference.codes.get(code)):
        return code
    return None


class RowReader:
    """Reads rows into records for one run (``Settings``, whose ``lab_ranges`` says what to
    make of the lab's own range and flag), one file at a time."""

    def __init__(self, settings: Settings, headers: HeaderIndex, dates: RowDates) -> None:
        self.settings = settings
        self.headers = headers
        self.dates = dates

    def records(self, row: Row, layout: Layout, name: str) -> Iterator[Record]:
        """Every record of a data row (read cleanly) of ``layout``."""
        if layout.kind == "long":
            return self.long_row(row, layout, name)
        return self.wide_row(row, layout, name)

    def shape_problem(self, row: Row, layout: Layout, name: str) -> Record | None:
        if len(row.cells) == layout.width:
            return None
        filled = [c for c in row.cells if c.strip()]
        if len(filled) <= 1:
            return Record(
                STATUS_SKIPPED,
                file=name,
                line=row.line,
                value_text=filled[0].strip() if filled else "",
                reason="not a data row (a title, note or footer line)",
            )
        return Record(
            STATUS_ERROR,
            file=name,
            line=row.line,
            reason=f"expected {layout.file_width} fields, found {len(row.cells)}",
        )

    def context(self, row: Row, layout: Layout) -> Context:
        """The row's stripped cell (None if empty or missing) for each role of CONTEXT_ROLES."""
        cells, roles = row.cells, layout.roles
        context: Context = dict.fromkeys(CONTEXT_ROLES)
        for role in CONTEXT_ROLES:
            position = roles.get(role)
            if position is not None and position < len(cells):
                context[role] = cells[position].strip() or None
        if not context["lab_range"]:
            context["lab_range"] = two_column_range(context["lab_low"], context["lab_high"])
        return context

    def long_row(self, row: Row, layout: Layout, name: str) -> Iterator[Record]:
        shape = self.shape_problem(row, layout, name)
        if shape is not None:
            yield shape
            return
        yield self.long_value(row, layout, name)

    def long_value(self, row: Row, layout: Layout, name: str) -> Record:
        """The record of a long row that has the layout's width."""
        context = self.context(row, layout)
        value_text = row.cells[layout.roles["result"]]
        header = layout.headers[layout.roles["result"]].strip()
        test = self.test_name(context)
        return self.value(row, name, test, value_text, context["unit"], context, header)

    def test_name(self, context: Context) -> str:
        code = context["loinc"]
        return known_code(self.settings.reference, code) or context["test"] or code or ""

    def wide_row(self, row: Row, layout: Layout, name: str) -> Iterator[Record]:
        shape = self.shape_problem(row, layout, name)
        if shape is not None:
            yield shape
            return
        context = self.context(row, layout)
        produced = False
        for column in layout.tests:
            if not row.cells[column.position].strip():
                continue
            produced = True
            yield self.wide_cell(row, name, column, context)
        if not produced:
            yield self.empty_wide_row(row, name, context)

    def empty_wide_row(self, row: Row, name: str, context: Context) -> Record:
        return Record(
            STATUS_SKIPPED,
            file=name,
            line=row.line,
            patient=context["patient"],
            date=context["date"],
            reason="no results in this row",
        )

    def wide_cell(self, row: Row, name: str, column: TestColumn, context: Context) -> Record:
        """The record of one filled test column of a wide row."""
        text = row.cells[column.position]
        if column.analyte is None:
            return Record(
                STATUS_SKIPPED,
                file=name,
                line=row.line,
                column=column.header,
                patient=context["patient"],
                date=context["date"],
                label=column.header,
                value_text=text,
                reason=self.settings.reference.identify(column.header).skip_reason,
            )
        return self.value(
            row, name, column.analyte.id, text, column.unit, context, column.header, column.header
        )

    def value(
        self,
        row: Row,
        name: str,
        test: str,
        value_text: str,
        unit: str | None,
        context: Context,
        column: str,
        label: str | None = None,
    ) -> Record:
        non_result = self.headers.non_results.get(value_text.strip().casefold())
        date_text = context["date"]
        date, date_warning = (None, None)
        if date_text:
            date, date_warning = self.dates.read_date(date_text)
        age, age_warning = self.dates.age(
            context["age"], context["birth_date"], None if date_warning else date
        )
        settings = self.settings
        record = evaluate(
            settings,
            file=name,
            line=row.line,
            name=test,
            value_text=value_text.strip(),
            unit_text=unit,
            column=column,
            patient=context["patient"],
            date=date,
            sex=context["sex"],
            age=age,
            lab_range=context["lab_range"],
            lab_flag=context["lab_flag"],
            unknown_is_skipped=True,
        )
        if label:
            record.label = label
        if non_result and record.status == STATUS_ERROR:
            record.reason = non_result
        if record.status == STATUS_ERROR and record.column is None:
            record.column = column
        if date_warning:
            record.warnings.append(date_warning)
        if age_warning:
            record.warnings.append(age_warning)
        if context["joined"]:
            record.warnings.extend(context["joined"].split(" | "))
        return record
