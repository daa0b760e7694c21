"""The fixed vocabularies: flags, FHIR interpretation codes, sexes, formats.

Plain Python only: imported on every run, so it must stay cheap.
"""

from typing import Final

# Flags a band can carry, lowest to highest.
BAND_FLAGS: Final = (
    "critical_low",
    "deficient",
    "low",
    "borderline",
    "normal",
    "high",
    "critical_high",
)
UNCLASSIFIED: Final = "unclassified"
ALL_FLAGS: Final = (*BAND_FLAGS, UNCLASSIFIED)
CRITICAL_FLAGS: Final = frozenset({"critical_low", "critical_high"})

# FHIR v3-ObservationInterpretation codes that fit a numeric band.
INTERPRETATIONS: Final = ("LL", "LU", "L", "N", "H", "HU", "HH", "A", "AA")

SEXES: Final = ("female", "male")
UNIT_SYSTEMS: Final = ("conventional", "si")

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
    "lab_flag",
)

STATUS_RESULT: Final = "result"
STATUS_ERROR: Final = "error"
STATUS_SKIPPED: Final = "skipped"

FAIL_ON_CHOICES: Final = ("any", "critical", "never")

DISCLAIMER: Final = "Not medical advice — discuss results with a qualified clinician."


def fails(flag: str, fail_on: str) -> bool:
    """Whether a result with this flag makes the run exit 1 under ``--fail-on``."""
    if fail_on == "never":
        return False
    if fail_on == "critical":
        return flag in CRITICAL_FLAGS
    return flag != "normal"
