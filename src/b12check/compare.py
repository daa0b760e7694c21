"""``check --compare``: each typed value's flag under every guideline shipped for its test."""

import json
from typing import IO, Any

from b12check.evaluate import Settings, evaluate
from b12check.records import Record
from b12check.render.writers import band_text
from b12check.typed import TYPED_FILE, split_argument
from b12check.vocab import DISCLAIMER, STATUS_RESULT


def comparisons(
    settings: Settings, records: list[Record], arguments: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for record, argument in zip(records, arguments, strict=True):
        parts = split_argument(argument)
        if record.status != STATUS_RESULT or parts is None or not record.analyte:
            continue
        analyte = settings.reference.analytes[record.analyte]
        titles = {analyte.default_guideline: "default bands"}
        titles.update({name: g.title for name, g in analyte.guidelines.items()})
        for name, title in titles.items():
            again = evaluate(
                settings._replace(guidelines=(("*", name),), notes="none"),
                file=TYPED_FILE,
                line=record.line,
                name=parts[0],
                value_text=parts[1],
            )
            rows.append(
                {
                    "line": record.line,
                    "analyte": again.analyte,
                    "value_text": again.value_text,
                    "guideline": name,
                    "title": title,
                    "flag": again.flag,
                    "band_label": again.band_label,
                    "band": band_text(again),
                    "band_source": again.band_source,
                }
            )
    return rows


def write_comparisons(rows: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    if fmt in ("json", "ndjson"):
        out.write(json.dumps({"comparisons": rows, "disclaimer": DISCLAIMER}, ensure_ascii=False))
        out.write("\n")
        return
    from rich.table import Table
    from rich.text import Text

    from b12check.render.gauge import FLAG_STYLES
    from b12check.render.safe import visible
    from b12check.render.table import make_console

    console = make_console(out)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Value", "Guideline", "Flag", "Band", "Source"):
        table.add_column(column, overflow="fold", no_wrap=column == "Guideline")
    for row in rows:
        flag = row["flag"] or ""
        table.add_row(
            Text(visible(f"{row['analyte']}={row['value_text']}")),
            Text(row["guideline"]),
            Text(row["band_label"] or flag.replace("_", " "), style=FLAG_STYLES.get(flag, "")),
            Text(row["band"]),
            Text(visible(row["band_source"] or "")),
        )
    console.print(table)
    console.print(Text(DISCLAIMER, style="italic"))
