"""The Python API: read lab values against b12check's reference ranges from a program.

    import b12check
    ranges = b12check.load_ranges()
    r = ranges.check("vitamin d", "45 nmol/L", sex="female")
    r.flag, r.label, r.value, r.band, r.interpretation, r.notes, r.warnings

The same core as the command line: ``ranges.check(...).as_dict()`` is the record
``b12check check NAME=VALUE --format json`` writes for that value. An unknown test name raises
``UnknownTest``; a value that cannot be read gives a Result with status ``error`` and a
``reason``, as on the command line.
"""

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import KW_ONLY, dataclass
from datetime import date as Date
from typing import Final

from b12check.core.errors import ValueProblem
from b12check.core.evaluate import apply_patterns, evaluate
from b12check.core.patterns import MAX_GROUP
from b12check.core.records import Record
from b12check.core.refdata import Reference, load_reference
from b12check.core.result import Result, result_from
from b12check.core.settings import Guidelines, Settings, parse_guidelines
from b12check.core.vocab import LabRangePolicy, NotesMode, Sex, UnitSystem

Value = str | int | float
_SETTINGS_KEPT: Final = 64  # distinct option sets remembered per Ranges


class UnknownTest(ValueError):
    """A test name or code b12check does not know; the message suggests close names, as the
    command line does (``; did you mean b12?``)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True, slots=True)
class Observation:
    """One value as a reader found it: the test (name, alias or LOINC code) and the value
    text, then whatever else the source says. ``sex`` is read like a sex column (F, M, woman
    …; anything else is a warning on the result); ``age`` in years; ``date`` as given (a
    ``datetime.date`` is written as YYYY-MM-DD); ``source``, ``line`` and ``column`` say where
    it came from (a file and line, or any locator) and are carried to the result."""

    test: str
    value: Value
    _: KW_ONLY
    unit: str | None = None
    lab_range: str | None = None
    lab_flag: str | None = None
    patient: str | None = None
    sex: str | None = None
    age: float | None = None
    date: str | Date | None = None
    source: str | None = None
    line: int | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if self.age is not None and not (math.isfinite(self.age) and self.age >= 0):
            raise ValueError(f"age {self.age!r} is not a number of years")


def load_ranges(
    overlays: Iterable[str | os.PathLike[str]] = (), guidelines: Iterable[str] = ()
) -> "Ranges":
    """The shipped reference ranges, with ``overlays`` (ranges files, as ``--ranges`` takes)
    laid over them in order, and ``guidelines`` chosen as ``--guideline`` chooses them
    (``"endocrine-2011"`` for every test that has it, ``"vitamin_d=endocrine-2011"`` for one).

    A ranges file that cannot be read or is invalid raises ``b12check.ConfigError`` (its
    ``problems`` list one FILE:LINE:COLUMN: reason line each); an unknown guideline, or one a
    test does not have, raises ValueError.
    """
    reference = load_reference(tuple(os.fspath(path) for path in overlays))
    return Ranges(reference, parse_guidelines(tuple(guidelines), reference))


class Ranges:
    """Reference data and the chosen guidelines: check values against them."""

    def __init__(self, reference: Reference, guidelines: Guidelines = ()) -> None:
        self._reference = reference
        self._guidelines = guidelines
        self._settings: dict[tuple[object, ...], Settings] = {}

    @property
    def guidelines(self) -> Guidelines:
        """The guidelines chosen, as (test id or "*", guideline name) pairs."""
        return self._guidelines

    @property
    def tests(self) -> tuple[str, ...]:
        """The ids of the tests these ranges flag."""
        return tuple(self._reference.analytes)

    def check(
        self,
        name: str,
        value: Value,
        *,
        unit: str | None = None,
        sex: Sex | str | None = None,
        age: float | None = None,
        lab_range: str | None = None,
        lab_flag: str | None = None,
        notes: NotesMode | str = NotesMode.BRIEF,
        units_system: UnitSystem | str | None = None,
        decimal_comma: bool = False,
        lab_ranges: LabRangePolicy | str = LabRangePolicy.SHOW,
        thousands: str | None = None,
    ) -> Result:
        """One value of test ``name``: ``value`` is the result as written (``"45 nmol/L"``,
        ``"<5"``, ``"250 H"``) or a number, with its unit in the text or in ``unit``.

        ``sex`` ("female"/"male"), ``age``, ``notes`` (none, brief, full), ``units_system``
        (conventional, si: the unit of a bare number), ``decimal_comma``, ``thousands`` ('.',
        ',' or 'none': the mark that groups thousands) and ``lab_ranges``
        (ignore, show, prefer: what the lab's own ``lab_range`` and ``lab_flag`` do) are the
        command line's options; an unknown string for any of them raises ValueError. Raises
        UnknownTest for a test b12check does not know.
        """
        settings = self._settings_for(
            sex, age, notes, units_system, decimal_comma, lab_ranges, thousands
        )
        self._known(name)
        record = evaluate(
            settings,
            file="",
            line=0,
            name=name,
            value_text=_text(value),
            unit_text=unit,
            lab_range=lab_range,
            lab_flag=lab_flag,
        )
        apply_patterns([record], self._reference, settings.notes)
        return result_from(record, source=None, line=None)

    def check_many(
        self,
        observations: Iterable[Observation],
        *,
        sex: Sex | str | None = None,
        age: float | None = None,
        notes: NotesMode | str = NotesMode.BRIEF,
        units_system: UnitSystem | str | None = None,
        decimal_comma: bool = False,
        lab_ranges: LabRangePolicy | str = LabRangePolicy.SHOW,
        thousands: str | None = None,
        skip_unknown: bool = True,
    ) -> Iterator[Result]:
        """A result per observation, in order, read lazily. Consecutive observations of one
        patient and date (up to 200) are read together, so that pattern and derived-value
        notes (TIBC from iron and UIBC, for one) are added as the command line adds them.

        ``sex`` and ``age`` apply where an observation gives none. A test b12check does not
        cover gives a result with status ``skipped``, as in ``scan``; with
        ``skip_unknown=False`` it raises UnknownTest instead.
        """
        settings = self._settings_for(
            sex, age, notes, units_system, decimal_comma, lab_ranges, thousands
        )
        group: list[tuple[Observation, Record]] = []
        for observation in observations:
            if group and (
                _group_key(observation) != _group_key(group[0][0]) or len(group) >= MAX_GROUP
            ):
                yield from self._finished(group, settings)
                group = []
            if not skip_unknown:
                self._known(observation.test)
            group.append((observation, self._evaluate(observation, settings)))
        if group:
            yield from self._finished(group, settings)

    # ------------------------------------------------------------------ inside

    def _evaluate(self, observation: Observation, settings: Settings) -> Record:
        when = observation.date
        return evaluate(
            settings,
            file=observation.source or "",
            line=observation.line or 0,
            name=observation.test,
            value_text=_text(observation.value),
            unit_text=observation.unit,
            column=observation.column,
            patient=observation.patient,
            date=when.isoformat() if isinstance(when, Date) else when,
            sex=observation.sex,
            age=None if observation.age is None else float(observation.age),
            lab_range=observation.lab_range,
            lab_flag=observation.lab_flag,
            unknown_is_skipped=True,
        )

    def _finished(
        self, group: list[tuple[Observation, Record]], settings: Settings
    ) -> Iterator[Result]:
        apply_patterns([record for _, record in group], self._reference, settings.notes)
        for observation, record in group:
            yield result_from(
                record, source=observation.source, line=observation.line, column=observation.column
            )

    def _known(self, name: str) -> None:
        """Raise UnknownTest unless ``name`` is a test (or a companion test) b12check reads."""
        reference = self._reference
        try:
            if reference.lookup(name) is not None:
                return
        except ValueProblem:
            return  # a known code b12check refuses: an error result says why
        if reference.companion(name) is None:
            raise UnknownTest(name, reference.unknown_message(name))

    def _settings_for(
        self,
        sex: Sex | str | None,
        age: float | None,
        notes: NotesMode | str,
        units_system: UnitSystem | str | None,
        decimal_comma: bool,
        lab_ranges: LabRangePolicy | str,
        thousands: str | None = None,
    ) -> Settings:
        key = (sex, age, notes, units_system, decimal_comma, lab_ranges, thousands)
        settings = self._settings.get(key)
        if settings is None:
            settings = Settings(
                self._reference,
                sex=sex,
                age=age,
                units_system=units_system,
                decimal_comma=decimal_comma,
                notes=notes,
                guidelines=self._guidelines,
                lab_ranges=lab_ranges,
                thousands=thousands,
            )
            if len(self._settings) < _SETTINGS_KEPT:
                self._settings[key] = settings
        return settings


def _group_key(observation: Observation) -> tuple[str | None, str | Date | None]:
    return observation.patient, observation.date


def _text(value: Value) -> str:
    """A value as the text the number grammar reads (a float keeps every digit)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"a value is text or a number, not {type(value).__name__}")
    return value.strip() if isinstance(value, str) else repr(value)
