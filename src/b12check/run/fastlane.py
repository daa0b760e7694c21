"""The scan fast lane: rows of a long export rendered from text the full path wrote before.

In a long export everything in a row's output record after its date is fixed by the row's test,
LOINC, unit, sex and age cells (its *kind*, one ``Plan`` each) and its value cell; the line,
patient and date come before it. So the lane keeps, per kind and value text, the rendered rest
of the record (its *tail*) with the flag, value and comparator the summary and the pattern notes
need, and renders a row as ``head + line + patient and date + tail``. Tails come from two
places:

* the full path: when it reads a row the lane could not, its record is rendered once more with
  placeholders in line, patient and date, and the text after the date is kept for that value.
  Censored values, values on a band edge and values with a warning are all kept this way.
* band templates: for a plain number inside the usual span and off every edge, only the value
  text and the value differ between the rows of one kind and band, so the first such record
  is kept with placeholders in those two as well, and later values are filled in.

Dates are read with the scanner's own reader (``--date-format`` and the day/month order the
file has shown so far); a row whose date would carry a warning takes the full path. Whatever
the lane cannot render — lab ranges or flags in the file, LOINC or age cells, unknown tests or
units, error records — takes the full path as before. Tests compare the two paths byte for byte
on generated files. Every cache is bounded (the limits below), so memory stays flat however long
the file is; once a budget is spent, rows that would need more take the full path.
"""

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter

from b12check.core.evaluate import read_sex
from b12check.core.records import FastBatch, FastLine, Record
from b12check.core.refdata import Analyte, Reference, Scale
from b12check.core.vocab import SEXES, STATUS_RESULT
from b12check.readers.layout import Layout
from b12check.readers.shortcut import DateReader
from b12check.readers.source import Row
from b12check.render.base import LineFormat

PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Per file, so memory stays flat however long the file is:
PLAN_LIMIT = 4096  # kinds of row (later kinds take the full path)
FILLED_LIMIT = 8192  # values filled in from a band template (a short middle piece each)
LEARNED_CHARS = 1 << 18  # characters of tails learned from the full path (256 Ki)
DATE_LIMIT = 4096  # date cells
BATCH_SIZE = 100  # rendered lines per batch
KEY_ROLES = ("test", "loinc", "unit", "sex", "age")
PLAIN_NOTES = frozenset({"finding", "about", "follow_up", "pitfall"})
# Placeholder texts: plain letters, so no format quotes or escapes them.
TOKENS = ("QZQLINEQZQ", "QZQPATIENTQZQ", "QZQDATEQZQ", "QZQVALUETEXTQZQ", "QZQVALUEQZQ")

# A rendered tail: the text after the date in three pieces (a value filled into a band template
# keeps only its middle piece, so that the other two are shared), flag, value in the canonical
# unit, comparator.
Tail = tuple[str, str, str, str, float, str | None]
# A band template: (text before the value text, between it and the value, after it, flag).
Template = tuple[str, str, str, str]


class Plan:
    """What is fixed for one kind of row in one file."""

    __slots__ = ("analyte", "scales", "factor", "quiet_low", "quiet_high", "templates", "tails")

    def __init__(
        self,
        analyte: str,
        scales: tuple[Scale, ...],
        factor: float,
        quiet_low: float,
        quiet_high: float,
    ) -> None:
        self.analyte = analyte
        # one scale, or one per sex when the sex is unknown and the bands differ by sex
        self.scales = scales
        self.factor = factor
        # values strictly inside (quiet_low, quiet_high), in the given unit, raise no warning
        self.quiet_low = quiet_low
        self.quiet_high = quiet_high
        self.templates: dict[tuple[int, ...], Template] = {}  # band index in each scale
        self.tails: dict[str, Tail] = {}  # value cell text -> its rendered tail


_NO_PLAN = Plan("", (), 0.0, 0.0, 0.0)  # a kind the lane leaves to the full path


def _no_date_reader(text: str) -> tuple[str, str | None]:
    return text, "no date reader"


class FastLane:
    def __init__(
        self,
        reference: Reference,
        fmt: LineFormat,
        sex: str | None,
        guideline_for: Callable[[Analyte], str | None] = lambda _: None,
    ):
        self.reference = reference
        self.guideline_for = guideline_for
        self.fmt = fmt
        self.default_sex = sex
        self.placeholders = [fmt.placeholder(token) for token in TOKENS]
        self.layout: Layout | None = None
        self._reset(_no_date_reader)

    def _reset(self, read_date: DateReader) -> None:
        self.read_date = read_date
        self.plans: dict[object, Plan] = {}
        self.dates: dict[str, tuple[str | None, str]] = {}
        self.filled = 0  # tails kept that were filled in from a template
        self.learned_chars = 0  # characters of the tails kept from the full path
        # the text before the line number, and between line, patient and date (from the first
        # record learned; every later one must agree)
        self.pieces: tuple[str, str, str] | None = None
        self.last: tuple[str, str, tuple[str, str | None, str | None] | None] = ("", "", None)
        self.key_roles: tuple[str, ...] = ()
        self.key_of: Callable[[list[str]], object] = tuple
        self.result_at = self.patient_at = self.date_at = -1
        self.width = 0

    # ------------------------------------------------------------------ set-up per file

    def start(self, layout: Layout, read_date: DateReader) -> bool:
        """Use the lane for this file? Long layouts with patient, date and unit columns and no
        lab ranges or flags. ``read_date`` reads a date cell as the full path does."""
        roles = layout.roles
        usable = (
            layout.kind == "long"
            and "unit" in roles
            and "lab_range" not in roles
            and "lab_flag" not in roles
            and "birth_date" not in roles
            and "patient" in roles
            and "date" in roles
        )
        self.layout = layout if usable else None
        self._reset(read_date)
        if usable:
            self.key_roles = tuple(role for role in KEY_ROLES if role in roles)
            columns = [roles[role] for role in self.key_roles]
            # (a long layout has a test or LOINC column besides the unit: always two or more)
            self.key_of = itemgetter(*columns)
            self.result_at = roles["result"]
            self.patient_at = roles["patient"]
            self.date_at = roles["date"]
            self.width = layout.width
        return usable

    def _plan_of(self, cells: list[str]) -> Plan:
        key = self.key_of(cells)
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) >= PLAN_LIMIT:
                return _NO_PLAN  # a kind this far into the file is rare: the full path
            plan = self.plans[key] = self._plan(key)
        return plan

    def _plan(self, key: object) -> Plan:
        assert isinstance(key, tuple)
        found = dict(zip(self.key_roles, key, strict=False))
        test, unit_text = found.get("test", "").strip(), found.get("unit", "").strip()
        sex_text = found.get("sex", "").strip()
        if found.get("loinc", "").strip() or found.get("age", "").strip():
            return _NO_PLAN  # LOINC columns and ages take the full path
        try:
            analyte = self.reference.lookup(test)
        except ValueError:
            return _NO_PLAN
        unit = self.reference.unit_code(unit_text) if unit_text else None
        if analyte is None or unit is None or unit not in analyte.factors:
            return _NO_PLAN
        sex = read_sex(sex_text) if sex_text else self.default_sex
        if sex_text and sex is None:
            return _NO_PLAN
        guideline = self.guideline_for(analyte)
        if analyte.age_specific_in(guideline):
            return _NO_PLAN  # age groups: the full path reads each person's age
        sexes: tuple[str | None, ...] = (
            SEXES if analyte.sex_specific_in(guideline) and sex is None else (sex,)
        )
        factor = analyte.factors[unit]
        low, high = 0.0, float("inf")
        for span in (analyte.plausible, analyte.expected):
            if span.low is not None:
                low = max(low, span.low / factor)
            if span.high is not None:
                high = min(high, span.high / factor)
        for check in analyte.unit_checks:
            if check.unit == unit:
                if check.above is not None:
                    high = min(high, check.above)
                if check.below is not None:
                    low = max(low, check.below)
        scales = tuple(analyte.scale(each, unit, guideline) for each in sexes)
        return Plan(analyte.id, scales, factor, low, high)

    # ------------------------------------------------------------------ tails

    def _tail(self, plan: Plan, text: str) -> Tail | None:
        """The kept tail for a value cell, or one filled in from its band's template."""
        tail = plan.tails.get(text)
        if tail is not None or plan is _NO_PLAN:
            return tail
        indices = self._band(plan, text)
        template = plan.templates.get(indices) if indices is not None else None
        if template is None:
            return None
        before, between, after, flag = template
        number = float(text)
        factor = plan.factor
        value = number if factor == 1.0 and len(text) < 7 else float(f"{number * factor:.6g}")
        fmt = self.fmt
        middle = f"{fmt.plain(text)}{between}{fmt.number(value)}"
        tail = (before, middle, after, flag, value, None)
        if self.filled < FILLED_LIMIT:
            plan.tails[text] = tail
            self.filled += 1
        return tail

    def _band(self, plan: Plan, text: str) -> tuple[int, ...] | None:
        """The band index in each scale for a plain number inside the quiet span and off every
        edge; None for any other value."""
        if not PLAIN_NUMBER.fullmatch(text):
            return None
        number = float(text)
        if not plan.quiet_low < number < plan.quiet_high:
            return None
        indices = []
        for scale in plan.scales:
            index = bisect_left(scale.cuts, number)
            if index < len(scale.cuts) and scale.cuts[index] == number:
                return None  # exactly on an edge: the full path decides
            indices.append(index)
        return tuple(indices)

    # ------------------------------------------------------------------ patient and date

    def _date(self, cell: str) -> tuple[str | None, str] | None:
        """(the ISO date or None for an empty cell, that date rendered) for a date cell, or
        None when reading it gives a warning."""
        known = self.dates.get(cell)
        if known is None:
            text = cell.strip()
            iso = None
            if text:
                iso, warning = self.read_date(text)
                if warning:
                    return None
            known = (iso, self.fmt.text(iso))
            if len(self.dates) < DATE_LIMIT:
                self.dates[cell] = known
        return known

    def _head(self, patient_cell: str, date_cell: str) -> tuple[str, str | None, str | None] | None:
        """(text from the line number's end to the date's end, patient, date), or None when
        the date would carry a warning."""
        date = self._date(date_cell)
        if date is None:
            return None
        iso, rendered_date = date
        assert self.pieces is not None
        _, p1, p2 = self.pieces
        patient = patient_cell.strip() or None
        return f"{p1}{self.fmt.text(patient)}{p2}{rendered_date}", patient, iso

    # ------------------------------------------------------------------ rows

    def try_row(self, row: Row, file: str) -> FastLine | None:
        """The rendered result for ``row``, or None when the full path must read it."""
        cells = row.cells
        if row.problem is not None or len(cells) != self.width or self.layout is None:
            return None
        plan = self._plan_of(cells)
        tail = self._tail(plan, cells[self.result_at])
        if tail is None:
            return None
        patient_cell, date_cell = cells[self.patient_at], cells[self.date_at]
        last_patient, last_date, head = self.last
        if patient_cell != last_patient or date_cell != last_date or head is None:
            head = self._head(patient_cell, date_cell)
            self.last = (patient_cell, date_cell, head)
        if head is None:
            return None
        before, middle, after, flag, value, comparator = tail
        assert self.pieces is not None  # a tail is kept only after the first record learned
        return FastLine(
            f"{self.pieces[0]}{row.line}{head[0]}{before}{middle}{after}",
            file,
            flag,
            plan.analyte,
            head[1],
            head[2],
            value,
            row,
            comparator,
        )

    def batches(
        self,
        rows: Iterable[Row],
        file: str,
        count_rows: Callable[[int], None],
        full_path: Callable[[Row], Iterable[Record]],
    ) -> Iterator[Record | FastBatch]:
        """Every row of a file: the lane's lines gathered into batches, and the records of
        ``full_path`` for any other row, in input order. ``count_rows(n)`` is told how many
        rows were read before anything is yielded."""
        texts: list[str] = []
        flags: list[str] = []
        plan_of, tail_of, date_of, text_of = self._plan_of, self._tail, self._date, self.fmt.text
        plans, dates, key_of, width = self.plans, self.dates, self.key_of, self.width
        result_at, patient_at, date_at = self.result_at, self.patient_at, self.date_at
        last_patient = last_date = ""
        head: str | None = None
        p0, p1, p2 = self.pieces or ("", "", "")
        pending = 0
        for row in rows:
            pending += 1
            cells = row.cells
            if row.problem is None and len(cells) == width:
                plan = plans.get(key_of(cells)) or plan_of(cells)
                text = cells[result_at]
                tail = plan.tails.get(text) or tail_of(plan, text)
                if tail is not None:
                    patient_cell, date_cell = cells[patient_at], cells[date_at]
                    if patient_cell != last_patient or date_cell != last_date or head is None:
                        # (what _head does, inline: this runs once per patient and date)
                        last_patient, last_date = patient_cell, date_cell
                        date = dates.get(date_cell) or date_of(date_cell)
                        patient = text_of(patient_cell.strip() or None)
                        head = None if date is None else f"{p1}{patient}{p2}{date[1]}"
                    if head is not None:
                        before, middle, after, flag, _, _ = tail
                        texts.append(f"{p0}{row.line}{head}{before}{middle}{after}")
                        flags.append(flag)
                        if len(texts) >= BATCH_SIZE:
                            count_rows(pending)
                            pending = 0
                            yield FastBatch("\n".join(texts), file, Counter(flags), len(texts))
                            texts, flags = [], []
                        continue
            count_rows(pending)
            pending = 0
            if texts:
                yield FastBatch("\n".join(texts), file, Counter(flags), len(texts))
                texts, flags = [], []
            yield from full_path(row)
            p0, p1, p2 = self.pieces or ("", "", "")  # set by the first record learned
        count_rows(pending)
        if texts:
            yield FastBatch("\n".join(texts), file, Counter(flags), len(texts))

    # ------------------------------------------------------------------ learning

    def learn(self, row: Row, record: Record) -> None:
        """After the full path read ``row``: keep a band template if its value is a plain one
        whose band has none yet, else its record's tail for the row's value text (while the
        budget for such tails lasts)."""
        cells = row.cells
        if (
            self.layout is None
            or record.status != STATUS_RESULT
            or record.value is None
            or row.problem is not None
            or len(cells) != self.width
            or any(note.kind not in PLAIN_NOTES for note in record.notes)
        ):
            return
        plan = self._plan_of(cells)
        text = cells[self.result_at]
        if plan is _NO_PLAN or text in plan.tails:
            return
        if self._date(cells[self.date_at]) is None:
            return  # its date carries a warning, which is in the tail
        flag = record.flag or "unclassified"
        indices = self._band(plan, text)
        if (
            indices is not None
            and indices not in plan.templates
            and not record.warnings
            and not record.comparator
        ):
            pieces = self._render(record, 5)  # a template for the band
        elif self.learned_chars < LEARNED_CHARS:
            pieces = self._render(record, 3)  # this value's own tail
        else:
            return
        if pieces is None:
            return
        head = (pieces[0], pieces[1], pieces[2])
        if self.pieces is None:
            self.pieces = head
        elif self.pieces != head:
            return
        if len(pieces) == 6 and indices is not None:
            plan.templates[indices] = (pieces[3], pieces[4], pieces[5], flag)
        else:
            plan.tails[text] = (pieces[3], "", "", flag, record.value, record.comparator)
            self.learned_chars += len(pieces[3])

    def _render(self, record: Record, count: int) -> list[str] | None:
        """``record`` rendered with placeholders in its first ``count`` of line, patient, date,
        value text and value, cut at them."""
        original = (record.line, record.patient, record.date, record.value_text, record.value)
        tokens = list(TOKENS[:count]) + list(original[count:])
        try:
            record.line, record.patient, record.date, record.value_text, record.value = tokens  # type: ignore[assignment]
            rendered = self.fmt.render(record)
        finally:
            record.line, record.patient, record.date, record.value_text, record.value = original
        return _split(rendered, self.placeholders[:count])


def _split(rendered: str, placeholders: list[str]) -> list[str] | None:
    """Cut a rendered record at the placeholders, in field order."""
    pieces = []
    rest = rendered
    for token in placeholders:
        head, found, rest = rest.partition(token)
        if not found or token in rest:
            return None
        pieces.append(head)
    pieces.append(rest)
    return pieces
