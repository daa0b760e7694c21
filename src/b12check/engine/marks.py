"""The rows the Python core redoes, marked in place: ``b12_odd`` in b12_raw and, for a wide
file, in each of the row's observations (b12_wobs). A row goes to the core whole for a cell
the SQL does not render as the core would (a cell checked once per distinct value of its
column, or a date the core reads otherwise), an observation the SQL cannot render, or a lab
range the core warns about."""

from typing import Any

from b12check.core.labpolicy import usable_range
from b12check.core.records import Record
from b12check.core.settings import Settings
from b12check.core.vocab import STATUS_RESULT
from b12check.engine.lines import FRAGMENTS, JOIN
from b12check.engine.near import key_text
from b12check.engine.plan import Plan
from b12check.engine.query import BY_VALUE, OBSERVATIONS, odd_values_sql
from b12check.readers.dates import normalise_date


class Marks:
    """Marks the rows of one run's tables (``table``: its table of observations)."""

    def __init__(self, conn: Any, table: str) -> None:
        self.conn = conn
        self.table = table

    def cells(self, plan: Plan, fmt: str) -> set[str]:
        """Mark the rows with a patient, lab range or lab flag that is not plain, or a date
        not written as the core writes it; returns the roles of those cells none of whose
        other values a CSV line quotes (they are written as they are)."""
        plain: set[str] = set()
        for role in BY_VALUE:
            at = plan.layout.roles.get(role)
            if at is not None:
                odd, quoted = self.conn.execute(odd_values_sql(at, fmt)).fetchone()
                self.values(at, odd)
                if not quoted:
                    plain.add(role)
        date = plan.layout.roles.get("date")
        if date is not None:
            dates = [
                d
                for (d,) in self.conn.execute(
                    f"SELECT DISTINCT c{date} FROM b12_raw WHERE NOT b12_odd AND c{date} <> ''"
                ).fetchall()
            ]
            odd = [d for d in dates if normalise_date(d) != (d, None)]
            self.values(date, odd)
            if not any("," in d or '"' in d for d in set(dates).difference(odd)):
                plain.add("date")
        return plain

    def risky(self, plan: Plan, settings: Settings, lab_ranges: str) -> None:
        """Mark the rows of an observation the SQL cannot render, or of a lab range the core
        warns about (``lab_ranges``: the run's policy)."""
        if self.conn.execute(f"SELECT bool_or(k_redo) FROM {FRAGMENTS}").fetchone()[0]:
            self.rows(
                f"SELECT b12_row FROM {OBSERVATIONS} WHERE NOT b12_odd AND b12_kid IN "
                f"(SELECT b12_kid FROM {FRAGMENTS} WHERE k_redo)"
            )
        if lab_ranges == "ignore" or "lab_range" not in plan.layout.roles:
            return
        # (the distinct lab ranges of each distinct observation first: one number and one
        # text a row, then the few pairs joined)
        combos = self.conn.execute(
            "SELECT DISTINCT v.analyte, v.unit, o.lab_range FROM (SELECT DISTINCT b12_kid, "
            f"lab_range FROM {OBSERVATIONS} WHERE NOT b12_odd AND lab_range IS NOT NULL) o "
            f"JOIN {FRAGMENTS} v ON o.b12_kid = v.b12_kid WHERE v.status = 'result'"
        ).fetchall()
        bad = []
        for analyte, unit, lab_range in combos:
            record = Record(
                STATUS_RESULT,
                "",
                0,
                analyte=analyte,
                unit=unit,
                lab_range=lab_range,
                value_text="1",
                value=1.0,
            )
            record.warnings = []
            usable_range(record, settings.reference, None)
            if record.warnings:
                bad.append(key_text([analyte, unit, lab_range]))
        if bad:
            self.conn.execute(
                "CREATE OR REPLACE TEMP TABLE b12_bad AS SELECT unnest(?) AS k", [bad]
            )
            self.rows(
                f"SELECT o.b12_row {JOIN} WHERE NOT o.b12_odd AND v.status = 'result' AND "
                "CAST(to_json([v.analyte, v.unit, o.lab_range]) AS VARCHAR) IN "
                "(SELECT k FROM b12_bad)"
            )

    def values(self, column: int, values: list[str]) -> None:
        """The rows whose cell in ``column`` is one of ``values`` go to the core."""
        if values:
            self.rows(
                f"SELECT rowid + 1 AS b12_row FROM b12_raw WHERE c{column} IN (SELECT unnest(?))",
                [values],
            )

    def rows(self, query: str, parameters: list[Any] | None = None) -> None:
        """The rows ``query`` gives (b12_row) go to the core, whole (in b12_raw, and each of
        a wide row's observations: every mark goes through here)."""
        self.conn.execute(
            f"CREATE OR REPLACE TEMP TABLE b12_marked AS SELECT DISTINCT b12_row FROM ({query})",
            parameters,
        )
        self.conn.execute(
            "UPDATE b12_raw SET b12_odd = true WHERE rowid + 1 IN (SELECT b12_row FROM b12_marked)"
        )
        if self.table != "b12_raw":
            self.conn.execute(
                f"UPDATE {self.table} SET b12_odd = true "
                "WHERE b12_row IN (SELECT b12_row FROM b12_marked)"
            )
