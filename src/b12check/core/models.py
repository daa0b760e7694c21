"""Validating the ranges, notes and headers files: pydantic's field checks, then the checks
that span fields.

The models themselves live in ``core/schema.py`` and the cross-field checks of a ranges file in
``core/range_checks.py``; their names are importable from here too. Only loaded when a file has
to be validated (compiling the shipped data, ``--ranges`` overlays, ``ranges validate``).
"""

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from b12check.core.names import name_key
from b12check.core.numbers import parse_interval
from b12check.core.range_checks import ranges_problems
from b12check.core.schema import (
    AnalyteModel,
    BandModel,
    CompanionModel,
    GuidelineModel,
    HeadersModel,
    Loc,
    NamesModel,
    NonEmpty,
    NoteModel,
    NotesModel,
    PatternModel,
    Problem,
    RangesModel,
    UnitCheckModel,
    UnitModel,
    _Strict,
)
from b12check.core.vocab import ALL_FLAGS

__all__ = [
    "AnalyteModel",
    "BandModel",
    "CompanionModel",
    "GuidelineModel",
    "HeadersModel",
    "Loc",
    "NamesModel",
    "NonEmpty",
    "NoteModel",
    "NotesModel",
    "PatternModel",
    "Problem",
    "RangesModel",
    "UnitCheckModel",
    "UnitModel",
    "headers_problems",
    "names_problems",
    "notes_problems",
    "pydantic_problems",
    "ranges_problems",
    "validate_headers",
    "validate_names",
    "validate_notes",
    "validate_ranges",
]


def headers_problems(model: HeadersModel) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for role, names in model.roles.items():
        for index, name in enumerate(names):
            key = name_key(name)
            if owner.setdefault(key, role) != role:
                problems.append((("roles", role, index), f"{name!r} is also a {owner[key]} header"))
    return problems


def validate_headers(data: Any) -> tuple[HeadersModel | None, list[Problem]]:
    model, problems = _validate(HeadersModel, data)
    if model is None:
        return None, problems
    problems = headers_problems(model)
    return (None if problems else model), problems


def names_problems(model: NamesModel, ranges: RangesModel) -> list[Problem]:
    """Every phrase must keep a word once folded ("*" only ends a word, "^" only starts a
    phrase); a look-alike must name the covered test it looks like."""
    tests = set(ranges.analytes) | set(ranges.companions)
    problems: list[Problem] = []
    where: list[tuple[Loc, str]] = [(("qualifiers", i), p) for i, p in enumerate(model.qualifiers)]
    for index, kind in enumerate(model.other_kinds):
        where += [(("other_kinds", index, "words", i), p) for i, p in enumerate(kind.words)]
    for index, test in enumerate(model.other_tests):
        base: Loc = ("other_tests", index)
        if test.looks_like not in tests:
            problems.append(((*base, "looks_like"), f"unknown test {test.looks_like!r}"))
        where += [((*base, "words", i), p) for i, p in enumerate(test.words)]
        where += [((*base, "unless", i), p) for i, p in enumerate(test.unless)]
    for loc, phrase in where:
        parts = phrase.split()
        if not name_key(phrase):
            problems.append((loc, f"{phrase!r} has no letter or digit"))
        elif any("^" in part[1:] or "*" in part[:-1] for part in parts) or any(
            "^" in part for part in parts[1:]
        ):
            problems.append((loc, f"{phrase!r}: '^' only starts a phrase, '*' only ends a word"))
    return problems


def validate_names(data: Any, ranges: RangesModel) -> tuple[NamesModel | None, list[Problem]]:
    model, problems = _validate(NamesModel, data)
    if model is None:
        return None, problems
    problems = names_problems(model, ranges)
    return (None if problems else model), problems


def pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        elif error["type"] == "missing":
            message = f"missing field {loc[-1]!r}"
        elif loc and isinstance(loc[-1], str):
            message = f"{loc[-1]}: {message}"
        problems.append((loc, message))
    return problems


def notes_problems(notes: NotesModel, ranges: RangesModel) -> list[Problem]:
    """Notes must name known analytes and flags, and cite exactly one source."""
    problems: list[Problem] = []
    flags_of = {
        analyte_id: {band.flag for band in analyte.bands} | {"unclassified"}
        for analyte_id, analyte in ranges.analytes.items()
    }
    every_flag = set(ALL_FLAGS)
    for index, note in enumerate(notes.notes):
        loc: Loc = ("notes", index)
        if (note.section is None) == (note.reference is None):
            problems.append((loc, "give exactly one of 'section' or 'reference'"))
        if note.analyte != "*" and note.analyte not in flags_of:
            problems.append(((*loc, "analyte"), f"unknown analyte {note.analyte!r}"))
            continue
        allowed = every_flag if note.analyte == "*" else flags_of[note.analyte]
        for flag in note.flags:
            if flag != "*" and flag not in allowed:
                problems.append(((*loc, "flags"), f"{note.analyte} has no flag {flag!r}"))
        problems.extend(_note_band_problems(note, ranges, loc))
    ids: set[str] = set()
    for index, pattern in enumerate(notes.patterns):
        loc = ("patterns", index)
        if pattern.id in ids:
            problems.append(((*loc, "id"), f"duplicate pattern id {pattern.id!r}"))
        ids.add(pattern.id)
        problems.extend(_pattern_problems(pattern, flags_of, loc))
    return problems


def _band_edges(band: BandModel) -> tuple[float | None, float | None]:
    interval = band.interval
    return interval.low, interval.high


def _note_band_problems(note: NoteModel, ranges: RangesModel, loc: Loc) -> Iterator[Problem]:
    """A note's ``bands`` are bands of its test, under some guideline, with one of its flags."""
    if not isinstance(note.bands, list):
        return
    analyte = ranges.analytes.get(note.analyte)
    if analyte is None:
        yield (*loc, "bands"), "only a note for one test can name its bands"
        return
    every = [*analyte.bands, *(b for g in analyte.guidelines.values() for b in g.bands)]
    known = {_band_edges(b) for b in every if "*" in note.flags or b.flag in note.flags}
    for text in note.bands:
        interval = parse_interval(text)
        if (interval.low, interval.high) not in known:
            yield (*loc, "bands"), f"{note.analyte} has no band {text} with one of these flags"


def _pattern_problems(
    pattern: PatternModel, flags_of: dict[str, set[str]], loc: Loc
) -> Iterator[Problem]:
    """A pattern cites one source and names only known tests and their flags."""
    if (pattern.section is None) == (pattern.reference is None):
        yield loc, "give exactly one of 'section' or 'reference'"
    for analyte_id, flags in pattern.when.items():
        if analyte_id not in flags_of:
            yield (*loc, "when", analyte_id), f"unknown analyte {analyte_id!r}"
            continue
        for flag in flags:
            if flag not in flags_of[analyte_id]:
                yield (*loc, "when", analyte_id), f"no flag {flag!r}"
    for analyte_id in pattern.absent:
        if analyte_id not in flags_of:
            yield (*loc, "absent"), f"unknown analyte {analyte_id!r}"


def _validate(model_type: type[_Strict], data: Any) -> tuple[Any, list[Problem]]:
    try:
        return model_type.model_validate(data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc)


def validate_ranges(data: Any) -> tuple[RangesModel | None, list[Problem]]:
    model, problems = _validate(RangesModel, data)
    if model is None:
        return None, problems
    problems = ranges_problems(model)
    return (None if problems else model), problems


def validate_notes(data: Any, ranges: RangesModel) -> tuple[NotesModel | None, list[Problem]]:
    model, problems = _validate(NotesModel, data)
    if model is None:
        return None, problems
    problems = notes_problems(model, ranges)
    return (None if problems else model), problems
