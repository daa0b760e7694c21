"""The fixed vocabularies, each defined once: flags (their order, severity, FHIR code and whether
they are critical), statuses, note kinds (their display order), sexes, and the modes of a run.

The enums are ``StrEnum``s, so a member is equal to its text, hashes like it and prints as it:
records and JSON output are the same whether a field holds ``Flag.LOW`` or ``"low"``. Turning
a string into a member (``NotesMode("brif")``) raises a ValueError that names the choices; no
unknown string ever stands for a default. The older tuple and string constants below are kept
as aliases of the members for the code that reads them.

Plain Python only: imported on every run, so it must stay cheap (the ten enums cost well under
a millisecond to build; their per-member facts are looked up in dicts, not built per member).
"""

from enum import StrEnum
from typing import Final, NoReturn


class _Choice(StrEnum):
    """A member from its text; anything else is a ValueError listing the choices."""

    @classmethod
    def _missing_(cls, value: object) -> NoReturn:
        what = "".join(f" {c}" if c.isupper() else c for c in cls.__name__).strip().lower()
        choices = ", ".join(member.value for member in cls)
        raise ValueError(f"{value!r} is not a {what}; choose one of: {choices}")


class Flag(_Choice):
    """What a result is flagged, lowest to highest (``order``), then ``unclassified``."""

    CRITICAL_LOW = "critical_low"
    DEFICIENT = "deficient"
    LOW = "low"
    BORDERLINE = "borderline"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL_HIGH = "critical_high"
    UNCLASSIFIED = "unclassified"  # no band could be chosen (censored value, sex, age)

    @property
    def order(self) -> int:
        """Position from lowest (0, critical_low) to highest; unclassified comes last."""
        return _FLAG_ORDER[self]

    @property
    def severity(self) -> int:
        """How much a person should look at it, for sorting flagged results first."""
        return _FLAG_SEVERITY[self]

    @property
    def critical(self) -> bool:
        return self in (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)

    @property
    def reading(self) -> "Flag | None":
        """The coarse reading a lab's own range or flag can give: low, normal or high (None
        for unclassified). Borderline counts as low, as in every band of the data."""
        return _FLAG_READING[self]

    @property
    def interpretation(self) -> str | None:
        """The FHIR v3-ObservationInterpretation code of the flag's reading (LL, L, N, H, HH);
        a band of the data may carry a finer one (HU), which a record then shows instead."""
        return _FLAG_CODE[self]

    @property
    def fhir_code(self) -> str:
        """The v3-ObservationInterpretation code written for this flag (``--format fhir``):
        as ``interpretation``, and IND (indeterminate) for unclassified."""
        return _FLAG_CODE[self] or FHIR_UNCLASSIFIED


_FLAG_ORDER: Final = {flag: index for index, flag in enumerate(Flag)}
_FLAG_SEVERITY: Final = {
    Flag.CRITICAL_LOW: 6,
    Flag.CRITICAL_HIGH: 6,
    Flag.DEFICIENT: 5,
    Flag.UNCLASSIFIED: 4,
    Flag.LOW: 3,
    Flag.HIGH: 3,
    Flag.BORDERLINE: 2,
    Flag.NORMAL: 0,
}
_FLAG_READING: Final = {
    Flag.CRITICAL_LOW: Flag.LOW,
    Flag.DEFICIENT: Flag.LOW,
    Flag.LOW: Flag.LOW,
    Flag.BORDERLINE: Flag.LOW,
    Flag.NORMAL: Flag.NORMAL,
    Flag.HIGH: Flag.HIGH,
    Flag.CRITICAL_HIGH: Flag.HIGH,
    Flag.UNCLASSIFIED: None,
}
_FLAG_CODE: Final = {
    Flag.CRITICAL_LOW: "LL",
    Flag.DEFICIENT: "L",
    Flag.LOW: "L",
    Flag.BORDERLINE: "L",
    Flag.NORMAL: "N",
    Flag.HIGH: "H",
    Flag.CRITICAL_HIGH: "HH",
    Flag.UNCLASSIFIED: None,
}


class Status(_Choice):
    """What became of an input value."""

    RESULT = "result"  # read and flagged
    ERROR = "error"  # could not be read; ``reason`` says why
    SKIPPED = "skipped"  # not a test b12check flags, or a row without results


class NoteKind(_Choice):
    """The kinds of note a result can carry, in the order a result shows them."""

    FINDING = "finding"  # what the flag means
    ABOUT = "about"  # about the test
    FOLLOW_UP = "follow_up"  # a question to take to a clinician
    PITFALL = "pitfall"  # a testing pitfall
    PATTERN = "pattern"  # several results of one patient and date together
    DERIVED = "derived"  # a value worked out from others
    LAB_DISAGREEMENT = "lab_disagreement"  # the lab's range or flag reads it differently

    @property
    def order(self) -> int:
        return _NOTE_ORDER[self]

    @property
    def from_notes_file(self) -> bool:
        """Whether notes.yaml holds notes of this kind (the others are worked out per run)."""
        return self in NOTE_FILE_KINDS


_NOTE_ORDER: Final = {kind: index for index, kind in enumerate(NoteKind)}
NOTE_FILE_KINDS: Final = frozenset(
    {NoteKind.FINDING, NoteKind.ABOUT, NoteKind.FOLLOW_UP, NoteKind.PITFALL}
)


class Sex(_Choice):
    FEMALE = "female"
    MALE = "male"


class NotesMode(_Choice):
    """How many notes a result carries."""

    NONE = "none"
    BRIEF = "brief"  # the one finding
    FULL = "full"  # every note that applies


class LabRangePolicy(_Choice):
    """What the lab's own reference range and flag do (``--lab-ranges``)."""

    IGNORE = "ignore"  # carried as given, nothing more
    SHOW = "show"  # a note where they read the value differently from the built-in band
    PREFER = "prefer"  # the lab's range decides low / normal / high


class FailOn(_Choice):
    """Which flags make a run exit 1 (``--fail-on``)."""

    ANY = "any"  # every flag but normal, unclassified included
    CRITICAL = "critical"  # critical_low and critical_high
    NEVER = "never"

    def fails(self, flag: str) -> bool:
        if self is FailOn.NEVER:
            return False
        if self is FailOn.CRITICAL:
            return flag in CRITICAL_FLAGS
        return flag != Flag.NORMAL


class Only(_Choice):
    """Which records a scan writes (``--only``); the summary counts every one read."""

    RESULTS = "results"  # every result
    FLAGGED = "flagged"  # results flagged anything but normal (unclassified included)
    ERRORS = "errors"  # error records only


class UnitSystem(_Choice):
    """Which unit a bare number is in when the test has several (``--units``)."""

    CONVENTIONAL = "conventional"
    SI = "si"


# Older names, kept for the code that reads them: the members' texts (plain strings, as the
# pydantic models and click choices built from them expect) or the members themselves.
BAND_FLAGS: Final = tuple(flag.value for flag in Flag if flag is not Flag.UNCLASSIFIED)
UNCLASSIFIED: Final = Flag.UNCLASSIFIED
ALL_FLAGS: Final = tuple(flag.value for flag in Flag)
CRITICAL_FLAGS: Final = frozenset({Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH})
FLAG_SEVERITY: Final[dict[str, int]] = {flag.value: flag.severity for flag in Flag}

# FHIR v3-ObservationInterpretation codes that fit a numeric band.
INTERPRETATIONS: Final = ("LL", "LU", "L", "N", "H", "HU", "HH", "A", "AA")
FHIR_UNCLASSIFIED: Final = "IND"  # written for an unclassified result
FHIR_INTERPRETATION_SYSTEM: Final = (
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
)
# The display of each code b12check writes (terminology.hl7.org, v3-ObservationInterpretation).
FHIR_INTERPRETATION_DISPLAY: Final = {
    "LL": "Critical low",
    "LU": "Significantly low",
    "L": "Low",
    "N": "Normal",
    "H": "High",
    "HU": "Significantly high",
    "HH": "Critical high",
    "A": "Abnormal",
    "AA": "Critical abnormal",
    "IND": "Indeterminate",
}


def fhir_interpretation(flag: str, band_code: str | None) -> str:
    """The v3 code for a result: its band's own code (a finer HU) when it has one, else its
    flag's (IND for unclassified)."""
    if band_code in FHIR_INTERPRETATION_DISPLAY:
        return band_code
    return Flag(flag).fhir_code


SEXES: Final = tuple(sex.value for sex in Sex)
UNIT_SYSTEMS: Final = tuple(system.value for system in UnitSystem)
NOTES_MODES: Final = tuple(mode.value for mode in NotesMode)
LAB_RANGE_POLICIES: Final = tuple(policy.value for policy in LabRangePolicy)
ONLY_CHOICES: Final = tuple(choice.value for choice in Only)

# What a column of a lab export can hold (scan); header names per role: data/headers.yaml.
HEADER_ROLES: Final = (
    "test",
    "loinc",
    "result",
    "unit",
    "patient",
    "date",
    "sex",
    "age",
    "birth_date",
    "lab_range",
    "lab_low",
    "lab_high",
    "lab_flag",
    "code",
)

STATUS_RESULT: Final = Status.RESULT
STATUS_ERROR: Final = Status.ERROR
STATUS_SKIPPED: Final = Status.SKIPPED

FAIL_ON_CHOICES: Final = tuple(choice.value for choice in FailOn)

# A lab's own flag (its flag column, or one glued to the value) as a reading; other flags the
# value reader accepts (A, AA, *, !, Critical …) say nothing about the direction.
LAB_FLAG_READINGS: Final = {
    **dict.fromkeys(("l", "ll", "low", "cl", "(l)", "↓", "critical low"), Flag.LOW),
    **dict.fromkeys(("h", "hh", "high", "ch", "(h)", "↑", "critical high"), Flag.HIGH),
    **dict.fromkeys(("n", "normal"), Flag.NORMAL),
}

# The end of the reason of a skipped record the lab withdrew (FHIR status entered-in-error or
# cancelled); the human formats list those apart from the tests not covered.
WITHDRAWN_REASON: Final = "withdrawn by the lab"

# The warning on a result the lab marked preliminary (FHIR status, HL7 result status P).
PRELIMINARY_WARNING: Final = "status preliminary: the lab may still change this result"

DISCLAIMER: Final = "Not medical advice — discuss results with a qualified clinician."


def fails(flag: str, fail_on: str) -> bool:
    """Whether a result with this flag makes the run exit 1 under ``--fail-on``."""
    return FailOn(fail_on).fails(flag)
