"""The writer for each ``--format``; each writer's module is loaded only when it is asked for."""

from typing import IO, TypeGuard

from b12check.core.refdata import Reference
from b12check.render.base import LineFormat, Writer


def is_line_format(writer: Writer) -> TypeGuard[LineFormat]:
    """Whether ``writer`` writes each record as one piece of text (csv, tsv, ndjson, json),
    which the scan cache can render for it."""
    return bool(getattr(writer, "line_format", False))


def make_writer(
    fmt: str, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
) -> Writer:
    """The writer for ``fmt``; ``only_flagged`` hides normal results in the human formats."""
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
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference, only_flagged=only_flagged)
