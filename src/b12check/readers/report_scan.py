"""A report's records, from a PDF's text layer or from report text (``Source.kind``
"pdf" or "report"): the lines (``report_pdf``, ``report_text``) read by ``ReportReader``."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from b12check.core.evaluate import Settings
from b12check.core.records import Record
from b12check.core.vocab import STATUS_ERROR
from b12check.readers.context import RowDates
from b12check.readers.layout import HeaderIndex
from b12check.readers.report_records import ReportReader
from b12check.readers.report_text import ReportLine, report_lines
from b12check.readers.row import Row

if TYPE_CHECKING:
    from b12check.readers.source import Source


def read_report(
    settings: Settings,
    headers: HeaderIndex,
    dates: RowDates,
    source: "Source",
    data_rows: dict[str, int],
) -> Iterator[Record]:
    """The records of a report: a PDF's text layer or report text (``Source.kind`` "pdf" or
    "report"). A PDF that cannot be read, and a report in which nothing was found, is one
    error record. ``data_rows[source.name]`` counts the lines that gave a record."""
    name = source.name
    reader = ReportReader(settings, headers, dates, name)
    if source.kind == "pdf":
        from b12check.readers.report_pdf import PdfProblem, pdf_bytes, pdf_lines

        try:
            lines: list[ReportLine] = list(pdf_lines(pdf_bytes(source.chunks())))
        except (PdfProblem, OSError) as exc:
            yield Record(STATUS_ERROR, file=name, line=0, reason=f"{exc}; nothing in it was read")
            return
        yield from reader.records(lines)
    else:
        stopped: list[Row] = []
        yield from reader.records(_text_lines(source, stopped))
        for row in stopped:
            yield Record(STATUS_ERROR, file=name, line=row.line, reason=row.problem)
    data_rows[name] = data_rows.get(name, 0) + reader.found
    if not reader.found:
        yield Record(
            STATUS_ERROR,
            file=name,
            line=0,
            reason="read as a lab report, but no result line was found in it "
            "(a line naming a test with its value, or a table with a Test and a Result column)",
        )


def _text_lines(source: "Source", stopped: list[Row]) -> Iterator[ReportLine]:
    for item in report_lines(source.lines()):
        if isinstance(item, Row):
            stopped.append(item)
        else:
            yield item
