"""What a run says about every value it reads: the reference data, the person, the modes.

Every mode is checked when the settings are made: ``Settings(reference, notes="brif")`` raises
a ValueError naming the choices, as does ``_replace`` with such a value, so no misspelt mode
can act as another.
"""

import math
from typing import Any, NamedTuple

from b12check.core.refdata import Analyte, Reference
from b12check.core.separators import THOUSANDS_CHOICES, Style
from b12check.core.vocab import LabRangePolicy, NotesMode, Sex, UnitSystem

Guidelines = tuple[tuple[str, str], ...]  # (analyte id or "*", guideline name)


class _Fields(NamedTuple):
    reference: Reference
    sex: Sex | None
    age: float | None
    units_system: UnitSystem | None
    decimal_comma: bool
    notes: NotesMode
    guidelines: Guidelines
    lab_ranges: LabRangePolicy
    thousands: str | None
    comma_file: bool


class Settings(_Fields):
    """The run's settings; strings for the modes become their enum members (or raise).

    ``thousands`` ('.', ',' or 'none') says which mark groups thousands (``--thousands``);
    ``comma_file`` is set per file by scan when the file writes decimals with a comma.

    ``lab_ranges`` defaults to ignore: a caller that reads the lab's own range or flag says
    what to do with them (``scan --lab-ranges``, default show; the Python API, default show).
    """

    __slots__ = ()

    def __new__(
        cls,
        reference: Reference,
        sex: Sex | str | None = None,
        age: float | None = None,
        units_system: UnitSystem | str | None = None,
        decimal_comma: bool = False,
        notes: NotesMode | str = NotesMode.BRIEF,
        guidelines: Guidelines = (),
        lab_ranges: LabRangePolicy | str = LabRangePolicy.IGNORE,
        thousands: str | None = None,
        comma_file: bool = False,
    ) -> "Settings":
        if age is not None and not (math.isfinite(age) and age >= 0):
            raise ValueError(f"age {age!r} is not a number of years")
        if thousands is not None and thousands not in THOUSANDS_CHOICES:
            raise ValueError(
                f"thousands separator {thousands!r}: choose one of {', '.join(THOUSANDS_CHOICES)}"
            )
        return super().__new__(
            cls,
            reference,
            None if sex is None else Sex(sex),
            None if age is None else float(age),  # (12 and 12.0 print differently in JSON)
            None if units_system is None else UnitSystem(units_system),
            bool(decimal_comma),
            NotesMode(notes),
            tuple(guidelines),
            LabRangePolicy(lab_ranges),
            thousands,
            bool(comma_file),
        )

    @property
    def style(self) -> Style:
        """How numbers are written: ``decimal_comma`` and ``thousands`` as the run says, and
        ``comma_file`` when the file being read writes decimals with a comma (scan)."""
        return Style(self.decimal_comma, self.thousands, self.comma_file)

    def _replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed, checked like a new one."""
        return Settings(**{**self._asdict(), **changes})

    def guideline_for(self, analyte: Analyte) -> str | None:
        """The guideline asked for this analyte (per-analyte choice first), if it has one."""
        for wanted in (analyte.id, "*"):
            for target, name in self.guidelines:
                if target == wanted and name in analyte.guidelines:
                    return name
        return None


def parse_guidelines(choices: tuple[str, ...], reference: Reference) -> Guidelines:
    """``NAME`` (every test that has the guideline) or ``ANALYTE=NAME`` (one test), as
    ``--guideline`` takes them; an unknown guideline or test is a ValueError saying which."""
    known = reference.guideline_names()
    parsed = []
    for choice in choices:
        target, sep, name = choice.rpartition("=")
        name = name.strip()
        if name not in known:
            raise ValueError(f"unknown guideline {name!r}; known: {', '.join(sorted(known))}")
        analyte_id = "*"
        if sep:
            analyte = reference.find(target.strip())  # ValueProblem (a ValueError) if unknown
            analyte_id = analyte.id
            if name not in analyte.guidelines:  # the default is one of them
                raise ValueError(f"{analyte_id} has no guideline {name!r}")
        parsed.append((analyte_id, name))
    return tuple(parsed)
