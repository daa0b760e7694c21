"""The scan fast lane: the common row of a long export, rendered from a template.

Most rows of a large export are alike: a known test, a unit given in its own column, a plain
number well inside the usual span, a sex that settles the band. For such a row everything in
its output record except line, patient, date, value text and value is fixed by (test, unit,
sex, age, band). So the first row of each (test, unit, sex, age, band) goes through the full
path, its record is rendered once more with placeholders in those five fields, and later rows
of the same kind fill in their own values with the writer's own cell renderers. The output is
the same text the full path writes (a test compares the two on generated files); every other
row — censored, unusual, unclassified, with lab ranges or flags, with warnings — takes the full
path as before.
"""

import re
from bisect import bisect_left
from collections.abc import Callable
from operator import itemgetter

from b12check.evaluate import read_sex
from b12check.records import FastLine, Record
from b12check.refdata import Analyte, Reference, Scale
from b12check.render.writers import LineFormat
from b12check.scan.dates import normalise_date
from b12check.scan.layout import Layout
from b12check.source import Row
from b12check.vocab import SEXES, STATUS_RESULT

PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
CACHE_LIMIT = 4096
# Placeholder texts: plain letters, so no format quotes or escapes them.
TOKENS = ("QZQLINEQZQ", "QZQPATIENTQZQ", "QZQDATEQZQ", "QZQVALUETEXTQZQ", "QZQVALUEQZQ")


class Plan:
    """What is fixed for one (test, unit, sex, age) in one file."""

    __slots__ = ("analyte", "scales", "factor", "quiet_low", "quiet_high", "templates")

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
        # band index in each scale -> (text pieces around the values, flag)
        self.templates: dict[tuple[int, ...], tuple[list[str], str]] = {}


_NO_PLAN = Plan("", (), 0.0, 0.0, 0.0)


class FastLane:
    def __init__(
        self,
        reference: Reference,
        fmt: LineFormat,
        sex: str | None,
        notes: str,
        guideline_for: Callable[[Analyte], str | None] = lambda _: None,
    ):
        self.reference = reference
        self.guideline_for = guideline_for
        self.fmt = fmt
        self.default_sex = sex
        self.notes = notes
        self.plans: dict[tuple[str, ...], Plan] = {}
        self.dates: dict[str, str | None] = {}
        self.layout: Layout | None = None
        self.key_of: Callable[[list[str]], tuple[str, ...]] = tuple
        self.result_at = self.patient_at = self.date_at = -1
        self.width = 0
        self.placeholders = [fmt.placeholder(token) for token in TOKENS]

    # ------------------------------------------------------------------ set-up per file

    def start(self, layout: Layout) -> bool:
        """Use the lane for this file? Long layouts with patient, date and unit columns and no
        lab ranges or flags."""
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
        self.plans = {}
        self.dates = {}
        if usable:
            # The key cells: test, LOINC, unit, sex, age (a missing column reads as "").
            padded = [*range(layout.width), layout.width]  # index width = the pad cell
            self.key_columns = tuple(
                padded[roles[role]] if role in roles else layout.width
                for role in ("test", "loinc", "unit", "sex", "age")
            )
            self.key_of = itemgetter(*self.key_columns)
            self.result_at = roles["result"]
            self.patient_at = roles["patient"]
            self.date_at = roles["date"]
            self.width = layout.width
        return usable

    def _plan(self, key: tuple[str, ...]) -> Plan:
        test, code, unit_text, sex_text, age_text = key
        if code.strip() or age_text.strip():
            return _NO_PLAN  # LOINC columns and ages take the full path
        try:
            analyte = self.reference.lookup(test.strip())
        except ValueError:
            return _NO_PLAN
        unit = self.reference.unit_code(unit_text.strip()) if unit_text.strip() else None
        if analyte is None or unit is None or unit not in analyte.factors:
            return _NO_PLAN
        sex = read_sex(sex_text) if sex_text.strip() else self.default_sex
        if sex_text.strip() and sex is None:
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

    # ------------------------------------------------------------------ rows

    def _locate(self, row: Row) -> tuple[Plan, float, tuple[int, ...]] | None:
        layout = self.layout
        if layout is None or row.problem is not None:
            return None
        cells = row.cells
        if len(cells) != self.width:
            return None
        key = self.key_of([*cells, ""])
        plan = self.plans.get(key)
        if plan is None:
            plan = self._plan(key)
            if len(self.plans) < CACHE_LIMIT:
                self.plans[key] = plan
        if plan is _NO_PLAN:
            return None
        text = cells[self.result_at]
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
        return plan, number, tuple(indices)

    def _date(self, text: str | None) -> tuple[bool, str | None]:
        """(usable here, the ISO date) for a date cell's text."""
        if not text:
            return True, None
        iso = self.dates.get(text, "")
        if iso == "":
            normalised, warning = normalise_date(text)
            iso = None if warning else normalised
            if len(self.dates) < CACHE_LIMIT:
                self.dates[text] = iso
        return iso is not None, iso

    def try_row(self, row: Row, file: str) -> FastLine | None:
        """The rendered result for ``row``, or None when the full path must read it."""
        rendered = self.render(row)
        if rendered is None:
            return None
        text, flag, analyte, patient, date, value = rendered
        return FastLine(text, file, flag, analyte, patient, date, value, row)

    def render(self, row: Row) -> tuple[str, str, str, str | None, str | None, float] | None:
        """(text, flag, analyte, patient, date, value) for ``row``, or None (full path)."""
        found = self._locate(row)
        if found is None:
            return None
        plan, number, indices = found
        template = plan.templates.get(indices)
        if template is None:
            return None
        pieces, flag = template
        cells = row.cells
        patient = cells[self.patient_at].strip() or None
        date_ok, date = self._date(cells[self.date_at].strip())
        if not date_ok:
            return None
        fmt = self.fmt
        factor = plan.factor
        value = (
            number
            if factor == 1.0 and len(cells[self.result_at]) < 7
            else (float(f"{number * factor:.6g}"))
        )
        text = "".join(
            (
                pieces[0],
                str(row.line),
                pieces[1],
                fmt.text(patient),
                pieces[2],
                fmt.text(date),
                pieces[3],
                fmt.plain(cells[self.result_at]),
                pieces[4],
                fmt.number(value),
                pieces[5],
            )
        )
        return text, flag, plan.analyte, patient, date, value

    def learn(self, row: Row, record: Record) -> None:
        """After the full path read ``row``: keep its record's text as a template if the row is
        one the lane could have rendered (the first of its kind and band)."""
        if (
            record.status != STATUS_RESULT
            or record.notes
            and any(
                note.kind not in ("finding", "about", "follow_up", "pitfall")
                for note in record.notes
            )
        ):
            return
        found = self._locate(row)
        if found is None:
            return
        plan, _, indices = found
        if indices in plan.templates or record.warnings or record.comparator:
            return
        layout = self.layout
        assert layout is not None
        if ("date" in layout.roles) and not self._date(record.date)[0] and record.date:
            return
        original = (record.line, record.patient, record.date, record.value_text, record.value)
        try:
            record.line, record.patient, record.date = TOKENS[0], TOKENS[1], TOKENS[2]  # type: ignore[assignment]
            record.value_text, record.value = TOKENS[3], TOKENS[4]  # type: ignore[assignment]
            rendered = self.fmt.render(record)
        finally:
            record.line, record.patient, record.date, record.value_text, record.value = original
        pieces = _split(rendered, self.placeholders)
        if pieces is not None:
            plan.templates[indices] = (pieces, record.flag or "unclassified")


def _split(rendered: str, placeholders: list[str]) -> list[str] | None:
    """Cut a rendered template at the five placeholders, in field order."""
    pieces = []
    rest = rendered
    for token in placeholders:
        head, found, rest = rest.partition(token)
        if not found or token in rest:
            return None
        pieces.append(head)
    pieces.append(rest)
    return pieces
