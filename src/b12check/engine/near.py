"""Values near a span outside of which the core warns: the core itself classifies each such
distinct observation once and renders its fields; where they are the SQL's own (the same
status, analyte, value, flag, band and reason, no notes), the SQL keeps the observation and
writes the core's warnings cell beside them. The others stay for the core to redo row by row.
"""

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from b12check.core.evaluate import evaluate
from b12check.core.records import FIELDS
from b12check.core.settings import Settings

_AT = {name: FIELDS.index(name) for name in ("status", "analyte", "warnings", "notes", "reason")}
_MID = slice(FIELDS.index("value_text"), FIELDS.index("flag_by_sex") + 1)


def key_text(values: list[str | None]) -> str:
    """The text DuckDB's to_json gives a list of texts, to match rows by."""
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def _one(writer: Any, cell: str) -> str:
    """One cell as the writer puts it in a line (csv writes a lone empty cell as "")."""
    return str(writer.join([cell])) if cell else ""


def _warnings_cell(writer: Any, record: Any, sql: tuple[str, str, str, str]) -> str | None:
    """The core's warnings cell, when its other fields are the SQL's (else None)."""
    cells = writer.cells(record)
    status, analyte, mid, reason = sql
    if cells[_AT["notes"]]:
        return None
    same = (
        _one(writer, cells[_AT["status"]]) == status
        and _one(writer, cells[_AT["analyte"]]) == analyte
        and writer.join(cells[_MID]) == mid
        and _one(writer, cells[_AT["reason"]]) == reason
    )
    return _one(writer, cells[_AT["warnings"]]) if same else None


def clear_near(
    conn: Any, settings: Settings, writer: Any, meanwhile: Callable[[], None] = lambda: None
) -> None:
    """Let the core settle the values near a span (see the module's docstring), running
    ``meanwhile`` (DuckDB work that does not depend on them) in a thread while the core
    evaluates them: DuckDB lets go of the GIL, and only that thread uses ``conn`` then."""
    near = conn.execute(
        "SELECT k_test, k_result, k_unit, test, result, unit, flag, value, k_status, "
        "k_analyte, k_mid, k_reason FROM b12_cls WHERE k_near AND NOT k_hard"
    ).fetchall()
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(meanwhile)
        clear, warned = _settle(near, settings, writer)
        other.result()
    if clear:
        conn.execute(
            "UPDATE b12_cls SET k_risky = false WHERE CAST(to_json([k_test, k_result, k_unit]) "
            "AS VARCHAR) IN (SELECT unnest(?))",
            [clear],
        )
    if warned:
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE b12_warned AS SELECT w[1] AS k, w[2] AS warn "
            "FROM (SELECT unnest(?) AS w)",
            [warned],
        )
        conn.execute(
            "UPDATE b12_cls SET k_risky = false, k_warn = b12_warned.warn FROM b12_warned "
            "WHERE CAST(to_json([k_test, k_result, k_unit]) AS VARCHAR) = b12_warned.k"
        )


def _settle(near: list[Any], settings: Settings, writer: Any) -> tuple[list[str], list[list[str]]]:
    """The keys of the near values with no warning, and those whose warnings cell the SQL
    writes (the core's own) beside its other fields."""
    clear: list[str] = []
    warned: list[list[str]] = []
    for k_test, k_result, k_unit, test, result, unit, flag, value, *sql in near:
        record = evaluate(
            settings,
            file="",
            line=0,
            name=test,
            value_text=result,
            unit_text=unit,
            unknown_is_skipped=True,
        )
        if record.flag != flag or record.value != value:
            continue
        key = key_text([k_test, k_result, k_unit])
        if not record.warnings:
            clear.append(key)
            continue
        cell = _warnings_cell(writer, record, (sql[0], sql[1], sql[2], sql[3]))
        if cell is not None:
            warned.append([key, cell])
    return clear, warned
