"""FHIR JSON input: a Bundle, a single resource, or NDJSON bulk export, to records.

Recognised by content (``looks_like_fhir``), not by file name. A file whose first line holds
a whole JSON object is read as NDJSON, one resource a line, streamed in constant memory; any
other is read whole as one JSON document (a Bundle costs several times its size in memory).
Only the standard ``json`` module and a small extractor (``fhir_walk``, ``fhir_values``) read
it, with no model validation, so one bad entry is one error record and the rest is still read.
Every value goes to the same core as a CSV row (``evaluate``).
"""

import json
from collections.abc import Hashable, Iterable, Iterator
from operator import attrgetter
from typing import IO, Any, Final, NamedTuple, Protocol

from b12check.core.depends import AgeKeys
from b12check.core.evaluate import Settings, evaluate
from b12check.core.lazyre import LazyPattern
from b12check.core.records import FIELDS, FastLine, NoteRef, Record
from b12check.core.vocab import STATUS_ERROR, STATUS_SKIPPED
from b12check.readers.context import RowDates
from b12check.readers.fhir_detect import BOM
from b12check.readers.fhir_walk import NO_CONTEXT, Found, Person, Walker
from b12check.readers.items import Item

MEMO_LIMIT: Final = 10240  # values (and dates) remembered at once
_FIELDS_OF: Final = attrgetter(*FIELDS)  # (in the order Record takes them)
_DATE: Final = LazyPattern(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T.*)?")
_PARTIAL_DATE: Final = LazyPattern(r"[0-9]{4}(?:-[0-9]{2})?")


_loads = json.loads


class FhirRedo(NamedTuple):
    """Kept in ``FastLine.row`` for a line a cache rendered: what reading it again in full
    takes (the line, its number, and the Patient it was read with, as later Patient lines
    of the file do not change a result written before them)."""

    line: bytes
    number: int
    person: Person | None


class Head(NamedTuple):
    """What ``record`` gives a top-level Observation from its subject and date (the age as
    the core's record has it)."""

    patient: str | None
    date: str | None
    sex: str | None
    age: float | None
    person: Person | None


class FhirShortcut(Protocol):
    """A cache in front of the core for NDJSON lines (run/fhircache.py)."""

    def ndjson(
        self, lines: Iterable[bytes], name: str, reader: "FhirReader", counted: dict[str, int]
    ) -> Iterator[Item]:
        """Every item of the lines, in order: rendered where the cache can, else the
        reader's own records (``line_records``, ``resource_records``)."""
        ...


def fhir_date(text: str) -> tuple[str, str | None]:
    """A FHIR date or dateTime as (YYYY-MM-DD, None), else (the text, a warning)."""
    match = _DATE.fullmatch(text)
    if match:
        from datetime import date

        try:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat(), None
        except ValueError:
            return text, f"date {text!r} is not a valid calendar date"
    if _PARTIAL_DATE.fullmatch(text):
        return text, f"date {text!r} has no day"
    return text, f"date {text!r} is not a FHIR date"


class FhirReader:
    """Reads FHIR files of one run into records (Patients seen stay known to later files,
    so a ``Patient.ndjson`` named before ``Observation.ndjson`` gives their sex and age).

    In front of the core sits a memo keyed by everything ``evaluate`` reads of a value (the
    test, value and unit texts, the lab's range and flag, the sex and the core's age key,
    ``core/depends.py``): a value seen before gets a copy of its record with this value's own
    place, person and date. No rule is applied here."""

    def __init__(self, settings: Settings, dates: RowDates) -> None:
        self.settings = settings
        self.dates = dates
        self.walker = Walker(settings.reference)
        self.age_keys = AgeKeys(settings.reference)
        self.memo: dict[Hashable, Record] = {}
        self.dates_read: dict[str, tuple[str, str | None]] = {}

    def read(
        self,
        raw: IO[bytes],
        name: str,
        counted: dict[str, int],
        fast: FhirShortcut | None = None,
    ) -> Iterator[Item]:
        first = raw.readline()
        stripped = first.removeprefix(BOM).strip()
        if stripped.startswith(b"{") and stripped.endswith(b"}"):
            if fast is not None:
                yield from fast.ndjson(_lines(first, raw), name, self, counted)
                return
            for number, text in enumerate(_lines(first, raw), 1):
                yield from self.line_records(text, number, name, counted)
            return
        whole = first + raw.read()
        try:
            document = _loads(whole)
        except ValueError as exc:
            line = getattr(exc, "lineno", 0)
            why = getattr(exc, "msg", str(exc))
            reason = f"not valid JSON ({why}); nothing in this file was read"
            yield Record(STATUS_ERROR, file=name, line=line, reason=reason)
            return
        for found in self.walker.walk(document, ""):
            counted[name] += 1
            yield self.record(found, name, 0)

    def line_records(
        self, line: bytes, number: int, name: str, counted: dict[str, int]
    ) -> Iterator[Record]:
        """The records of one NDJSON line (none for a blank one)."""
        if not line.strip():
            return
        try:
            resource = _loads(line)
        except ValueError as exc:
            counted[name] += 1
            why = getattr(exc, "msg", str(exc))
            yield Record(STATUS_ERROR, file=name, line=number, reason=f"not valid JSON ({why})")
            return
        yield from self.resource_records(resource, number, name, counted)

    def resource_records(
        self, resource: Any, number: int, name: str, counted: dict[str, int]
    ) -> Iterator[Record]:
        """The records of one parsed NDJSON line."""
        for found in self.walker.walk(resource, ""):
            counted[name] += 1
            yield self.record(found, name, number)

    def head(self, subject: Any, date_text: str | None) -> Head | None:
        """The patient, date, sex and age ``record`` gives a top-level Observation (no
        ``contained``) with this subject and date; None when they carry a warning."""
        patient, person = self.walker.subject(subject, NO_CONTEXT)
        date, date_warning = self.date(date_text)
        if date_warning:
            return None
        sex, age, warnings = self.person(person, date)
        if warnings:
            return None
        if age is None:  # (the core reads a value without an age with the run's, --age)
            age = self.settings.age
        return Head(patient, date, sex, age, person)

    def rendered(self, line: FastLine) -> bool:
        """Whether a cache rendered ``line`` from one of this reader's NDJSON lines."""
        return isinstance(line.row, FhirRedo)

    def reread(self, line: FastLine, notes: list[NoteRef]) -> Record:
        """The full path's record of a line a cache rendered, with ``notes`` added."""
        redo = line.row
        assert isinstance(redo, FhirRedo)
        (found,) = self.walker.walk(_loads(redo.line), "")
        record = self.record(found._replace(person=redo.person), line.file, redo.number)
        record.notes.extend(notes)
        return record

    def date(self, text: str | None) -> tuple[str | None, str | None]:
        if text is None:
            return None, None
        known = self.dates_read.get(text)
        if known is None:
            known = fhir_date(text)
            if len(self.dates_read) < MEMO_LIMIT:
                self.dates_read[text] = known
        return known

    def record(self, found: Found, name: str, line: int) -> Record:
        date, date_warning = self.date(found.date)
        if found.skip is not None or (found.problem is not None and not found.test):
            status = STATUS_SKIPPED if found.skip is not None else STATUS_ERROR
            return Record(
                status,
                file=name,
                line=line,
                patient=found.patient,
                date=date,
                label=found.label or None,
                reason=found.skip or found.problem,
                locator=found.locator,
            )
        sex, age, person_warnings = self.person(found.person, None if date_warning else date)
        record = self.evaluate(found, sex, age)
        record.file, record.line, record.patient, record.date = name, line, found.patient, date
        record.locator = found.locator
        if found.label:
            record.label = found.label
        if found.problem is not None and record.status == STATUS_ERROR:
            record.reason = found.problem
        if found.warnings:
            record.warnings.extend(found.warnings)
        if date_warning:
            record.warnings.append(date_warning)
        if person_warnings:
            record.warnings.extend(person_warnings)
        return record

    def person(
        self, person: Person | None, date: str | None
    ) -> tuple[str | None, float | None, list[str]]:
        """Sex, age on ``date`` and warnings, from the subject's Patient resource."""
        if person is None:
            return None, None, []
        sex, sex_warning = _sex(person.sex)
        birth = person.birth_date
        age, age_warning = self.dates.age(None, birth, date)
        if birth and not _DATE.fullmatch(birth):
            age, age_warning = None, f"birth date {birth!r} is not a full date; no age worked out"
        return sex, age, [w for w in (sex_warning, age_warning) if w]

    def evaluate(self, found: Found, sex: str | None, age: float | None) -> Record:
        """A fresh record of the value (its place and person not yet set)."""
        key = (
            found.test,
            found.value_text,
            found.unit,
            found.lab_range,
            found.lab_flag,
            sex,
            None if age is None else self.age_keys.key(age),
        )
        known = self.memo.get(key)
        if known is None:
            known = evaluate(
                self.settings,
                file="",
                line=0,
                name=found.test,
                value_text=found.value_text,
                unit_text=found.unit,
                sex=sex,
                age=age,
                lab_range=found.lab_range,
                lab_flag=found.lab_flag,
                unknown_is_skipped=True,
            )
            if len(self.memo) >= MEMO_LIMIT:  # full: start again, keeping what comes now
                self.memo.clear()
            self.memo[key] = known
        record = Record(*_FIELDS_OF(known))
        record.warnings, record.notes = list(known.warnings), list(known.notes)
        if age is not None:
            record.age = age
        return record


def _lines(first: bytes, raw: IO[bytes]) -> Iterator[bytes]:
    yield first
    yield from raw


def _sex(gender: str | None) -> tuple[str | None, str | None]:
    """The Patient's gender as the core reads a sex; ``other`` and ``unknown`` give none."""
    if gender is None or gender.casefold() == "unknown":
        return None, None
    if gender.casefold() == "other":
        return None, "the Patient's gender is 'other': read without a sex"
    return gender, None
