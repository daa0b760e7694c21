"""``scan --engine duckdb``: which runs the engine can honour exactly; the rest go the Python
path with a note on stderr (a Parquet file, which only the engine reads, is refused)."""

import os
import sys
from typing import IO, TYPE_CHECKING

from b12check.cli.ending import echo_err
from b12check.cli.usage import UsageProblem
from b12check.render.formats import make_writer

if TYPE_CHECKING:
    from b12check.cli.commands import Common
    from b12check.readers.scanner import ScanOptions
    from b12check.render.base import Writer
    from b12check.run.filters import Keep


def _option_refusal(
    common: "Common", options: "ScanOptions", companions: tuple[object, ...]
) -> str | None:
    from b12check.cli.commands import default_notes

    if common.fmt not in ("csv", "tsv"):
        return f"--format {common.fmt}"
    if default_notes(common.fmt, common.notes) != "none":
        return "notes"
    if common.sex or common.age is not None:
        return "--sex or --age"
    if common.decimal_comma or common.thousands:
        return "--decimal-comma or --thousands"
    if options.date_format or any(companions):
        return "--date-format, --patients or --codes"
    if options.lab_ranges == "prefer":
        return "--lab-ranges prefer"
    if options.encoding and options.encoding.lower().replace("-", "") not in ("utf8", "ascii"):
        return f"--encoding {options.encoding}"
    return None


def _ours() -> tuple[type[Exception], ...]:
    from b12check.engine import duckdb_module

    duckdb = duckdb_module()
    return (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


def is_parquet(path: str) -> bool:
    if path == "-" or not os.path.isfile(path):  # (a named pipe is read once, by the scan)
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def scan_in_duckdb(
    common: "Common",
    paths: tuple[str, ...],
    options: "ScanOptions",
    out: IO[str],
    companions: tuple[str | None, str | None],
    keep: "Keep | None" = None,
    per_patient: bool = False,
) -> int | None:
    """The exit status, or None when the run goes the Python path (a note says why).
    ``keep``: --only, --analyte, pushed into the SQL; --per-patient rows are the Python
    path's."""
    from b12check.core.records import Summary
    from b12check.engine import MISSING, EngineRefused
    from b12check.readers.layout import HeaderIndex
    from b12check.readers.scanner import Scanner
    from b12check.render.safe import visible

    def notice(text: str) -> None:
        if not common.quiet:
            echo_err(visible(f"b12check: {text}"))

    parquet = any(is_parquet(p) for p in paths)
    why = "--per-patient" if per_patient else _option_refusal(common, options, companions)
    if why is None:
        settings = common.settings()
        summary = Summary(common.fail_on)
        scanner = Scanner(
            settings, HeaderIndex(settings.reference.headers), options, notice, summary.data_rows
        )
        from b12check.engine.run import scan_files

        def writer(stream: IO[str]) -> "Writer":
            return make_writer(common.fmt, stream, settings.reference)

        try:
            return scan_files(
                scanner,
                writer,
                common.fmt,
                paths,
                summary,
                notice,
                common.quiet,
                out,
                keep,
            )
        except EngineRefused as exc:
            why = str(exc)
        except Exception as exc:  # what DuckDB cannot read: the Python path still reads it
            from b12check.engine import duckdb_module

            if not isinstance(exc, duckdb_module().Error) or isinstance(exc, _ours()):
                raise
            why = f"DuckDB: {str(exc).splitlines()[0]}"
    if parquet:
        if why == MISSING:
            raise UsageProblem(MISSING)
        raise UsageProblem(f"--engine duckdb cannot read this Parquet file exactly: {why}")
    if why == MISSING:
        notice(f"{MISSING}; scanning with the Python path")
    else:
        notice(f"--engine duckdb: {why}; scanning with the Python path instead")
    sys.stderr.flush()
    return None
