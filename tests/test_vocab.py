"""The vocabularies as enums, the run settings that refuse unknown modes, and the notes memory."""

import gc
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12check.core.evaluate import Settings, notes_for
from b12check.core.refdata import Note, Reference, load_reference
from b12check.core.vocab import (
    FailOn,
    Flag,
    LabRangePolicy,
    NoteKind,
    NotesMode,
    Sex,
    Status,
    UnitSystem,
    fails,
)

REFERENCE = load_reference()
ENUMS = (Flag, Status, NoteKind, Sex, NotesMode, LabRangePolicy, FailOn, UnitSystem)


def test_flags_in_order_low_to_high_with_severity_code_and_criticality() -> None:
    # From README "Flags" and the FHIR v3-ObservationInterpretation codes the bands use.
    expected = [
        ("critical_low", 6, "LL", True, "low"),
        ("deficient", 5, "L", False, "low"),
        ("low", 3, "L", False, "low"),
        ("borderline", 2, "L", False, "low"),
        ("normal", 0, "N", False, "normal"),
        ("high", 3, "H", False, "high"),
        ("critical_high", 6, "HH", True, "high"),
        ("unclassified", 4, None, False, None),
    ]
    flags = sorted(Flag, key=lambda flag: flag.order)
    assert [
        (f.value, f.severity, f.interpretation, f.critical, f.reading) for f in flags
    ] == expected


def test_note_kinds_in_the_order_a_result_shows_them() -> None:
    kinds = sorted(NoteKind, key=lambda kind: kind.order)
    assert [k.value for k in kinds[:4]] == ["finding", "about", "follow_up", "pitfall"]
    assert {k.value for k in NoteKind if k.from_notes_file} == {
        "finding",
        "about",
        "follow_up",
        "pitfall",
    }


@pytest.mark.parametrize(
    ("flag", "fail_on", "expected"),
    [
        ("normal", "any", False),
        ("unclassified", "any", True),
        ("borderline", "any", True),
        ("low", "critical", False),
        ("critical_high", "critical", True),
        ("critical_low", "never", False),
    ],
)
def test_fail_on(flag: str, fail_on: str, expected: bool) -> None:
    assert fails(flag, fail_on) is expected
    assert FailOn(fail_on).fails(Flag(flag)) is expected


def test_members_are_their_text_in_comparisons_json_and_dict_keys() -> None:
    low: str = Flag.LOW
    assert low == "low" and f"{Status.ERROR}" == "error" and str(Sex.MALE) == "male"
    assert json.dumps({"flag": Flag.CRITICAL_HIGH, "kind": NoteKind.LAB_DISAGREEMENT}) == (
        '{"flag": "critical_high", "kind": "lab_disagreement"}'
    )
    by_flag: dict[str, int] = {Flag.NORMAL: 1}
    assert by_flag["normal"] == 1


@pytest.mark.parametrize("enum", ENUMS)
@given(text=st.text(max_size=12))
def test_an_unknown_string_is_an_error_naming_the_choices(enum: type[Flag], text: str) -> None:
    choices = [member.value for member in enum]
    if text in choices:
        assert enum(text).value == text
        return
    with pytest.raises(ValueError) as caught:
        enum(text)
    for choice in choices:
        assert choice in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"notes": "brif"},
        {"notes": "Brief"},
        {"sex": "femal"},
        {"lab_ranges": "preferred"},
        {"units_system": "metric"},
        {"age": float("nan")},
        {"age": -1.0},
    ],
)
def test_settings_refuse_unknown_modes_instead_of_defaulting(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Settings(REFERENCE, **changes)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Settings(REFERENCE)._replace(**changes)


def test_settings_turn_mode_strings_into_members() -> None:
    settings = Settings(REFERENCE, sex="female", notes="full", lab_ranges="prefer")
    assert settings.sex is Sex.FEMALE
    assert settings.notes is NotesMode.FULL
    assert settings.lab_ranges is LabRangePolicy.PREFER
    assert settings._replace(notes="none").notes is NotesMode.NONE
    assert Settings(REFERENCE).lab_ranges is LabRangePolicy.IGNORE  # callers say otherwise


def test_notes_for_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="none, brief, full"):
        notes_for(REFERENCE, "b12", "deficient", "brif")


def _reference_noting(text: str) -> Reference:
    note = Note("b12", frozenset({"deficient"}), "finding", text, "test", "reference")
    return Reference(
        analytes={}, refused_codes={}, unit_index={}, notes=(note,), patterns=(), origins=()
    )


def test_a_later_reference_never_gets_an_earlier_ones_notes() -> None:
    """The notes memory once used id(reference) as its key: a Reference made after another
    was freed often has the same id (here, in nearly every trial), and got the freed one's
    notes."""
    for trial in range(50):
        first = _reference_noting(f"first {trial}")
        assert [n.text for n in notes_for(first, "b12", "deficient", "brief")] == [f"first {trial}"]
        del first
        gc.collect()
        second = _reference_noting(f"second {trial}")
        assert [n.text for n in notes_for(second, "b12", "deficient", "brief")] == [
            f"second {trial}"
        ]
        del second
