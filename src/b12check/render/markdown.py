"""``--format markdown``: a table to paste into a message to a clinician, then the notes.

Text from input is escaped so that a pasted link, image or HTML shows as text.
"""

from typing import IO, Final

from b12check.core.lazyre import LazyPattern
from b12check.core.records import Record, Summary
from b12check.core.refdata import Reference
from b12check.core.vocab import DISCLAIMER, STATUS_ERROR, STATUS_SKIPPED, WITHDRAWN_REASON
from b12check.render.base import Writer
from b12check.render.cells import escape_undecodable, note_text, result_text
from b12check.render.people import Warnings, band_cell, is_withdrawn
from b12check.render.safe import visible

_MD_SPECIAL: Final = LazyPattern(r"[\\`*_\[\]<>|~#&!]|(?<=[A-Za-z]):(?=//)|(?<=[Ww]{3})\.")


def markdown_text(text: str) -> str:
    """A cell or line of Markdown output that shows ``text`` literally."""
    shown = visible(escape_undecodable(text))
    if shown.isalnum():
        return shown
    return _MD_SPECIAL.sub(r"\\\g<0>", shown)


class MarkdownWriter(Writer):
    """A table a person can paste into a message to a clinician, then notes and the disclaimer."""

    HEADER = ("Patient", "Date", "Test", "Result", "Flag", "Reference band", "Source")

    def __init__(
        self, out: IO[str], reference: Reference | None = None, *, only_flagged: bool = False
    ) -> None:
        self.out = out
        self.reference = reference
        self.warnings = Warnings(reference)
        self.only_flagged = only_flagged
        self.hidden_normal = 0
        self.notes: dict[str, list[str]] = {}
        self.problems: list[str] = []
        self.skipped: list[str] = []
        self.withdrawn: list[str] = []  # skipped because the lab withdrew them
        self.rows = 0

    def write(self, record: Record) -> None:
        self.warnings.add(record)
        if record.status == STATUS_ERROR:
            self.problems.append(f"{record.place()}: {record.reason}")
            return
        if record.status == STATUS_SKIPPED:
            withdrawn = is_withdrawn(record)
            (self.withdrawn if withdrawn else self.skipped).append(record.label or "?")
            return
        if self.only_flagged and record.flag == "normal":
            self.hidden_normal += 1
            return
        if self.rows == 0:
            self.out.write("| " + " | ".join(self.HEADER) + " |\n")
            self.out.write("|" + "---|" * len(self.HEADER) + "\n")
        self.rows += 1
        result = result_text(record.value_text, record.unit)
        flag = record.flag or ""
        if record.band_label and record.band_label != flag.replace("_", " "):
            flag = f"{flag} ({record.band_label})"
        cells = (
            record.patient or "",
            record.date or "",
            record.label or "",
            result,
            flag,
            band_cell(record, self.reference),
            record.band_source or record.reason or "",
        )
        self.out.write("| " + " | ".join(markdown_text(c) for c in cells) + " |\n")
        key = f"{record.label} ({record.flag})"
        for note in record.notes:
            self.notes.setdefault(key, [])
            line = note_text(note)
            if line not in self.notes[key]:
                self.notes[key].append(line)

    def close(self, summary: Summary) -> None:
        out = self.out
        if self.rows == 0:
            out.write("No results.\n")
        if self.notes:
            out.write("\n**Notes**\n\n")
            for key, lines in self.notes.items():
                for line in lines:
                    out.write(f"- {markdown_text(key)}: {markdown_text(line)}\n")
        if self.warnings.where:
            out.write("\n**Warnings**\n\n")
            for line in self.warnings.lines():
                out.write(f"- {markdown_text(line)}\n")
            if self.warnings.more:
                out.write(f"- … and {self.warnings.more} more warnings\n")
        if self.problems:
            out.write("\n**Values that could not be read**\n\n")
            for line in self.problems:
                out.write(f"- {markdown_text(line)}\n")
        if self.skipped:
            out.write(
                f"\nSkipped (not covered): {markdown_text(', '.join(sorted(set(self.skipped))))}\n"
            )
        if self.withdrawn:
            listed = markdown_text(", ".join(sorted(set(self.withdrawn))))
            out.write(f"\nSkipped ({WITHDRAWN_REASON}): {listed}\n")
        if self.hidden_normal:
            out.write(f"\n{self.hidden_normal} normal results not shown (--only-flagged).\n")
        out.write(f"\n{summary.one_line()}\n\n*{DISCLAIMER}*\n")
