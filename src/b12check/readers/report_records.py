"""The lines of a lab report to records, through the same core as every other reader.

Line by line (``report_lines`` says what each is): the patient's details update the context
of the results under them; a column header line sets the columns the next rows are placed
under (again on each page that repeats it); a vertical block (``Test: …`` then ``Result: …``
lines) gives one result; any other line is read as ``name  value  unit  range  flag``. Each
result goes to ``evaluate`` with the test name as written, so names, numbers, units, lab
ranges and lab flags are read by the core. A line that names a covered test but cannot be
read without doubt is an error record with its page and line, never a guess. Every record
carries ``locator`` (``page P, line L``, L counted on the page), ``line`` (the line in the
whole text) and ``source_text`` (the line as written).
"""

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from b12check.core.evaluate import Settings, evaluate
from b12check.core.labrange import parse_lab_range
from b12check.core.records import Record
from b12check.core.vocab import STATUS_ERROR
from b12check.readers.context import RowDates
from b12check.readers.layout import HeaderIndex
from b12check.readers.report_header import header_fields
from b12check.readers.report_lines import (
    Columns,
    Parts,
    cells_of,
    header_line,
    is_rule,
    place,
    read_placed,
    read_rest,
    read_value,
    split_name,
    table_row,
)
from b12check.readers.report_text import ReportLine
from b12check.readers.report_words import ReportWords


def _heading(text: str) -> bool:
    stripped = text.strip()
    return (
        stripped.startswith(("**", "#", "__"))
        or stripped.endswith(":")
        or (stripped.isupper() and len(stripped) > 3)
    )


class Held(NamedTuple):
    """A result, held until the next line shows its test's name does not go on there."""

    line: ReportLine
    test: str
    parts: Parts


class ReportReader:
    """Reads the lines of one report into records."""

    def __init__(
        self, settings: Settings, headers: HeaderIndex, dates: RowDates, name: str
    ) -> None:
        self.settings = settings
        self.reference = settings.reference
        self.non_results = headers.non_results
        self.words = ReportWords(settings.reference.headers.get("report"))
        self.flags = {
            "in_range": self.words.in_range_flag,
            "out_of_range": self.words.out_of_range_flag,
        }
        self.dates = dates
        self.name = name
        self.columns: Columns | None = None
        self.context: dict[str, str] = {}
        self.ranks: dict[str, int] = {}  # the rank of the key each context value came from
        self.block: list[tuple[ReportLine, str, str]] = []  # a vertical block: line, role, text
        self.held: Held | None = None
        self.name_line: ReportLine | None = None  # a covered test named with no value after it
        self.found = 0  # records made
        self.found_at_patient = -1  # records made when the patient was last named

    def records(self, lines: Iterable[ReportLine]) -> Iterator[Record]:
        page = 1
        for line in lines:
            if line.page != page:  # nothing read on one page goes on on the next
                page = line.page
                yield from self.flush()
                yield from self.end_block()
                self.name_line = None
            yield from self.read_line(line)
        yield from self.flush()
        yield from self.end_block()

    def flush(self) -> Iterator[Record]:
        held, self.held = self.held, None
        if held is not None:
            yield self.record(held.line, held.test, held.parts)

    def read_line(self, line: ReportLine) -> Iterator[Record]:
        text = line.text
        if not text.strip():
            yield from self.flush()
            yield from self.end_block()
            self.name_line = None
            return
        if is_rule(text):  # a grid's rows end at its rulings: a held row is whole
            yield from self.flush()
            return
        held, self.held = self.held, None
        if held is not None:
            more = self.name_only(text)
            if more is not None and self.continues(held.test, more):
                record = self.doubt(
                    held.line,
                    f"the test name goes on at line {line.number} ({more!r}), so which test "
                    "this value belongs to is not certain",
                )
                record.label = held.test
                yield record
            else:
                yield self.record(held.line, held.test, held.parts)
        rest = [""]
        fields = header_fields(text, self.words.fields, rest)
        if fields:
            yield from self.flush()
            self.update_context(fields)
            if any(c.isdigit() for c in rest[0]) and self.names_a_test(rest[0].strip()):
                yield self.doubt(line, "a result on the same line as the patient's details")
            return
        columns = header_line(text, self.words.columns)
        if columns is not None:
            yield from self.flush()
            yield from self.end_block()
            self.columns = columns
            return
        if self.key_value(line):
            return
        yield from self.end_block()
        if self.columns is not None and self.columns.table != table_row(text):
            self.columns = None  # the table has ended
        if self.columns is not None:
            yield from self.row(line, self.columns)
        else:
            yield from self.free_line(line)

    # ------------------------------------------------------------------ layouts

    def key_value(self, line: ReportLine) -> bool:
        """A line of a vertical block (``Result: 350 pg/mL``): kept until the block ends."""
        key, colon, value = line.text.partition(":")
        if not colon:
            return False
        role = self.words.columns.role(key.strip())
        if role is None:
            return False
        self.block.append((line, role, value.strip()))
        return True

    def end_block(self) -> Iterator[Record]:
        block, self.block = self.block, []
        if not block:
            return
        groups: list[list[tuple[ReportLine, str, str]]] = []
        for entry in block:
            if entry[1] == "test" or not groups:
                groups.append([])
            groups[-1].append(entry)
        for group in groups:
            yield from self.block_record(group)

    def block_record(self, group: list[tuple[ReportLine, str, str]]) -> Iterator[Record]:
        placed: dict[str, str] = {}
        where = group[0][0]
        for line, role, text in group:
            if role in placed:
                yield self.doubt(line, f"a second {role.replace('_', ' ')} line in one block")
                return
            placed[role] = text
            if role in ("result", "in_range", "out_of_range"):
                where = line
        test = placed.get("test", "")
        parts = read_placed(placed, self.reference, self.flags)
        if not test:
            yield self.doubt(where, "a result with no test line before it in its block")
            return
        yield self.record(where, test, parts)

    def row(self, line: ReportLine, columns: Columns) -> Iterator[Record]:
        cells = cells_of(line.text)
        placed = place(cells, columns)
        if isinstance(placed, str):
            if self.names_a_test(line.text):
                yield self.doubt(line, placed)
            return
        test = placed.get("test", "")
        values = any(placed.get(r) for r in ("result", "in_range", "out_of_range"))
        if not values:
            if test and any(c.isdigit() for c in line.text) and self.covered(test):
                yield self.doubt(line, "no value under the result column")
            return
        if not test:
            if any(read_value(placed.get(r, "")) for r in ("result", "in_range", "out_of_range")):
                yield self.doubt(
                    line,
                    "a value with no test name on its line; it is not paired with another line",
                )
            return  # (a footer such as 'Page 1 of 2' under the result column is no value)
        parts = read_placed(placed, self.reference, self.flags)
        if parts.doubt is None:
            self.held = Held(line, test, parts)
        elif self.covered(test):
            yield self.record(line, test, parts)

    def free_line(self, line: ReportLine) -> Iterator[Record]:
        """A line read without column headers: ``name  value  unit  range  flag``."""
        cells = cells_of(line.text)
        if len(cells) >= 2 and self.covered(cells[0].text.rstrip(":")):
            test, rest = cells[0].text.rstrip(":").strip(), line.text[cells[1].start :]
        else:
            test, rest = split_name(line.text)
        name_line, self.name_line = self.name_line, None
        if not rest:
            yield from self.no_number(line, test)
            return
        if not test:
            if name_line is not None:
                yield self.doubt(
                    line,
                    f"a value on the line after its test name (line {name_line.number}); "
                    "it is not paired across lines",
                )
            elif self.names_a_test(line.text):
                yield self.doubt(line, "the value comes before the test name, with no header")
            return
        parts = read_rest(rest, self.reference)
        if parts.extra and not self.words.columns.only_phrases(parts.extra):
            parts = Parts(
                doubt=f"words after the value that are not a unit, range or flag ({parts.extra!r})"
            )
        if parts.doubt is None and (self.covered(test) or parts.unit or parts.lab_range):
            self.held = Held(line, test, parts)  # (a test not covered gives a skipped record)
        elif parts.doubt is not None and self.covered(test):
            yield self.record(line, test, parts)

    # ------------------------------------------------------------------ helpers

    def update_context(self, fields: dict[str, tuple[int, str]]) -> None:
        """The header's details for the results under it. A patient key replaces what was
        known unless a preferred key (``Patient ID`` over ``Name``) gave it on this page.
        Another patient means another person (nothing of the last one is kept), except a
        preferred key in the same header, before any result: ``Name: …`` then ``Patient
        ID: …`` a line below name one person, whose sex and birth date stay."""
        known = self.ranks.get("patient", 1 << 20)
        if "patient" in fields and fields["patient"][0] <= known:
            rank, value = fields["patient"]
            same_header = rank < known and self.found == self.found_at_patient
            if self.context.get("patient") != value and not same_header:
                self.context, self.ranks = {}, {}  # another person: nothing of the last one
            self.found_at_patient = self.found
        for role, (rank, value) in fields.items():
            if rank <= self.ranks.get(role, 1 << 20) or role != "patient":
                self.context[role] = value
                self.ranks[role] = rank

    def no_number(self, line: ReportLine, text: str) -> Iterator[Record]:
        """A line without a number: ``Magnesium: pending`` is the lab's word for no result
        (an error record with its reason); a covered test's name alone may have its value on
        the next line."""
        name, colon, said = text.partition(":")
        if not colon:
            cells = cells_of(text)
            name, said = cells[0].text, " ".join(c.text for c in cells[1:])
        if said.strip() and self.covered(name):
            if said.strip().casefold() in self.non_results:
                yield self.record(line, name.strip(), Parts(said.strip()))
            else:
                yield self.doubt(line, f"no value after the test name, only {said.strip()!r}")
        elif text and self.covered(text):
            self.name_line = line

    def covered(self, test: str) -> bool:
        found = self.reference.identify(test)
        return bool(found.analyte or found.companion or found.refused or found.look_alike)

    def names_a_test(self, text: str) -> bool:
        return any(self.covered(cell.text) for cell in cells_of(text)) or self.covered(
            split_name(text)[0]
        )

    @staticmethod
    def name_only(text: str) -> str | None:
        """The text of a line that could go on with the test name of the line above: no
        digit, and text in its first cell only."""
        if any(c.isdigit() or c == ":" for c in text):
            return None
        cells = cells_of(text)
        if not cells or not cells[0].text or any(c.text for c in cells[1:]):
            return None
        return cells[0].text

    def continues(self, first: str, more: str) -> bool:
        """Whether the name-only line after a result may be the rest of its test's name: the
        two read together name another test, or none (unless it is a heading such as
        ``IRON STUDIES`` or ``**Iron studies**``)."""
        alone = self.reference.identify(first)
        joined = self.reference.identify(f"{first} {more}")
        if (alone.analyte, alone.companion) == (joined.analyte, joined.companion):
            return False
        if self.covered(more):
            return False  # the name of the next test
        if joined.analyte is not None or joined.companion is not None:
            return True
        return not _heading(more)

    def where(self, line: ReportLine) -> str:
        return f"page {line.page}, line {line.line}"

    def doubt(self, line: ReportLine, reason: str) -> Record:
        self.found += 1
        record = Record(
            STATUS_ERROR,
            file=self.name,
            line=line.number,
            locator=self.where(line),
            patient=self.context.get("patient"),
            reason=f"not read without doubt: {reason}",
        )
        record.source_text = line.text.strip()
        return record

    def record(self, line: ReportLine, test: str, parts: Parts) -> Record:
        if parts.doubt is not None or parts.value is None:
            record = self.doubt(line, parts.doubt or "no value")
            record.label = test
            return record
        self.found += 1
        context = self.context
        date, date_warning = (None, None)
        if context.get("birth_date"):  # a birth date like 14/03/1968 settles the day order
            self.dates.learn_date_order(context["birth_date"])
        if context.get("date"):
            date, date_warning = self.dates.read_date(context["date"])
        age, age_warning = self.dates.age(
            context.get("age"), context.get("birth_date"), None if date_warning else date
        )
        unit = parts.unit
        if unit is None and parts.lab_range:
            found = parse_lab_range(parts.lab_range)
            unit = found.unit if found is not None else None
        record = evaluate(
            self.settings,
            file=self.name,
            line=line.number,
            name=test,
            value_text=parts.value,
            unit_text=unit,
            patient=context.get("patient"),
            date=date,
            sex=context.get("sex"),
            age=age,
            lab_range=parts.lab_range,
            lab_flag=parts.lab_flag,
            unknown_is_skipped=True,
        )
        record.locator = self.where(line)
        record.source_text = line.text.strip()
        non_result = self.non_results.get(parts.value.casefold())
        if non_result and record.status == STATUS_ERROR:
            record.reason = non_result
        record.warnings.extend(w for w in (date_warning, age_warning) if w)
        return record
