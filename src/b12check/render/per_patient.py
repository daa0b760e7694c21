"""``scan --per-patient``: the rows of core/per_patient.py in csv, tsv, ndjson, json, markdown
or a table. Nothing is written until the input ends (a row needs every result of its pair).

The writer takes records and the scan cache's results (``observe``) like any other; what the
cache rendered is not written. csv and tsv cells go through the same formula-safe text cells
as the records; JSON through the same escaping; markdown through ``markdown_text``; the table
through ``visible``.
"""

from typing import IO, Any

from b12check.core.numbers import format_number
from b12check.core.per_patient import FIELDS, NUMERIC, PerPatient
from b12check.core.records import FastLine, Record, Summary
from b12check.core.refdata import Reference
from b12check.core.vocab import DISCLAIMER, STATUS_ERROR, STATUS_RESULT
from b12check.render.base import Writer

FORMATS = ("table", "csv", "tsv", "ndjson", "json", "markdown")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int):
        return format_number(float(value)) if isinstance(value, float) else str(value)
    return str(value)


class PerPatientWriter(Writer):
    observes = True  # every result the scan cache rendered comes through observe

    def __init__(self, fmt: str, out: IO[str], reference: Reference) -> None:
        self.fmt = fmt
        self.out = out
        analytes = list(reference.analytes.values())
        self.table = PerPatient(
            {a.id: n for n, a in enumerate(analytes)}, {a.id: a.canonical_unit for a in analytes}
        )

    def write(self, record: Record) -> None:
        if record.status == STATUS_RESULT:
            self.table.add_result(
                record.file,
                record.patient,
                record.analyte,
                record.date,
                record.value,
                record.comparator,
                record.flag,
            )
        elif record.status == STATUS_ERROR:
            self.table.add_error(record.file, record.patient, record.analyte)

    def observe(self, line: FastLine) -> None:
        self.table.add_result(
            line.file, line.patient, line.analyte, line.date, line.value, line.comparator, line.flag
        )

    def write_rendered(self, text: str) -> None:
        return None  # (the cache's text of a record: this writer writes rows, not records)

    def close(self, summary: Summary) -> None:
        rows = self.table.rows()
        if self.fmt in ("csv", "tsv"):
            self._delimited(rows)
        elif self.fmt == "ndjson":
            from b12check.render.json_lines import json_text

            for row in rows:
                self.out.write(json_text(row) + "\n")
        elif self.fmt == "json":
            self._json(rows, summary)
        elif self.fmt == "markdown":
            self._markdown(rows, summary)
        else:
            self._table(rows, summary)

    def _delimited(self, rows: Any) -> None:
        from b12check.render.delimited import make_delimited

        writer = make_delimited(self.fmt, self.out, FIELDS)
        for row in rows:
            cells = []
            for name in FIELDS:
                text = _cell_text(row[name])
                cells.append(text if name in NUMERIC or not text else writer.text_cell(text))
            self.out.write(writer.join(cells) + "\n")

    def _json(self, rows: Any, summary: Summary) -> None:
        from b12check.render.json_lines import json_text

        out = self.out
        out.write('{"per_patient": [')
        for number, row in enumerate(rows):
            out.write(",\n" if number else "\n")
            out.write(json_text(row))
        out.write("\n],\n")
        out.write(f'"summary": {json_text(summary.as_dict())},\n')
        out.write(f'"disclaimer": {json_text(DISCLAIMER)}}}\n')

    def _markdown(self, rows: Any, summary: Summary) -> None:
        from b12check.render.markdown import markdown_text

        out = self.out
        out.write("| " + " | ".join(FIELDS) + " |\n")
        out.write("|" + "---|" * len(FIELDS) + "\n")
        for row in rows:
            cells = [markdown_text(_cell_text(row[name])) for name in FIELDS]
            out.write("| " + " | ".join(cells) + " |\n")
        out.write(f"\n{summary.one_line()}\n\n*{DISCLAIMER}*\n")

    def _table(self, rows: Any, summary: Summary) -> None:
        from rich.table import Table
        from rich.text import Text

        from b12check.render.table import make_console, shower

        console = make_console(self.out)
        show = shower(console)
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        for title in ("Patient", "Test", "Results", "First", "Last", "Latest", "Flag", "Worst"):
            table.add_column(title, overflow="fold", no_wrap=title not in ("Patient", "Test"))
        for row in rows:
            latest = _cell_text(row["latest_value"])
            if row["latest_value"] is not None:
                latest = f"{row['latest_comparator'] or ''}{latest} {row['canonical_unit'] or ''}"
            patient = row["patient"] or f"({row['file']})"
            cells = [
                patient,
                row["analyte"],
                str(row["results"]),
                _cell_text(row["first_date"]),
                _cell_text(row["last_date"]),
                latest.strip(),
                _cell_text(row["latest_flag"]).replace("_", " "),
                _cell_text(row["worst_flag"]).replace("_", " "),
            ]
            table.add_row(*(Text(show(cell)) for cell in cells))
        console.print(table)
        console.print(Text(show(summary.one_line())))
        console.print(Text(DISCLAIMER, style="italic"))
