"""The ranges, notes, headers and names files as pydantic models: each field's type and limits.

What pydantic cannot see field by field (units that convert, bands that tile the line, names
used twice) is checked in ``core/range_checks.py``; ``core/models.py`` runs both. Only loaded
when a file has to be validated (compiling the shipped data, ``--ranges`` overlays,
``ranges validate``): building pydantic models costs more start-up than a run may spend.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from b12check.core.names import loinc_code
from b12check.core.numbers import Interval, parse_interval
from b12check.core.vocab import BAND_FLAGS, HEADER_ROLES, INTERPRETATIONS, SEXES

Loc = tuple[int | str, ...]
Problem = tuple[Loc, str]

NonEmpty = Annotated[str, Field(min_length=1, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class UnitModel(_Strict):
    kind: Literal["mass", "substance", "charge", "fraction"]
    scale: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class BandModel(_Strict):
    range: str
    flag: Literal[BAND_FLAGS]  # type: ignore[valid-type]
    interpretation: Literal[INTERPRETATIONS]  # type: ignore[valid-type]
    label: NonEmpty | None = None
    sex: Literal[SEXES] | None = None  # type: ignore[valid-type]
    source: NonEmpty
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    evidence: Literal["V", "S", "M", "D", "C"] | None = None
    age: str | None = None  # years, e.g. "[0, 18)": the band applies at those ages only
    origin: NonEmpty | None = None  # the overlay file the band came from (set when merging)

    @field_validator("range", "age")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value

    @property
    def interval(self) -> Interval:
        return parse_interval(self.range)

    @property
    def ages(self) -> Interval | None:
        return None if self.age is None else parse_interval(self.age)


class UnitCheckModel(_Strict):
    unit: NonEmpty
    suggest: NonEmpty
    above: Annotated[float, Field(allow_inf_nan=False)] | None = None
    below: Annotated[float, Field(allow_inf_nan=False)] | None = None


class GuidelineModel(_Strict):
    """Another authority's bands for the same test, chosen with --guideline."""

    title: NonEmpty
    bands: Annotated[list[BandModel], Field(min_length=1)]
    paired_edges: dict[str, dict[str, Annotated[float, Field(allow_inf_nan=False)]]] = {}


class AnalyteModel(_Strict):
    name: NonEmpty
    short_name: Annotated[str, Field(min_length=1, max_length=24)] | None = None
    measures: NonEmpty
    aliases: list[NonEmpty] = []
    loinc: list[NonEmpty] = []
    canonical_unit: NonEmpty
    conventional_unit: NonEmpty
    si_unit: NonEmpty
    units: Annotated[list[NonEmpty], Field(min_length=1)]
    molar_mass: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    valence: Annotated[int, Field(ge=1, le=8)] | None = None
    molar_mass_source: NonEmpty | None = None
    fraction_as_percent: bool = False
    paired_edges: dict[str, dict[str, Annotated[float, Field(allow_inf_nan=False)]]] = {}
    plausible: str
    expected: str
    unit_checks: list[UnitCheckModel] = []
    bands: Annotated[list[BandModel], Field(min_length=1)]
    default_guideline: NonEmpty | None = None  # the name the default bands go by
    guidelines: dict[NonEmpty, GuidelineModel] = {}

    @field_validator("plausible", "expected")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_interval(value)
        return value

    @field_validator("loinc")
    @classmethod
    def _loinc(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if loinc_code(code) != code:
                raise ValueError(f"{code!r} is not a LOINC code like '2132-9'")
        return codes


class CompanionModel(_Strict):
    """A test read only to derive another (UIBC for TIBC): no bands, never flagged."""

    name: NonEmpty
    aliases: list[NonEmpty] = []
    loinc: list[NonEmpty] = []
    canonical_unit: NonEmpty
    units: Annotated[list[NonEmpty], Field(min_length=1)]
    molar_mass: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    valence: Annotated[int, Field(ge=1, le=8)] | None = None
    source: NonEmpty


class RangesModel(_Strict):
    version: Literal[1]
    units: dict[NonEmpty, UnitModel]
    unit_spellings: dict[NonEmpty, NonEmpty] = {}
    refused_codes: dict[NonEmpty, NonEmpty] = {}
    analytes: dict[NonEmpty, AnalyteModel]
    companions: dict[NonEmpty, CompanionModel] = {}


class NoteModel(_Strict):
    analyte: NonEmpty
    flags: Annotated[list[NonEmpty], Field(min_length=1)]
    kind: Literal["about", "finding", "follow_up", "pitfall"]
    text: Annotated[str, Field(min_length=1, max_length=300)]
    section: NonEmpty | None = None
    reference: NonEmpty | None = None
    # The bands the note describes (it quotes their cut-offs): it goes only on a value read
    # against one of them. "other": only on a value read against a band no note of the same
    # test, flag and kind lists (another guideline's, an overlay's, the lab's own range).
    bands: Annotated[list[NonEmpty], Field(min_length=1)] | Literal["other"] | None = None

    @field_validator("bands")
    @classmethod
    def _bands(cls, value: list[str] | str | None) -> list[str] | str | None:
        if isinstance(value, list):
            for text in value:
                parse_interval(text)
        return value


class PatternModel(_Strict):
    id: NonEmpty
    title: NonEmpty
    when: Annotated[dict[NonEmpty, list[NonEmpty]], Field(min_length=1)]
    absent: list[NonEmpty] = []
    text: Annotated[str, Field(min_length=1, max_length=400)]
    section: NonEmpty | None = None
    reference: NonEmpty | None = None


class NotesModel(_Strict):
    version: Literal[1]
    notes: list[NoteModel]
    patterns: list[PatternModel] = []


ReportColumn = Literal[
    "test", "result", "unit", "lab_range", "lab_flag", "in_range", "out_of_range"
]
ReportField = Literal["patient", "sex", "age", "birth_date", "date"]
Words = Annotated[list[NonEmpty], Field(min_length=1)]


class ReportWordsModel(_Strict):
    """The words of lab reports (readers/report_words.py): column headers and header keys."""

    columns: dict[ReportColumn, Words]
    in_range_flag: NonEmpty
    out_of_range_flag: NonEmpty
    fields: dict[ReportField, Words]

    @field_validator("columns", "fields")
    @classmethod
    def _each_word_once(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        owner: dict[str, str] = {}
        for role, words in value.items():
            for word in words:
                key = " ".join(word.casefold().split())
                if owner.setdefault(key, role) != role:
                    raise ValueError(f"{word!r} is given for both {owner[key]} and {role}")
        return value


class HeadersModel(_Strict):
    version: Literal[1]
    roles: dict[Literal[HEADER_ROLES], list[NonEmpty]]  # type: ignore[valid-type]
    non_results: dict[NonEmpty, NonEmpty] = {}
    report: ReportWordsModel | None = None


class OtherTestModel(_Strict):
    """A look-alike: a name with one of ``words`` (and none of ``unless``) is ``is``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    means: NonEmpty = Field(alias="is")
    looks_like: NonEmpty
    words: Annotated[list[NonEmpty], Field(min_length=1)]
    unless: list[NonEmpty] = []


class OtherKindModel(_Strict):
    """Words that make a covered test's name another test (a specimen, a form, a ratio)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    means: NonEmpty = Field(alias="is")
    words: Annotated[list[NonEmpty], Field(min_length=1)]


class NamesModel(_Strict):
    version: Literal[1]
    qualifiers: list[NonEmpty] = []
    other_tests: list[OtherTestModel] = []
    other_kinds: list[OtherKindModel] = []
