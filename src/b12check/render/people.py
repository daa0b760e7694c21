"""What the formats for people (table, markdown) show of fields scripts read from the records:
the band in the result's own unit too, the flag each sex would get, and the warnings."""

from b12check.core.numbers import format_number
from b12check.core.records import Record
from b12check.core.refdata import Reference
from b12check.core.vocab import STATUS_RESULT, WITHDRAWN_REASON
from b12check.render.base import band_text

MAX_WARNINGS_SHOWN = 20  # distinct warnings
PLACES_SHOWN = 3  # values named for each


def is_withdrawn(record: Record) -> bool:
    """A skipped record of a result the lab withdrew (FHIR entered-in-error, HL7 OBX-11 D/W),
    listed apart from tests b12check does not cover."""
    return (record.reason or "").endswith(WITHDRAWN_REASON)


def _own_unit_band(record: Record, reference: Reference | None) -> str:
    """The record's band in the unit the result was given in ('30–50 nmol/L'), or '' when
    that unit is unknown, not one of the test's, or gives the same numbers as the canonical
    one (ferritin's ng/mL and µg/L)."""
    if reference is None or not record.analyte or not record.unit:
        return ""
    analyte = reference.analytes.get(record.analyte)
    unit = reference.unit_code(record.unit.strip())
    if analyte is None or unit is None or unit == analyte.canonical_unit:
        return ""
    if analyte.factors.get(unit, 1.0) == 1.0:  # not the test's, or the same numbers (ng/mL, µg/L)
        return ""

    def edge(value: float) -> str:
        return format_number(float(f"{analyte.edge_in(unit, value, record.guideline):.4g}"))

    low, high = record.band_low, record.band_high
    if low is None and high is None:
        return ""
    if low is None:
        return f"< {edge(high or 0)} {unit}"
    if high is None:
        return f"> {edge(low)} {unit}"
    return f"{edge(low)}–{edge(high)} {unit}"


def band_cell(record: Record, reference: Reference | None) -> str:
    """'12–20 ng/mL (30–50 nmol/L)' for a result given in nmol/L; for a value the sexes would
    flag differently, what each would get ('female: high, male: normal')."""
    if record.status != STATUS_RESULT:
        return ""
    text = band_text(record)
    if text:
        own = _own_unit_band(record, reference)
        return f"{text} ({own})" if own else text
    if record.flag_by_sex:
        return ", ".join(
            f"{sex}: {flag.replace('_', ' ')}" for sex, flag in record.flag_by_sex.items()
        )
    return ""


def shown_name(record: Record, reference: Reference | None) -> str:
    """The test's short name where it is known, else the label as given."""
    analyte = reference.analytes.get(record.analyte or "") if reference else None
    return analyte.short_name if analyte else record.label or ""


class Warnings:
    """The warnings of the records written, as lines for people: each distinct warning once,
    with the first few values it was given for (test and place), up to
    ``MAX_WARNINGS_SHOWN`` warnings; ``more`` counts the distinct warnings left out."""

    def __init__(self, reference: Reference | None) -> None:
        self.reference = reference
        self.where: dict[str, list[str]] = {}
        self.count: dict[str, int] = {}
        self.more = 0

    def add(self, record: Record) -> None:
        for warning in record.warnings:
            if warning not in self.where:
                if len(self.where) >= MAX_WARNINGS_SHOWN:
                    self.more += 1
                    continue
                self.where[warning] = []
                self.count[warning] = 0
            self.count[warning] += 1
            if len(self.where[warning]) < PLACES_SHOWN:
                label = shown_name(record, self.reference)
                self.where[warning].append(f"{label} ({record.place()})")

    def lines(self) -> list[str]:
        """'Vitamin D (argv:1): 120 ng/mL is unusual …', 'B12 (a.csv:2), … and 3 more: …'."""
        out = []
        for warning, places in self.where.items():
            left = self.count[warning] - len(places)
            where = ", ".join(places) + (f" and {left} more" if left else "")
            out.append(f"{where}: {warning}")
        return out
