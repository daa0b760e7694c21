"""The lab-range policy of the core (core/labpolicy.py) against what ``scan --lab-ranges`` writes.

For each file: ``scan --lab-ranges ignore`` gives the records before any policy; the core's
policy applied to each of them must give exactly the records ``scan --lab-ranges show|prefer``
writes. Pattern and derived-value notes (added later, per patient and date, from the final
flags) are left out on both sides.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.evaluate import Settings, evaluate
from b12check.core.labpolicy import apply_lab_policy
from b12check.core.records import FIELDS, NoteRef, Record
from b12check.core.refdata import load_reference
from b12check.core.vocab import LabRangePolicy, NotesMode
from tests.conftest import EXAMPLES, REPO, invoke

REFERENCE = load_reference()
LATER_KINDS = {"pattern", "derived"}
FILES = sorted(
    [
        *EXAMPLES.glob("*.csv"),
        *(REPO / "tests" / "fixtures").glob("*.csv"),
        REPO / "tests" / "fixtures" / "bad" / "65-lab-range-overflow.csv",
        REPO / "tests" / "fixtures" / "bad" / "20-decimal-comma-minus-flags.csv",
        REPO / "tests" / "fixtures" / "bad" / "17-censored.csv",
    ]
)
LAB_EXPORT = (
    "Test,Result,Unit,Reference Range,Flag,Sex\n"
    "B12,250,pg/mL,200-900,,F\n"
    "Ferritin,170,ng/mL,15-200,,\n"
    "B12,150,pg/mL,200-900,L,F\n"
    "B12,500,pg/mL,,L,\n"
    "B12,500 H,pg/mL,,,\n"
    "Vitamin D,45,nmol/L,>=50,,\n"
    "Vitamin D,<10,ng/mL,30-100,L,\n"
    'Magnesium,"0,69",mmol/L,"0,70-1,00",,\n'
    "Ferritin,40,ug/L,<30,,M\n"
    "B12,150,pg/mL,,N,\n"
    "Ferritin,900,ug/L,,(H),F\n"
    "Ferritin,900,ug/L,,*,F\n"
)


def _scan(source: Path | str, policy: str, notes: str) -> list[dict[str, Any]]:
    args = ["scan", "--format", "ndjson", "--notes", notes, "--lab-ranges", policy, "--quiet"]
    if isinstance(source, Path):
        result = invoke(*args, str(source))
    else:
        result = invoke(*args, "-", input=source)
    assert result.exit_code in (0, 1, 3), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _record(fields: dict[str, Any]) -> Record:
    values = dict(fields)
    values["notes"] = [NoteRef(**note) for note in values["notes"]]
    return Record(**values)


def _without_later_notes(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "notes": [n for n in fields["notes"] if n["kind"] not in LATER_KINDS]}


def _core_applied(before: list[dict[str, Any]], policy: str, notes: str) -> list[dict[str, Any]]:
    applied = []
    for fields in before:
        record = _record(_without_later_notes(fields))
        apply_lab_policy(record, LabRangePolicy(policy), REFERENCE, NotesMode(notes))
        applied.append(json.loads(json.dumps(record.as_dict())))
    return applied


def _assert_core_matches_scan(source: Path | str, policy: str, notes: str) -> None:
    before = _scan(source, "ignore", notes)
    written = [_without_later_notes(r) for r in _scan(source, policy, notes)]
    assert _core_applied(before, policy, notes) == written


@pytest.mark.parametrize("policy", ["show", "prefer"])
@pytest.mark.parametrize("notes", ["none", "brief", "full"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_core_policy_writes_what_scan_writes(path: Path, policy: str, notes: str) -> None:
    _assert_core_matches_scan(path, policy, notes)


@pytest.mark.parametrize("policy", ["show", "prefer"])
@pytest.mark.parametrize("notes", ["none", "brief", "full"])
def test_core_policy_on_ranges_and_flags_of_every_kind(policy: str, notes: str) -> None:
    _assert_core_matches_scan(LAB_EXPORT, policy, notes)


def test_the_cases_above_do_change_something() -> None:
    """(So that the comparisons above compare a policy at work, not two copies of nothing.)"""
    prefer = _scan(LAB_EXPORT, "prefer", "brief")
    shown = _scan(LAB_EXPORT, "show", "brief")
    assert prefer[0]["flag"] == "normal"
    assert prefer[0]["band_source"] == "the lab's reference range (200–900)"
    assert shown[0]["flag"] == "borderline"
    assert [n["kind"] for n in shown[3]["notes"]] == ["finding", "lab_disagreement"]
    assert shown[3]["notes"][1]["text"] == (
        "The lab flagged this value 'L' (low); the built-in band says normal."
    )


CELLS = st.sampled_from(["", "L", "H", "N", "LL", "HH", "(H)", "*", "↑", "normal", "A"])
RANGE_TEXT = st.one_of(
    st.just(""),
    st.builds(
        "{}-{}".format,
        st.integers(0, 900),
        st.integers(0, 1500),
    ),
    st.builds("{}{}".format, st.sampled_from(["<", ">", "<=", ">=", "≤"]), st.integers(0, 900)),
    st.sampled_from(["0,70-1,00", "30 - 100 ng/mL", "abc", "1.5-2.5"]),
)
ROWS = st.tuples(
    st.sampled_from(["B12", "Ferritin", "Vitamin D", "Magnesium", "TSAT", "Iron"]),
    st.one_of(
        st.integers(0, 2000).map(str),
        st.floats(0, 300, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.builds("{}{}".format, st.sampled_from(["<", ">", "<=", ">="]), st.integers(1, 900)),
    ),
    st.sampled_from(["pg/mL", "pmol/L", "ng/mL", "nmol/L", "ug/L", "mmol/L", "%", "ug/dL"]),
    RANGE_TEXT,
    CELLS,
    st.sampled_from(["", "F", "M"]),
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(ROWS, min_size=1, max_size=4),
    policy=st.sampled_from(["show", "prefer"]),
    notes=st.sampled_from(["none", "brief", "full"]),
)
def test_core_policy_matches_scan_on_any_row(
    rows: list[tuple[str, str, str, str, str, str]], policy: str, notes: str
) -> None:
    lines = ["Test,Result,Unit,Reference Range,Flag,Sex"]
    lines += [",".join(row) for row in rows]
    _assert_core_matches_scan("\n".join(lines) + "\n", policy, notes)


def test_evaluate_applies_the_settings_policy() -> None:
    """The policy in Settings reaches every caller of evaluate, typed values included."""

    def one(policy: str) -> Record:
        settings = Settings(REFERENCE, notes="brief", lab_ranges=policy)
        return evaluate(
            settings,
            file="x",
            line=1,
            name="b12",
            value_text="250",
            unit_text="pg/mL",
            lab_range="200-900",
        )

    ignored, shown, preferred = one("ignore"), one("show"), one("prefer")
    assert (ignored.flag, [n.kind for n in ignored.notes]) == ("borderline", ["finding"])
    assert [n.kind for n in shown.notes] == ["finding", "lab_disagreement"]
    assert (preferred.flag, preferred.band_low, preferred.band_high) == ("normal", 200, 900)
    assert set(FIELDS) == set(preferred.as_dict())
