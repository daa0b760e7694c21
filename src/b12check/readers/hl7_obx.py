"""One OBX segment to one record, through the same core as a CSV row.

OBX-2 says how to read OBX-5: ``NM`` a number (``250``, and the ``<5`` some senders put
there), ``SN`` a structured number (``<^5``, ``>=^2000``, ``^12``; a range ``^10^-^20``, a
ratio ``^1^:^128`` or ``^2^+`` is not one value and is an error for a covered test), ``ST``
(also ``TX``, ``FT``) a text read as a CSV cell is. OBX-3 names the test (its LOINC code when
b12check knows it, else its text), OBX-6 the unit, OBX-7 the lab's range, OBX-8 its flag,
OBX-11 the status (D, W, X, N and I give a skipped record; P, S and R a warning) and OBX-14
the date.
"""

from datetime import date as Day
from functools import lru_cache

from b12check.core.evaluate import Settings, evaluate
from b12check.core.records import Record
from b12check.core.vocab import LAB_FLAG_READINGS, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.readers.context import birth_age
from b12check.readers.hl7v2 import Separators, component, components, field, hl7_date, unescape
from b12check.readers.layout import HeaderIndex
from b12check.readers.routing import known_code

NUMERIC_TYPES = ("NM", "SN")
TEXT_TYPES = ("ST", "TX", "FT", "")
SKIPPING_STATUS = {
    "D": "the lab deleted this result (OBX-11 D)",
    "W": "the lab marked this result as wrong (OBX-11 W)",
    "X": "the lab could not obtain a result (OBX-11 X)",
    "N": "not asked for (OBX-11 N)",
    "I": "the result is pending: specimen in the lab (OBX-11 I)",
}
WARNING_STATUS = {
    "P": "preliminary result (OBX-11 P): the final result may differ",
    "S": "partial result (OBX-11 S): the final result may differ",
    "R": "result entered but not verified (OBX-11 R)",
}
FINAL_STATUS = ("F", "C", "U", "A", "")
_SN_NOT_ONE_VALUE = {
    "-": "a range ({text}), not one value",
    ":": "a ratio ({text}), not a value b12check reads",
    "/": "a ratio ({text}), not a value b12check reads",
    "+": "a graded result ({text}), not a number",
}
_COMPARATORS = ("<", ">", "<=", ">=")


class Context:
    """What the PID and OBR segments before an OBX say about it."""

    __slots__ = ("patient", "birth", "birth_warning", "sex", "date", "date_warning")

    def __init__(self) -> None:
        self.patient: str | None = None
        self.birth: str | None = None  # ISO (YYYY-MM-DD when whole)
        self.birth_warning: str | None = None
        self.sex: str | None = None  # female, male, None, or a code not understood
        self.date: str | None = None  # OBR-7
        self.date_warning: str | None = None

    def set_date(self, text: str, separators: Separators) -> None:
        self.date, self.date_warning = hl7_date(component(text, separators, 1))


def record(
    settings: Settings,
    headers: HeaderIndex,
    parts: list[str],
    separators: Separators,
    context: Context,
    file: str,
    line: int,
    locator: str,
) -> Record:
    """The record of one OBX segment (its fields ``parts``, indexed as HL7 numbers them)."""
    value_type = component(field(parts, 2), separators, 1).upper()
    code_field = field(parts, 3)
    label = component(code_field, separators, 2) or component(code_field, separators, 1)
    test = test_name(settings, code_field, separators)
    value_text, problem = read_value(value_type, field(parts, 5), separators)
    date, date_warning = context.date, context.date_warning
    obx_date = component(field(parts, 14), separators, 1)
    if obx_date:
        date, date_warning = hl7_date(obx_date)
    status = component(field(parts, 11), separators, 1).upper()
    if status in SKIPPING_STATUS:
        return Record(
            STATUS_SKIPPED,
            file=file,
            line=line,
            locator=locator,
            patient=context.patient,
            date=date,
            label=label,
            value_text=value_text,
            reason=SKIPPING_STATUS[status],
        )
    unit = component(field(parts, 6), separators, 1) or component(field(parts, 6), separators, 2)
    lab_range = unescape(field(parts, 7).split(separators.repetition, 1)[0], separators).strip()
    age, age_warning = _age(context, date)
    result = evaluate(
        settings,
        file=file,
        line=line,
        name=test,
        value_text=value_text,
        unit_text=unit or None,
        patient=context.patient,
        date=date,
        sex=context.sex,
        age=age,
        lab_range=lab_range or None,
        lab_flag=lab_flag(field(parts, 8), separators),
        unknown_is_skipped=True,
    )
    result.label = label or test
    result.locator = locator
    if result.status != STATUS_SKIPPED:
        if problem is None and result.status == STATUS_ERROR:
            problem = headers.non_results.get(value_text.casefold())
        if problem is not None:
            _unreadable(result, problem)
    warnings = [
        date_warning,
        age_warning,
        context.birth_warning and f"birth {context.birth_warning}",
    ]
    if status in WARNING_STATUS:
        warnings.append(WARNING_STATUS[status])
    elif status not in FINAL_STATUS:
        warnings.append(f"result status {status!r} (OBX-11) not understood")
    result.warnings.extend(w for w in warnings if w)
    return result


def test_name(settings: Settings, code_field: str, separators: Separators) -> str:
    """The name the core looks the test up by: a LOINC code of OBX-3 (its first coding, else
    its alternate) that b12check knows or refuses, else the text, else the code."""
    code, text = component(code_field, separators, 1), component(code_field, separators, 2)
    other, other_text = component(code_field, separators, 4), component(code_field, separators, 5)
    reference = settings.reference
    return (
        known_code(reference, code)
        or known_code(reference, other)
        or text
        or other_text
        or code
        or other
    )


def read_value(value_type: str, raw: str, separators: Separators) -> tuple[str, str | None]:
    """(the value as text for the core, why it is not one readable value or None)."""
    several = separators.repetition in raw
    first = raw.split(separators.repetition, 1)[0]
    if value_type == "SN":
        text, problem = _structured(first, separators)
    else:
        text, problem = unescape(first, separators).strip(), None
        if value_type not in NUMERIC_TYPES + TEXT_TYPES:
            problem = f"a value of type {value_type} (OBX-2), not a number"
    if several and problem is None:
        problem = "OBX-5 holds several values"
    return text, problem


def _structured(raw: str, separators: Separators) -> tuple[str, str | None]:
    parts = [unescape(p, separators).strip() for p in components(raw, separators)]
    comparator, number, separator, second = (parts + ["", "", "", ""])[:4]
    text = f"{'' if comparator == '=' else comparator}{number}{separator}{second}"
    if separator or second:
        reason = _SN_NOT_ONE_VALUE.get(separator, "a structured number ({text}) not understood")
        return text, reason.format(text=text)
    if comparator not in ("", "=", *_COMPARATORS):
        return text, f"the comparator {comparator!r} (SN) is not one b12check reads"
    return text, None


def lab_flag(text: str, separators: Separators) -> str | None:
    """OBX-8: the first flag b12check can read (``H~A`` gives ``H``), else the first given."""
    flags = [
        unescape(rep.split(separators.component, 1)[0], separators).strip()
        for rep in text.split(separators.repetition)
    ]
    flags = [f for f in flags if f]
    known = [f for f in flags if f.casefold() in LAB_FLAG_READINGS]
    chosen = known or flags
    return chosen[0] if chosen else None


def _age(context: Context, date: str | None) -> tuple[float | None, str | None]:
    born = context.birth
    if born is None or len(born) != 10:
        return None, None
    if date is None or len(date) != 10:
        return None, "no readable collection date to work out the age from the birth date"
    age = _birth_age(born, date)
    if age is None:
        return None, f"birth date {born} does not fit the collection date {date}"
    return age, None


@lru_cache(maxsize=4096)
def _birth_age(born: str, date: str) -> float | None:
    # (the same birth and collection dates on every OBX of a panel)
    return birth_age(Day.fromisoformat(born), Day.fromisoformat(date))


def _unreadable(record: Record, reason: str) -> None:
    """A covered test whose OBX-5 is not one readable value: an error, nothing of a flag."""
    if record.status == STATUS_RESULT:
        record.value = record.comparator = record.flag = record.band_label = None
        record.interpretation = record.band_low = record.band_high = None
        record.band_source = record.guideline = record.flag_by_sex = None
        record.notes = []
        record.warnings = []
    record.status = STATUS_ERROR
    record.reason = reason
