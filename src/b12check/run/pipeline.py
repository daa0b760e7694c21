"""Running records through a writer: summary counts, stderr diagnostics, exit status."""

import sys
from collections import Counter
from collections.abc import Iterable
from typing import IO

from b12check.core.records import FastBatch, FastLine, Record, Summary
from b12check.core.vocab import STATUS_ERROR
from b12check.readers.items import FastGroup, Item, SkippedLine
from b12check.render.base import Writer
from b12check.render.safe import visible
from b12check.run.exitcodes import ExitCode
from b12check.run.filters import Keep


def exit_status(summary: Summary) -> ExitCode:
    if summary.errors:
        return ExitCode.UNREADABLE
    if summary.failing:
        return ExitCode.FLAGGED
    return ExitCode.OK


def diagnostic(record: Record) -> str:
    """``FILE:LINE: [COLUMN] reason`` (``FILE: reason`` when the whole file failed)."""
    column = f" [{record.column}]" if record.column else ""
    return visible(f"{record.place()}:{column} {record.reason}")


def write_batch(batch: FastBatch, writer: Writer, summary: Summary) -> None:
    """Count and write records the cache rendered in one batch (results, skipped records)."""
    if batch.size:
        summary.add_results(batch.file, batch.flags, batch.size)
    if batch.skipped:
        summary.add_skipped(batch.file, batch.skipped)
    if batch.groups and writer.observes:
        for patient, date, results in batch.groups:
            writer.observe_group(patient, date, results)
    if batch.text:  # (with a filter, a batch may keep none of its results)
        writer.write_rendered(batch.text)


def write_group(
    group: FastGroup, writer: Writer, summary: Summary, keep: Keep | None = None
) -> None:
    """Count the members of a group the cache rendered and write those ``keep`` keeps (all
    by default), in one write."""
    members = group.members
    flags = [member.flag for member in members if isinstance(member, FastLine)]
    if flags:
        summary.add_results(group.file, Counter(flags), len(flags))
    if len(flags) < len(members):
        summary.add_skipped(group.file, len(members) - len(flags))
    if keep is not None:
        members = [member for member in members if _keeps_item(keep, member)]
        if not members:
            return
    if writer.observes:
        for member in members:
            if isinstance(member, FastLine):
                writer.observe(member)
    writer.write_rendered(writer.separator.join([member.text for member in members]))


def run(
    records: Iterable[Item],
    writer: Writer,
    summary: Summary,
    *,
    quiet: bool = False,
    err: IO[str] | None = None,
    keep: Keep | None = None,
) -> ExitCode:
    """Write every record, report errors on stderr as ``FILE:LINE: reason``, pick the status.
    With ``keep`` (``--only``, ``--analyte``) only the records it keeps are written; every
    record is still counted and every error still reported."""
    stream = None if quiet else (err if err is not None else sys.stderr)
    kept = keep if keep is not None and not keep.everything else None
    skipped_kept = kept is None or kept.keeps_skipped()
    for record in records:
        if isinstance(record, FastBatch):  # many records the cache rendered, at once
            write_batch(record, writer, summary)  # (with a filter: its kept results only)
        elif isinstance(record, FastLine):  # a result the scan's cache rendered already
            summary.add_result(record.file, record.flag)
            if kept is None or kept.keeps_line(record):
                writer.observe(record)
                writer.write_rendered(record.text)
        elif isinstance(record, FastGroup):  # a patient's results of one date, rendered
            write_group(record, writer, summary, kept)
        elif isinstance(record, SkippedLine):  # a skipped record the cache rendered
            summary.add_skipped(record.file, 1)
            if skipped_kept:
                writer.write_rendered(record.text)
        else:
            summary.add(record)
            if kept is None or kept.keeps(record):
                writer.write(record)
            if record.status == STATUS_ERROR and stream is not None:
                print(diagnostic(record), file=stream)
    writer.close(summary)
    return exit_status(summary)


def _keeps_item(keep: Keep, item: FastLine | SkippedLine) -> bool:
    if isinstance(item, FastLine):
        return keep.keeps_line(item)
    return keep.keeps_skipped()
