"""Laying out the whole HTML report and writing it through the autoescaping template.

The page: a header (patients, dates, files, ranges, overlays and guidelines used), a cohort
summary when there are more patients than are drawn, one section per patient drawn, the
problems of no one patient, the counts, and the not-medical-advice line.
"""

from importlib import resources
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from b12check import __version__
from b12check.core.errors import B12CheckError
from b12check.core.records import Summary
from b12check.core.vocab import DISCLAIMER, FLAG_SEVERITY, WITHDRAWN_REASON
from b12check.render.html_view import person_view, shown
from b12check.render.svg_gauge import flag_class

if TYPE_CHECKING:
    from b12check.render.html_report import HtmlWriter

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
WORST_LISTED = 20  # patients not drawn, listed by their worst flag


class FlagCount(NamedTuple):
    flag: str
    css: str
    patients: int


class Guideline(NamedTuple):
    test: str
    title: str
    name: str
    default: bool


def _guidelines(writer: "HtmlWriter") -> list[Guideline]:
    """The guideline each test on the page was read against."""
    reference = writer.reference
    found: dict[tuple[str, str], Guideline] = {}
    for person in writer.people.values():
        for record in person.results:
            analyte = reference.analytes.get(record.analyte or "") if reference else None
            if analyte is None or (analyte.id, record.guideline or "") in found:
                continue
            chosen = analyte.guideline(record.guideline)
            found[(analyte.id, record.guideline or "")] = Guideline(
                analyte.short_name, shown(chosen.title), shown(chosen.name), chosen.default
            )
    return list(found.values())


def _cohort(writer: "HtmlWriter") -> dict[str, Any] | None:
    """The summary of every patient's worst flag, when some patients are not drawn."""
    worst = writer.cohort.worst
    if len(worst) <= len(writer.people) and not writer.cohort.uncounted:
        return None
    tally: dict[str, int] = {}
    for flag in worst.values():
        tally[flag] = tally.get(flag, 0) + 1
    counts = [
        FlagCount(flag.replace("_", " "), flag_class(flag), n)
        for flag, n in sorted(tally.items(), key=lambda item: -FLAG_SEVERITY.get(item[0], 0))
    ]
    others = [(p, f) for p, f in worst.items() if p not in writer.people and f != "normal"]
    others.sort(key=lambda item: -FLAG_SEVERITY.get(item[1], 0))
    return {
        "patients": len(worst),
        "uncounted": writer.cohort.uncounted,
        "drawn": len(writer.people),
        "counts": counts,
        "worst": [(shown(p), f.replace("_", " "), flag_class(f)) for p, f in others[:WORST_LISTED]],
        "worst_more": max(0, len(others) - WORST_LISTED),
        "hidden_results": writer.hidden_patients_results,
    }


def page_context(writer: "HtmlWriter", summary: Summary) -> dict[str, Any]:
    reference = writer.reference
    people = [person_view(p, reference, writer.events) for p in writer.people.values()]
    drawn = set(writer.people)
    unplaced = sum(1 for e in writer.events if e.patient is not None and e.patient not in drawn)
    origins = reference.origins if reference else ("built-in",)
    return {
        "csp": CSP,
        "version": __version__,
        "people": people,
        "files": [shown(name) for name in summary.files] or ["(no input)"],
        "overlays": [shown(name) for name in origins if name != "built-in"],
        "guidelines": _guidelines(writer),
        "cohort": _cohort(writer),
        "events_file": shown(writer.events_file) if writer.events_file else "",
        "unplaced_events": unplaced,
        "problems": writer.problems.lines(),
        "problem_count": writer.problems.count,
        "skipped": ", ".join(writer.skipped),
        "withdrawn": ", ".join(writer.withdrawn),
        "withdrawn_reason": WITHDRAWN_REASON,
        "summary": shown(summary.one_line()),
        "disclaimer": DISCLAIMER,
    }


def _template() -> Any:
    try:
        import jinja2
    except ImportError:  # a core dependency: only a broken install lacks it
        raise B12CheckError(
            "--format html needs Jinja2: pip install 'jinja2>=3.1' (or reinstall b12check)"
        ) from None
    text = resources.files("b12check.render").joinpath("templates/report.html").read_text("utf-8")
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.from_string(text)


def write_page(writer: "HtmlWriter", summary: Summary, out: IO[str]) -> None:
    """Render the page into ``out`` piece by piece."""
    for piece in _template().generate(**page_context(writer, summary)):
        out.write(piece)
