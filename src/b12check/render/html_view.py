"""What the HTML report shows of one patient, worked out from the records the writer kept:
rows (flagged first), gauges, trend charts, events, notes with sources, warnings, problems.

Every piece of outside text passes ``visible()`` here (control, bidi and invisible
characters shown as placeholders); the template escapes markup.
"""

from typing import TYPE_CHECKING, NamedTuple

from b12check.core.records import Record
from b12check.core.refdata import Reference
from b12check.core.trends import is_iso_date
from b12check.core.vocab import FLAG_SEVERITY
from b12check.readers.events import Event
from b12check.render.cells import escape_undecodable, result_text
from b12check.render.people import band_cell, shown_name
from b12check.render.safe import visible
from b12check.render.svg_gauge import Gauge, flag_class, make_gauge
from b12check.render.svg_trend import Trend, make_trend

if TYPE_CHECKING:
    from b12check.render.html_report import Person


def shown(text: str | None) -> str:
    """Outside text as the page shows it (markup is escaped later, by the template)."""
    return visible(escape_undecodable(text or ""))


class Row(NamedTuple):
    date: str
    test: str
    result: str
    flag: str
    css: str
    band: str
    source: str
    lab: str
    gauge: Gauge | None


class NoteLine(NamedTuple):
    test: str
    kind: str
    text: str
    source: str


class PersonView(NamedTuple):
    patient: str
    about: str  # sex and age, when given
    dates: str  # the dates covered
    flagged: list[Row]
    others: list[Row]
    trends: list[Trend]
    events: list[tuple[int, Event]]
    notes: list[NoteLine]
    warnings: list[str]
    more_warnings: int
    problems: list[str]
    problem_count: int
    skipped: str
    withdrawn: str
    hidden: list[str]  # what is left out, and how to get it


KIND_WORDS = {
    "finding": "About this result",
    "follow_up": "A question to ask",
    "pitfall": "Worth knowing",
    "pattern": "Across results",
    "lab_disagreement": "The lab's range",
    "about": "About the test",
}


def _row(record: Record, reference: Reference | None) -> Row:
    flag = record.flag or ""
    label = record.band_label or flag.replace("_", " ")
    lab = record.lab_range or ""
    if record.lab_flag:
        lab = f"{lab} (flag {record.lab_flag})".strip()
    return Row(
        shown(record.date),
        shown(shown_name(record, reference)),
        shown(result_text(record.value_text, record.unit)),
        shown(label),
        flag_class(flag),
        shown(band_cell(record, reference)),
        shown(record.band_source),
        shown(lab),
        make_gauge(record, reference),
    )


def _dates(records: list[Record]) -> str:
    days = sorted({r.date for r in records if r.date and is_iso_date(r.date)})
    other = len({r.date for r in records if r.date and not is_iso_date(r.date)})
    text = "no dates given"
    if days:
        text = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]} ({len(days)} dates)"
    if other:
        text += f"; {other} date(s) not understood, kept as written"
    return text


def _about(records: list[Record]) -> str:
    sex = next((r.sex for r in records if r.sex), None)
    ages = sorted({r.age for r in records if r.age is not None})
    parts = [sex] if sex else []
    if ages:
        first, last = f"{ages[0]:g}", f"{ages[-1]:g}"
        parts.append(f"age {first}" if first == last else f"age {first}–{last}")
    return ", ".join(parts)


def _trends(
    records: list[Record], reference: Reference | None, events: list[tuple[int, Event]]
) -> list[Trend]:
    if reference is None:
        return []
    series: dict[str, list[Record]] = {}
    for record in records:
        if record.analyte and record.value is not None and is_iso_date(record.date or ""):
            series.setdefault(record.analyte, []).append(record)
    charts = []
    for points in series.values():
        points.sort(key=lambda r: r.date or "")
        chart = make_trend(shown(shown_name(points[0], reference)), points, reference, events)
        if chart is not None:
            charts.append(chart)
    return charts


RESULT_KINDS = frozenset({"finding", "lab_disagreement", "pattern"})  # about one result


def _notes(records: list[Record], reference: Reference | None) -> list[NoteLine]:
    """The notes, each once, grouped by test; a note about one result names its date."""
    by_test: dict[str, list[NoteLine]] = {}
    seen: set[tuple[str, str]] = set()
    for record in records:
        test = shown(shown_name(record, reference))
        lines = by_test.setdefault(test, [])
        for note in record.notes:
            if (test, note.text) in seen:
                continue
            seen.add((test, note.text))
            kind = KIND_WORDS.get(note.kind, note.kind.replace("_", " "))
            if note.kind in RESULT_KINDS and record.date:
                kind = f"{kind}, {record.date}"
            lines.append(NoteLine(test, shown(kind), shown(note.text), shown(note.source)))
    return [line for lines in by_test.values() for line in lines]


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in counts.items())


def person_view(person: "Person", reference: Reference | None, events: list[Event]) -> PersonView:
    """The section of the page for one patient; ``events`` numbered from 1 in date order."""
    records = person.results
    order = sorted(
        records, key=lambda r: (-FLAG_SEVERITY.get(r.flag or "", 0), r.date or "", r.label or "")
    )
    rows = [(_row(r, reference), r.flag) for r in order]
    mine = [
        (n, Event(e.date, shown(e.text), e.patient))
        for n, e in enumerate(events, start=1)
        if e.patient is None or e.patient == person.patient
    ]
    hidden = []
    if person.hidden_results:
        hidden.append(
            f"{person.hidden_results} more results of this patient are not drawn; "
            "--format csv or json gives every record."
        )
    if person.hidden_normal:
        hidden.append(f"{person.hidden_normal} normal results not shown (--only-flagged).")
    return PersonView(
        patient=shown(person.patient),
        about=shown(_about(records)),
        dates=_dates(records),
        flagged=[row for row, flag in rows if flag != "normal"],
        others=[row for row, flag in rows if flag == "normal"],
        trends=_trends(records, reference, mine),
        events=mine,
        notes=_notes(order, reference),
        warnings=[shown(line) for line in person.warnings.lines()],
        more_warnings=person.warnings.more,
        problems=person.problems.lines(),
        problem_count=person.problems.count,
        skipped=_listed(person.skipped),
        withdrawn=_listed(person.withdrawn),
        hidden=hidden,
    )
