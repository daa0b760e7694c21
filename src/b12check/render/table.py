"""The table people read at a terminal (rich). Colour only on a terminal, never with NO_COLOR.

Every piece of input text goes in as ``rich.text.Text`` after control characters are made
visible, with markup, emoji codes and highlighting off, so nothing from a file can style,
hide or act on the terminal. At most ``MAX_ROWS`` results are drawn; the rest are counted.
"""

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from b12check.records import Record, Summary
from b12check.refdata import Reference
from b12check.render.cells import note_text, result_text
from b12check.render.gauge import FLAG_STYLES, gauge_segments
from b12check.render.safe import visible
from b12check.render.writers import Writer, band_text
from b12check.vocab import DISCLAIMER, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED

MAX_ROWS = 1000
MAX_PROBLEMS_SHOWN = 20


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Leave a closed pipe to the CLI, which ends quietly with its documented status."""
        raise BrokenPipeError


def make_console(out: IO[str], *, stderr: bool = False) -> Console:
    return _Console(
        file=out,
        markup=False,
        emoji=False,
        highlight=False,
        stderr=stderr,
        soft_wrap=False,
    )


class TableWriter(Writer):
    def __init__(self, out: IO[str], reference: Reference | None = None) -> None:
        self.console = make_console(out)
        self.reference = reference
        self.results: list[Record] = []
        self.hidden = 0
        self.problems: list[Record] = []
        self.problem_count = 0
        self.skipped: dict[str, int] = {}

    def write(self, record: Record) -> None:
        if record.status == STATUS_RESULT:
            if len(self.results) < MAX_ROWS:
                self.results.append(record)
            else:
                self.hidden += 1
        elif record.status == STATUS_ERROR:
            self.problem_count += 1
            if len(self.problems) < MAX_PROBLEMS_SHOWN:
                self.problems.append(record)
        elif record.status == STATUS_SKIPPED:
            label = visible(record.label or "?")
            self.skipped[label] = self.skipped.get(label, 0) + 1

    def _gauge(self, record: Record) -> Text:
        if self.reference is None or record.value is None or not record.analyte:
            return Text("")
        analyte = self.reference.analytes.get(record.analyte)
        if analyte is None:
            return Text("")
        text = Text()
        for piece, flag in gauge_segments(analyte, record.sex, record.value, record.comparator):
            style = "bold" if flag == "marker" else FLAG_STYLES.get(flag, "")
            text.append(piece, style=style)
        return text

    def _test_name(self, record: Record) -> str:
        analyte = self.reference.analytes.get(record.analyte or "") if self.reference else None
        return analyte.short_name if analyte else record.label or ""

    def _table(self) -> Table:
        with_patient = any(r.patient for r in self.results)
        with_date = any(r.date for r in self.results)
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        if with_patient:
            table.add_column("Patient", overflow="fold")
        if with_date:
            table.add_column("Date", no_wrap=True)
        table.add_column("Test", overflow="fold")
        table.add_column("Result", overflow="fold")
        table.add_column("Flag", no_wrap=True)
        table.add_column("Gauge", no_wrap=True)
        table.add_column("Band", overflow="fold")
        ordered = sorted(self.results, key=lambda r: (r.patient or "", r.date or ""))
        for record in ordered:
            flag = record.flag or ""
            label = record.band_label or flag.replace("_", " ")
            cells: list[Text] = []
            if with_patient:
                cells.append(Text(visible(record.patient or "")))
            if with_date:
                cells.append(Text(visible(record.date or "")))
            result = result_text(record.value_text, record.unit)
            cells.append(Text(visible(self._test_name(record))))
            cells.append(Text(visible(result)))
            cells.append(Text(label, style=FLAG_STYLES.get(flag, "")))
            cells.append(self._gauge(record))
            cells.append(Text(band_text(record)))
            table.add_row(*cells)
        return table

    def close(self, summary: Summary) -> None:
        console = self.console
        if self.results:
            console.print(self._table())
        else:
            console.print(Text("No results."))
        if self.hidden:
            console.print(
                Text(
                    f"… {self.hidden} more results not shown; use --format csv or json "
                    "to get every record."
                )
            )
        self._print_notes()
        if self.problem_count:
            console.print(Text(f"\nCould not read {self.problem_count} value(s):", style="bold"))
            for record in self.problems:
                where = f"{record.file}:{record.line}"
                console.print(Text(visible(f"  {where}: {record.reason}")))
            if self.problem_count > len(self.problems):
                console.print(Text(f"  … and {self.problem_count - len(self.problems)} more"))
        if self.skipped:
            listed = ", ".join(
                f"{name} ×{n}" if n > 1 else name for name, n in self.skipped.items()
            )
            console.print(Text(f"\nSkipped (not covered): {listed}"))
        console.print(Text(f"\n{summary.one_line()}"))
        console.print(Text(DISCLAIMER, style="italic"))

    def _print_notes(self) -> None:
        lines: list[tuple[str, str]] = []
        seen: set[str] = set()
        for record in self.results:
            for note in record.notes:
                text = note_text(note)
                if text in seen:
                    continue
                seen.add(text)
                lines.append((visible(self._test_name(record)), text))
        if not lines:
            return
        self.console.print(Text("\nNotes", style="bold"))
        for label, text in lines:
            self.console.print(Text(f"• {label}: {visible(text)}"))
