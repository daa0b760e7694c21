"""``scan --show-layout``: what b12check makes of a file, without reading a value.

For each file: its encoding and delimiter, the layout and header line, the column each role
took and why, the columns left unread, the date order, and every distinct test label (or
test column) with what it matched or why it matched none. Plain lines; the caller makes
them terminal-safe.
"""

from collections.abc import Iterator

from b12check.readers.labels import LabelTally, match_label
from b12check.readers.layout import Layout, LayoutProblem, units_row
from b12check.readers.scanner import Scanner, first_rows
from b12check.readers.source import FileProblem, Row, open_source

DATES_KEPT = 4096  # distinct date cells read per file
ORDERS = {"dmy": "day first (d/m/y)", "mdy": "month first (m/d/y)"}


def describe(scanner: Scanner, path: str) -> Iterator[str]:
    """The lines ``--show-layout`` prints for one file (ColumnNotFound: a usage error)."""
    yield f"file: {path}"
    options = scanner.options
    try:
        source = open_source(path, encoding=options.encoding, delimiter=options.delimiter)
    except FileProblem as exc:
        yield f"  not read: {exc}"
        return
    try:
        if source.kind in ("pdf", "report"):  # not columns: lines (readers/report_records.py)
            what = "a PDF" if source.kind == "pdf" else "report text, not delimited data"
            yield f"  layout: a lab report ({what}), read line by line"
            yield "  (b12check extract lists what it finds, with page and line)"
            return
        yield f"  encoding: {source.encoding}"
        yield f"  delimiter: {source.delimiter!r}"
        for warning in source.warnings:
            yield f"  warning: {warning}"
        yield from _layout_lines(scanner, path, source.rows())
    finally:
        source.close()


def _layout_lines(scanner: Scanner, path: str, rows: Iterator[Row]) -> Iterator[str]:
    first, _ = first_rows(rows)
    try:
        layout = scanner.find(path, first)
    except LayoutProblem as exc:
        yield f"  layout: none: {exc}"
        return
    data = iter([*(r for r in first if r.line > layout.header_line), *rows])
    yield f"  layout: {layout.kind}"
    yield f"  header: line {layout.header_line}"
    if layout.kind == "wide":
        data = _units(scanner, layout, data)
    yield from _columns(layout)
    if scanner.join is not None:
        data = scanner.join.rows(data)
    tally = LabelTally(layout) if layout.kind == "long" else None
    if tally is not None:
        data = tally.counting(data)
    dates = _dates(scanner, layout, data)
    yield f"  date order: {dates}"
    if tally is not None:
        matches = tally.matches(scanner.settings.reference, scanner.reader.test_name)
        yield f"  test labels ({len(matches)}):"
        for match in matches:
            rows_text = f"{match.rows} row" if match.rows == 1 else f"{match.rows} rows"
            yield f"    {match.label!r} ({rows_text}): {match.why}"
        if tally.uncounted:
            yield f"    ({tally.uncounted} rows with further labels not counted)"
    else:
        yield f"  test columns ({len(layout.tests)}):"
        for column in layout.tests:
            unit = f" [{column.unit}]" if column.unit else ""
            if column.analyte is None:
                why = match_label(scanner.settings.reference, column.header)[1]
            else:
                why = f"{column.analyte.id} ({column.analyte.name})"
            yield f"    {column.header!r}{unit}: {why}"


def _units(scanner: Scanner, layout: Layout, data: Iterator[Row]) -> Iterator[Row]:
    first = next(data, None)
    if first is None:
        return iter(())
    with_units = (
        None if first.problem else units_row(first.cells, layout, scanner.settings.reference)
    )
    if with_units is None:
        return iter([first, *data])
    layout.tests = with_units
    return data


def _columns(layout: Layout) -> Iterator[str]:
    yield "  columns:"
    used = set()
    for role, position in sorted(layout.roles.items(), key=lambda item: item[1]):
        if role == "joined":
            continue
        used.add(position)
        choice = layout.choices.get(role)
        why = f": {choice.reason}" if choice else ""
        yield f"    {role}: {layout.headers[position].strip()!r} (column {position + 1}){why}"
    used.update(column.position for column in layout.tests)
    used.update(layout.read_through)
    unread = [
        repr(header.strip())
        for position, header in enumerate(layout.headers[: layout.file_width])
        if position not in used and header.strip()
    ]
    if unread:
        yield f"    not read: {', '.join(unread)}"


def _dates(scanner: Scanner, layout: Layout, data: Iterator[Row]) -> str:
    """Reads every row (so the labels are all counted) and says how dates are read."""
    at = layout.roles.get("date")
    seen: dict[str, None] = {}  # in file order: the first telling date settles the order
    for row in data:
        if at is not None and at < len(row.cells) and len(seen) < DATES_KEPT:
            seen[row.cells[at].strip()] = None
    if at is None:
        return "no date column"
    if scanner.options.date_format:
        return f"as --date-format says ({scanner.options.date_format})"
    dates = scanner.dates
    dates.start_file()
    for text in seen:
        dates.learn_date_order(text)
    order = ORDERS.get(dates.date_order or "", "not settled by the file (ISO dates need none)")
    unread = sorted(text for text in seen if text and dates.read_date(text)[1])
    if unread:
        shown = ", ".join(repr(text) for text in unread[:5])
        return f"{order}; {len(unread)} date(s) not understood, e.g. {shown}"
    return order
