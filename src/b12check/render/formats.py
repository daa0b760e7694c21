"""The writer for each ``--format``."""

from typing import IO

from b12check.core.refdata import Reference
from b12check.render.base import Writer
from b12check.render.delimited import DelimitedWriter, make_delimited
from b12check.render.json_lines import JsonWriter, NdjsonWriter
from b12check.render.markdown import MarkdownWriter

LINE_FORMATS = (JsonWriter, NdjsonWriter, DelimitedWriter)


def make_writer(
    fmt: str, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
) -> Writer:
    """The writer for ``fmt``; ``only_flagged`` hides normal results in the human formats."""
    if fmt == "json":
        return JsonWriter(out, reference)
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt in ("csv", "tsv"):
        return make_delimited(fmt, out)
    if fmt == "fhir":
        from b12check.render.fhir_bundle import FhirWriter

        return FhirWriter(out, reference)
    if fmt == "markdown":
        return MarkdownWriter(out, reference, only_flagged=only_flagged)
    from b12check.render.table import TableWriter  # rich only for people at a terminal

    return TableWriter(out, reference, only_flagged=only_flagged)
