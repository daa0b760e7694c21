"""The writer for each ``--format``; each writer's module is loaded only when it is asked for."""

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, TypeGuard

from b12check.core.refdata import Reference
from b12check.render.base import LineFormat, Writer

if TYPE_CHECKING:
    from b12check.readers.events import Event


def is_line_format(writer: Writer) -> TypeGuard[LineFormat]:
    """Whether ``writer`` writes each record as one piece of text (csv, tsv, ndjson, json),
    which the scan cache can render for it."""
    return bool(getattr(writer, "line_format", False))


def make_writer(
    fmt: str,
    out: IO[str],
    reference: Reference | None = None,
    *,
    only_flagged: bool = False,
    events: "Sequence[Event]" = (),
    events_file: str | None = None,
) -> Writer:
    """The writer for ``fmt``; ``only_flagged`` hides normal results in the human formats;
    ``events`` (read from ``events_file``) are drawn by the html format."""
    if fmt in ("csv", "tsv"):
        from b12check.render.delimited import make_delimited

        return make_delimited(fmt, out)
    if fmt == "json":
        from b12check.render.json_lines import JsonWriter

        return JsonWriter(out, reference)
    if fmt == "ndjson":
        from b12check.render.json_lines import NdjsonWriter

        return NdjsonWriter(out)
    if fmt == "fhir":
        from b12check.render.fhir_bundle import FhirWriter

        return FhirWriter(out, reference)
    if fmt == "markdown":
        from b12check.render.markdown import MarkdownWriter

        return MarkdownWriter(out, reference, only_flagged=only_flagged)
    if fmt == "html":
        from b12check.render.html_report import HtmlWriter  # jinja2 only for this format

        return HtmlWriter(
            out, reference, only_flagged=only_flagged, events=events, events_file=events_file
        )
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference, only_flagged=only_flagged)
