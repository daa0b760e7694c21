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

from b12check.evaluate import read_sex
from b12check.records import FastLine, Record
from b12check.refdata import Reference, Scale
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
    def __init__(self, reference: Reference, fmt: LineFormat, sex: str | None, notes: str):
        self.reference = reference
        self.fmt = fmt
        self.default_sex = sex
        self.notes = notes
        self.plans: dict[tuple[str, ...], Plan] = {}
        self.dates: dict[str, str | None] = {}
        self.layout: Layout | None = None
        self.columns: tuple[int, ...] = ()
        self.placeholders = [fmt.placeholder(token) for token in TOKENS]

    # ------------------------------------------------------------------ set-up per file

    def start(self, layout: Layout) -> bool:
        """Use the lane for this file? Only long layouts without lab ranges or flags."""
        roles = layout.roles
        usable = (
            layout.kind == "long"
            and "unit" in roles
            and "lab_range" not in roles
            and "lab_flag" not in roles
            and "birth_date" not in roles
        )
        self.layout = layout if usable else None
        self.plans = {}
        if usable:
            self.columns = tuple(
                roles.get(role, -1) for role in ("test", "loinc", "unit", "sex", "age")
            )
        return usable

    def _key(self, cells: list[str]) -> tuple[str, ...]:
        return tuple(cells[i] if i >= 0 else "" for i in self.columns)

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
        sexes: tuple[str | None, ...] = SEXES if analyte.sex_specific and sex is None else (sex,)
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
        scales = tuple(analyte.scale(each, unit) for each in sexes)
        return Plan(analyte.id, scales, factor, low, high)

    # ------------------------------------------------------------------ rows

    def _locate(self, row: Row) -> tuple[Plan, float, tuple[int, ...]] | None:
        layout = self.layout
        if layout is None or row.problem is not None:
            return None
        cells = row.cells
        if len(cells) != layout.width:
            return None
        key = self._key(cells)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._plan(key)
            if len(self.plans) < CACHE_LIMIT:
                self.plans[key] = plan
        if plan is _NO_PLAN:
            return None
        text = cells[layout.roles["result"]]
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
        if not text:
            return True, None
        if text in self.dates:
            iso = self.dates[text]
        else:
            normalised, warning = normalise_date(text)
            iso = None if warning else normalised
            if len(self.dates) < CACHE_LIMIT:
                self.dates[text] = iso
        return iso is not None, iso

    def try_row(self, row: Row, file: str) -> FastLine | None:
        """The rendered result for ``row``, or None when the full path must read it."""
        found = self._locate(row)
        if found is None:
            return None
        plan, number, indices = found
        template = plan.templates.get(indices)
        if template is None:
            return None
        pieces, flag = template
        layout = self.layout
        assert layout is not None
        roles = layout.roles
        cells = row.cells
        patient = cells[roles["patient"]].strip() or None if "patient" in roles else None
        date_ok, date = self._date(cells[roles["date"]].strip() if "date" in roles else None)
        if not date_ok:
            return None
        fmt = self.fmt
        value = float(f"{number * plan.factor:.6g}")
        text = "".join(
            (
                pieces[0],
                str(row.line),
                pieces[1],
                fmt.text(patient),
                pieces[2],
                fmt.text(date),
                pieces[3],
                fmt.plain(cells[roles["result"]]),
                pieces[4],
                fmt.number(value),
                pieces[5],
            )
        )
        return FastLine(text, file, flag, plan.analyte, patient, date, row)

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
            if "patient" not in layout.roles:
                record.patient = original[1]
            if "date" not in layout.roles:
                record.date = original[2]
            rendered = self.fmt.render(record)
        finally:
            record.line, record.patient, record.date, record.value_text, record.value = original
        pieces = _split(rendered, self.placeholders, layout)
        if pieces is not None:
            plan.templates[indices] = (pieces, record.flag or "unclassified")


def _split(rendered: str, placeholders: list[str], layout: Layout) -> list[str] | None:
    """Cut a rendered template at the five placeholders, in field order."""
    pieces = []
    rest = rendered
    for position, token in enumerate(placeholders):
        absent = (position == 1 and "patient" not in layout.roles) or (
            position == 2 and "date" not in layout.roles
        )
        if absent:
            return None  # keep the lane simple: files without patient or date use the full path
        head, found, rest = rest.partition(token)
        if not found or token in rest:
            return None
        pieces.append(head)
    pieces.append(rest)
    return pieces
