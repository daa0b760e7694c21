"""The table people read at a terminal (rich). Colour only on a terminal, never with NO_COLOR.

Every piece of input text goes in as ``rich.text.Text`` after ``visible()`` (control, escape,
bidi, zero-width and tag characters shown as placeholders), with markup, emoji codes and
highlighting off, so nothing from a file can style, hide or act on the terminal. On a stream
whose encoding is not UTF the text is also given the encoding's own characters before it is
laid out (render/encoding.py). At most ``MAX_ROWS`` results are drawn; the rest are counted.
"""

from collections.abc import Callable
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from b12check.core.numbers import format_number
from b12check.core.records import Record, Summary
from b12check.core.refdata import Reference
from b12check.core.trends import is_iso_date
from b12check.core.vocab import (
    DISCLAIMER,
    FLAG_SEVERITY,
    STATUS_ERROR,
    STATUS_RESULT,
    STATUS_SKIPPED,
    WITHDRAWN_REASON,
)
from b12check.render.base import Writer
from b12check.render.cells import note_text, result_text
from b12check.render.encoding import fitter, for_people
from b12check.render.gauge import FLAG_STYLES, gauge_segments
from b12check.render.people import Warnings, band_cell, is_withdrawn, shown_name
from b12check.render.safe import visible

MAX_ROWS = 1000
NARROW = 60  # below this many columns the gauge and band columns are left out
SPARKS = "▁▂▃▄▅▆▇█"
SEVERITY = FLAG_SEVERITY  # flagged results first: the order defined with the flags


def sparkline(values: list[float]) -> str:
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in values)


def trend_line(patient: str, test: str, points: list[Record]) -> str:
    """'P001 B12: 238 → 402 pg/mL (+164, up) ▁█; borderline → normal (2025-01-15 … 2025-08-05)'."""
    first, last = points[0], points[-1]
    values = [float(f"{p.value:.4g}") for p in points if p.value is not None]
    change = values[-1] - values[0]
    direction = "up" if change > 0 else "down" if change < 0 else "no change"
    unit = first.canonical_unit or ""
    flags = f"{first.flag} → {last.flag}" if first.flag != last.flag else f"{first.flag}, unchanged"
    who = f"{patient} " if patient else ""
    return (
        f"{who}{test}: {format_number(values[0])} → {format_number(values[-1])} {unit} "
        f"({'+' if change > 0 else ''}{format_number(round(change, 4))}, {direction}) "
        f"{sparkline(values)}; {flags.replace('_', ' ')} ({first.date} … {last.date})"
    )


MAX_PROBLEMS_SHOWN = 20


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Leave a closed pipe to the CLI, which ends quietly with its documented status."""
        raise BrokenPipeError


FALLBACK_WIDTH = 80  # when the width is unknown or nonsense (COLUMNS=0)
MIN_WIDTH = 40  # narrower, rich folds the narrow table's cells until letters are lost
MAX_WIDTH = 1000


def sane_width(width: int) -> int:
    """The width to lay out for, given the one rich found (from COLUMNS or the terminal)."""
    if width < 1:
        return FALLBACK_WIDTH
    return min(max(width, MIN_WIDTH), MAX_WIDTH)


def make_console(out: IO[str], *, stderr: bool = False) -> Console:
    """A console for people: no markup, emoji or highlighting; a width that can lay out a
    table; a stream that replaces what its encoding lacks instead of raising."""
    console = _Console(
        file=for_people(out),
        markup=False,
        emoji=False,
        highlight=False,
        stderr=stderr,
        soft_wrap=False,
    )
    width = console.width
    if sane_width(width) != width:
        console.width = sane_width(width)
    return console


def shower(console: Console) -> Callable[[str], str]:
    """``visible()``, then only characters the console's encoding has."""
    fit = fitter(console.encoding)

    def show(text: str) -> str:
        return fit(visible(text))

    return show


class TableWriter(Writer):
    def __init__(
        self, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
    ) -> None:
        self.console = make_console(out)
        self.show = shower(self.console)  # every text from outside goes through this
        self.fit = fitter(self.console.encoding)  # b12check's own text (→, ●, —) through this
        self.only_flagged = only_flagged
        self.hidden_normal = 0
        self.reference = reference
        self.results: list[Record] = []
        self.hidden = 0
        self.problems: list[Record] = []
        self.problem_count = 0
        self.skipped: dict[str, int] = {}
        self.warnings = Warnings(reference)
        self.withdrawn: dict[str, int] = {}  # skipped because the lab withdrew them

    def write(self, record: Record) -> None:
        self.warnings.add(record)
        if record.status == STATUS_RESULT:
            if self.only_flagged and record.flag == "normal":
                self.hidden_normal += 1
            elif len(self.results) < MAX_ROWS:
                self.results.append(record)
            else:
                self.hidden += 1
        elif record.status == STATUS_ERROR:
            self.problem_count += 1
            if len(self.problems) < MAX_PROBLEMS_SHOWN:
                self.problems.append(record)
        elif record.status == STATUS_SKIPPED:
            label = self.show(record.label or "?")
            withdrawn = is_withdrawn(record)
            kept = self.withdrawn if withdrawn else self.skipped
            kept[label] = kept.get(label, 0) + 1

    def _line(self, text: str, style: str = "") -> None:
        """Print one line of b12check's own words (outside text in it already shown)."""
        self.console.print(Text(self.fit(text), style=style))

    def _gauge(self, record: Record) -> Text:
        if self.reference is None or record.value is None or not record.analyte:
            return Text("")
        analyte = self.reference.analytes.get(record.analyte)
        if analyte is None:
            return Text("")
        text = Text()
        pieces = gauge_segments(
            analyte, record.sex, record.value, record.comparator, record.guideline, record.age
        )
        for piece, flag in pieces:
            style = "bold" if flag == "marker" else FLAG_STYLES.get(flag, "")
            text.append(self.fit(piece), style=style)
        return text

    def _test_name(self, record: Record) -> str:
        return shown_name(record, self.reference)

    def _table(self, records: list[Record]) -> Table:
        """Test, result, flag, gauge and band; on a narrow terminal (under ``NARROW``
        columns) just test, result and flag, so nothing is squeezed to nothing."""
        show = self.show
        wide = self.console.width >= NARROW
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("Test", overflow="fold", min_width=4)
        table.add_column("Result", overflow="fold", min_width=5)
        table.add_column("Flag", no_wrap=wide, overflow="fold")
        if wide:
            table.add_column("Gauge", no_wrap=True)
            table.add_column("Band", overflow="fold")
        for record in records:
            flag = record.flag or ""
            label = record.band_label or flag.replace("_", " ")  # an overlay may name it
            cells = [
                Text(show(self._test_name(record))),
                Text(show(result_text(record.value_text, record.unit))),
                Text(show(label), style=FLAG_STYLES.get(flag, "")),
            ]
            if wide:
                cells += [self._gauge(record), Text(show(band_cell(record, self.reference)))]
            table.add_row(*cells)
        return table

    def _groups(self) -> list[tuple[tuple[str, str], list[Record]]]:
        """Results per patient and date (in order of first appearance), flagged first."""
        groups: dict[tuple[str, str], list[Record]] = {}
        for record in self.results:
            groups.setdefault((record.patient or "", record.date or ""), []).append(record)
        return [
            (key, sorted(records, key=lambda r: SEVERITY.get(r.flag or "", 0), reverse=True))
            for key, records in groups.items()
        ]

    def _print_results(self) -> None:
        groups = self._groups()
        if len(groups) == 1 and groups[0][0] == ("", ""):
            self.console.print(self._table(groups[0][1]))
            return
        for number, ((patient, date), records) in enumerate(groups):
            counts: dict[str, int] = {}
            for record in records:
                counts[record.flag or ""] = counts.get(record.flag or "", 0) + 1
            tally = ", ".join(
                f"{n} {flag.replace('_', ' ')}"
                for flag, n in sorted(counts.items(), key=lambda i: -SEVERITY.get(i[0], 0))
            )
            title = self.fit(" · ".join(self.show(x) for x in (patient, date) if x))
            header = Text(f"{chr(10) if number else ''}{title}", style="bold")
            header.append(self.fit(f" — {tally}"), style="")
            self.console.print(header)
            self.console.print(self._table(records))

    def _print_trends(self) -> None:
        """For a test measured on several dates for one patient: the series and its change."""
        series: dict[tuple[str, str], dict[str, Record]] = {}
        unread = 0  # results whose date was not understood: no place in a series
        for record in self.results:
            if record.date and record.analyte and record.value is not None:
                if not is_iso_date(record.date):
                    unread += 1
                    continue
                key = (record.patient or "", record.analyte)
                series.setdefault(key, {}).setdefault(record.date, record)
        lines = []
        for (patient, _), by_date in series.items():
            if len(by_date) < 2:
                continue
            points = [by_date[d] for d in sorted(by_date)]
            lines.append(trend_line(patient, self._test_name(points[0]), points))
        if lines:
            self._line("\nTrends", style="bold")
            for line in lines:
                self._line(self.show(line))
        if unread and (lines or len(self.results) > 1):
            self._line(f"({unread} result(s) with a date not understood left out of trends)")

    def close(self, summary: Summary) -> None:
        if self.results:
            self._print_results()
            self._print_trends()
        else:
            self._line("No results.")
        if self.hidden:
            self._line(
                f"… {self.hidden} more results not shown; use --format csv or json "
                "to get every record."
            )
        if self.hidden_normal:
            self._line(f"{self.hidden_normal} normal results not shown (--only-flagged).")
        self._print_notes()
        self._print_warnings()
        if self.problem_count:
            self._line(f"\nCould not read {self.problem_count} value(s):", style="bold")
            for record in self.problems:
                where = record.place()
                self._line(self.show(f"  {where}: {record.reason}"))
            if self.problem_count > len(self.problems):
                self._line(f"  … and {self.problem_count - len(self.problems)} more")
        if self.skipped:
            listed = ", ".join(
                f"{name} ×{n}" if n > 1 else name for name, n in self.skipped.items()
            )
            self._line(f"\nSkipped (not covered): {listed}")
        if self.withdrawn:
            listed = ", ".join(
                f"{name} ×{n}" if n > 1 else name for name, n in self.withdrawn.items()
            )
            self._line(f"\nSkipped ({WITHDRAWN_REASON}): {listed}")
        self._line(f"\n{self.show(summary.one_line())}")
        if summary.data_rows:
            for name, line in summary.per_file_lines():
                self._line(self.show(f"  {name}: {line}"))
        self._line(DISCLAIMER, style="italic")

    def _print_warnings(self) -> None:
        if not self.warnings.where:
            return
        self._line("\nWarnings", style="bold")
        for line in self.warnings.lines():
            self._line(f"• {self.show(line)}")
        if self.warnings.more:
            self._line(f"  … and {self.warnings.more} more warnings; --format json lists every one")

    def _print_notes(self) -> None:
        lines: list[tuple[str, str]] = []
        seen: set[str] = set()
        for record in self.results:
            for note in record.notes:
                text = note_text(note)  # an overlay's or the notes file's words
                if text in seen:
                    continue
                seen.add(text)
                lines.append((self.show(self._test_name(record)), self.show(text)))
        if not lines:
            return
        self._line("\nNotes", style="bold")
        for label, text in lines:
            self._line(f"• {label}: {text}")
