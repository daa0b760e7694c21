"""What each command does, behind the thin click layer in ``cli.py``."""

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from b12check.cli.ending import echo_err
from b12check.cli.option_values import (
    check_analytes,
    check_date_format,
    check_encoding,
    companion_tables,
    html_events,
    parse_columns,
    parse_guidelines,
)
from b12check.cli.usage import UsageProblem
from b12check.core.evaluate import Settings, read_sex
from b12check.core.records import Summary
from b12check.core.refdata import load_reference
from b12check.render.base import Writer
from b12check.render.formats import make_writer
from b12check.run.exitcodes import ExitCode
from b12check.run.pipeline import run

if TYPE_CHECKING:
    from b12check.readers.fhir import FhirShortcut
    from b12check.readers.items import Item
    from b12check.readers.scanner import ScanOptions
    from b12check.run.filters import Keep


def default_notes(fmt: str, notes: str | None) -> str:
    """Brief notes for people, full ones in JSON; none by default in the streaming machine
    formats, where the same text would repeat on every one of a million rows."""
    if notes is not None:
        return notes
    if fmt in ("json", "fhir"):
        return "full"
    if fmt in ("csv", "tsv", "ndjson"):
        return "none"
    return "brief"


MACHINE_FORMATS = frozenset({"json", "ndjson", "csv", "tsv", "fhir"})


@contextmanager
def open_output(path: str, fmt: str, inputs: tuple[str, ...]) -> Iterator[IO[str]]:
    """Where the results go: stdout, or ``-o FILE`` replaced only when the run ends normally.

    Entered before any input is read, so a target that is an input, or cannot be written,
    is refused before anything happens (outfile.py).
    """
    from b12check.cli.outfile import check_stdout, replace_atomically

    if path != "-":
        with replace_atomically(path, inputs) as handle:
            yield handle
        return
    check_stdout(inputs)
    if fmt in MACHINE_FORMATS or fmt == "html":  # (the page says it is UTF-8)
        yield utf8_stdout()
    else:
        from b12check.render.encoding import for_people

        yield for_people(sys.stdout)  # a table or markdown in the characters stdout has


def utf8_stdout() -> IO[str]:
    """Machine formats are UTF-8 whatever the locale says (JSON must be, and a CSV that the
    locale's code page cannot hold would stop half-way)."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
    if encoding != "utf8" and hasattr(stream, "reconfigure"):
        stream.flush()
        stream.reconfigure(encoding="utf-8")
    return stream


class Common(NamedTuple):
    """The options ``check`` and ``scan`` share (options.py: person and output options)."""

    sex: str | None
    age: float | None
    units_system: str | None
    decimal_comma: bool
    thousands: str | None
    ranges_files: tuple[str, ...]
    fmt: str
    notes: str | None
    fail_on: str
    output: str
    only_flagged: bool
    quiet: bool
    guideline: tuple[str, ...]

    def settings(self) -> Settings:
        reference = load_reference(tuple(self.ranges_files))
        return Settings(
            reference=reference,
            sex=self.sex.lower() if self.sex else None,
            age=self.age,
            units_system=self.units_system,
            decimal_comma=self.decimal_comma,
            thousands=self.thousands,
            notes=default_notes(self.fmt, self.notes),
            guidelines=parse_guidelines(self.guideline, reference),
            # a flag typed with the value (b12=500pg/mL L) is weighed as scan's default does
            lab_ranges="show",
        )

    def make_writer(self, out: IO[str], settings: Settings, **extra: Any) -> Writer:
        return make_writer(
            self.fmt, out, settings.reference, only_flagged=self.only_flagged, **extra
        )

    def html_hint(self) -> None:
        """A page of HTML on a terminal is rarely what was meant: say how to save it."""
        if self.fmt == "html" and self.output == "-" and not self.quiet and sys.stdout.isatty():
            echo_err("b12check: writing HTML to the terminal; save it with -o report.html")


def run_check(values: tuple[str, ...], compare: bool = False, **options: Any) -> int:
    common = Common(**options)
    if compare and common.fmt == "html":
        raise UsageProblem("--compare has no html format; use table, markdown, csv or json")
    common.html_hint()
    with open_output(common.output, common.fmt, common.ranges_files) as out:
        return _check(common, values, compare, out)


def _check(common: "Common", values: tuple[str, ...], compare: bool, out: IO[str]) -> int:
    settings = common.settings()
    if not values:
        if not sys.stdin.isatty():
            raise UsageProblem(
                "no values given. Pass NAME=VALUE arguments, e.g. "
                "'b12check check b12=250pg/mL ferritin=30'; run it on a terminal with no "
                "values to be asked for each test, or use 'b12check scan -' for CSV on stdin."
            )

        import click  # (asking at a terminal: only the click application gets here)

        from b12check.cli.guided import guided_arguments

        def ask(prompt: str) -> str:
            return str(click.prompt(prompt, default="", show_default=False, err=True))

        if settings.sex is None:
            answer = ask(
                "Sex, for the sex-specific ferritin and iron ranges (female/male, Enter to skip)"
            )
            settings = settings._replace(sex=read_sex(answer))
        values = tuple(guided_arguments(settings, ask=ask, say=echo_err))
        if not values:
            echo_err("Nothing entered.")
            raise click.exceptions.Exit(ExitCode.OK)  # (an -o file keeps what it had)
    from b12check.readers.typed import typed_records

    records = typed_records(settings, values)
    if compare:
        from b12check.cli.compare import run_compare

        return run_compare(
            settings,
            records,
            values,
            out,
            fmt=common.fmt,
            fail_on=common.fail_on,
            quiet=common.quiet,
        )
    writer = common.make_writer(out, settings)
    return run(records, writer, Summary(common.fail_on), quiet=common.quiet)


def run_explain(analyte: str, fmt: str, ranges_files: tuple[str, ...]) -> int:
    """``explain ANALYTE``: names, units, bands with sources and notes of one test."""
    from b12check.render.explain import write_explain

    write_explain(load_reference(tuple(ranges_files)), analyte, fmt, sys.stdout)
    return ExitCode.OK


def run_scan(
    files: tuple[str, ...],
    *,
    columns: tuple[str, ...],
    layout: str | None,
    delimiter: str | None,
    encoding: str | None,
    date_format: str | None,
    lab_ranges: str = "show",
    patients: str | None = None,
    codes: str | None = None,
    show_layout: bool = False,
    events_file: str | None = None,
    only: str | None = None,
    analytes: tuple[str, ...] = (),
    per_patient: bool = False,
    engine: str = "python",
    **options: Any,
) -> int:
    from b12check.readers.scanner import ScanOptions
    from b12check.run.filters import Keep

    common = Common(**options)
    events = html_events(events_file, common.fmt)
    common.html_hint()
    keep = Keep(only, frozenset(analyte.strip().lower() for analyte in analytes))
    if per_patient and common.fmt in ("fhir", "html"):
        raise UsageProblem(
            f"--per-patient writes table, csv, tsv, ndjson, json or markdown, not {common.fmt}",
            "--format",
        )
    scan_options = ScanOptions(
        encoding=encoding,
        delimiter="\t" if delimiter == "tab" else delimiter,
        layout=layout,
        columns=parse_columns(columns),
        date_format=date_format,
        lab_ranges=lab_ranges,
    )
    check_encoding(encoding)
    check_date_format(date_format)
    paths = files or ("-",)
    if not files and sys.stdin.isatty():
        raise UsageProblem(
            "no file given and stdin is a terminal: name a CSV file, or pipe one in "
            "(use '-' to type CSV at the terminal, ending with Ctrl-D)"
        )
    from b12check.readers.columns import ColumnNotFound

    try:
        inputs = (*paths, *common.ranges_files, *((events_file,) if events_file else ()))
        with open_output(common.output, common.fmt, inputs) as out:
            if show_layout:
                return _show_layout(common, paths, scan_options, out, (patients, codes))
            if engine == "python":
                from b12check.cli.engine import is_parquet

                if any(is_parquet(p) for p in paths):
                    raise UsageProblem(
                        "a Parquet file is read only by --engine duckdb "
                        "(pip install 'b12check[duckdb]')"
                    )
            else:
                from b12check.cli.engine import scan_in_duckdb

                check_analytes(keep.analytes, common.settings().reference)
                companions = (patients, codes)
                done = scan_in_duckdb(
                    common, paths, scan_options, out, companions, keep, per_patient
                )
                if done is not None:
                    return done
            return _scan(
                common, paths, scan_options, out, (patients, codes), events, keep, per_patient
            )
    except ColumnNotFound as exc:
        raise UsageProblem(str(exc)) from None


def _show_layout(
    common: Common,
    paths: tuple[str, ...],
    scan_options: "ScanOptions",
    out: IO[str],
    companions: tuple[str | None, str | None],
) -> int:
    """``scan --show-layout``: what each file's columns are taken for; no value is read."""
    from b12check.readers.describe import describe
    from b12check.readers.layout import HeaderIndex
    from b12check.readers.scanner import Scanner
    from b12check.render.safe import visible

    settings = common.settings()
    headers = HeaderIndex(settings.reference.headers)
    scanner = Scanner(settings, headers, scan_options, lambda text: None, {})
    scanner.tables = companion_tables(companions, headers, settings.reference)
    for path in paths:
        for line in describe(scanner, path):
            out.write(visible(line) + "\n")
    return ExitCode.OK


def _scan(
    common: Common,
    paths: tuple[str, ...],
    scan_options: "ScanOptions",
    out: IO[str],
    companions: tuple[str | None, str | None] = (None, None),
    events: dict[str, Any] | None = None,
    keep: "Keep | None" = None,
    per_patient: bool = False,
) -> int:
    import os

    from b12check.readers.layout import HeaderIndex
    from b12check.readers.scanner import Scanner
    from b12check.render.formats import is_line_format
    from b12check.render.safe import visible
    from b12check.run.rowcache import RowCache

    typing_at_terminal = "-" in paths and sys.stdin.isatty()
    if typing_at_terminal and not common.quiet:
        echo_err("b12check: reading CSV from the terminal; end with Ctrl-D")
    settings = common.settings()
    if keep is not None:
        check_analytes(keep.analytes, settings.reference)
    if per_patient:  # (rows carry no notes: none are worked out)
        settings = settings._replace(notes="none")
    summary = Summary(common.fail_on)

    def notice(text: str) -> None:
        if not common.quiet:
            echo_err(visible(f"b12check: {text}"))

    scanner = Scanner(
        settings,
        HeaderIndex(settings.reference.headers),
        scan_options,
        notice,
        summary.data_rows,
    )
    scanner.tables = companion_tables(companions, scanner.headers, settings.reference)

    def records() -> "Iterator[Item]":
        for path in paths:
            summary.note_file(path)
            yield from scanner.scan(path)

    with ExitStack() as stack:
        # no bar over what is being typed, nor one left on the table's first line
        if not common.quiet and sys.stderr.isatty() and not typing_at_terminal:
            from b12check.render.progress import progress_on_stderr

            scanner.progress = stack.enter_context(progress_on_stderr(paths))
        writer, lines = _scan_writer(common, out, settings, per_patient, events)
        observes = writer.observes  # (json: it keeps trends of every result)
        # the cache in front of the core, unless B12CHECK_NO_CACHE=1 turns it off
        if is_line_format(lines) and os.environ.get("B12CHECK_NO_CACHE") != "1":
            # Without notes nothing needs the results one by one (no patterns, no derived
            # values); json keeps them single for its trends (it observes each), and so
            # does --per-patient, which reads each result (it needs no notes either).
            scanner.batching = settings.notes == "none" and (per_patient or not observes)
            batching = scanner.batching and not per_patient
            scanner.fast = RowCache(lines, settings, batching)
            if keep is not None and not keep.everything:
                scanner.fast.keep = keep.results_kept()  # (batches join the kept ones only)
                batching = False  # (the FHIR cache's batches would write every result)
            line_writer = lines

            def fhir_cache() -> "FhirShortcut":  # (made, and imported, for a FHIR file only)
                from b12check.run.fhircache import FhirCache

                return FhirCache(line_writer, batching)

            scanner.fhir_fast = fhir_cache
        return run(records(), writer, summary, quiet=common.quiet, keep=keep)


def _scan_writer(
    common: Common,
    out: IO[str],
    settings: Settings,
    per_patient: bool,
    events: dict[str, Any] | None = None,
) -> tuple[Writer, Writer]:
    """The writer of the run, and the line format the scan cache renders for (the same
    writer, except with --per-patient, whose rows the cache cannot render: its results'
    texts go to an ndjson writer that writes nowhere)."""
    if not per_patient:
        writer = common.make_writer(out, settings, **(events or {}))
        return writer, writer
    import io

    from b12check.render.per_patient import PerPatientWriter

    return PerPatientWriter(common.fmt, out, settings.reference), make_writer(
        "ndjson", io.StringIO()
    )
