"""Notes across one patient's results on one date: every pattern fires when its conditions
hold and stays quiet when they do not; transferrin saturation is derived from iron and TIBC."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.evaluate import Settings
from b12check.core.patterns import (
    GroupNotes,
    Result,
    derived_notes,
    firing_patterns,
    group_notes,
    pattern_key,
    watched_tests,
)
from b12check.core.records import Record
from b12check.core.refdata import Pattern, Reference, load_reference
from b12check.readers.typed import typed_records

REFERENCE = load_reference()
WATCHED = watched_tests(REFERENCE)


def value_for(reference: Reference, analyte_id: str, flag: str) -> str:
    """A typed value (canonical unit) that lands in ``flag`` for a woman."""
    analyte = reference.analytes[analyte_id]
    band = next(b for b in analyte.bands if b.flag == flag and b.sex in (None, "female"))
    low, high = band.interval.low, band.interval.high
    if low is not None and high is not None:
        number = (low + high) / 2
    elif high is not None:
        number = high * 0.6
    else:
        number = (low or 0) * 1.2 + 1
    return f"{analyte_id}={number:.4g}{analyte.canonical_unit}"


def notes_of(records: list[Record], kind: str) -> dict[str, list[str]]:
    return {r.analyte or "": [n.text for n in r.notes if n.kind == kind] for r in records}


def check(*values: str) -> list[Record]:
    settings = Settings(REFERENCE, sex="female", notes="brief")
    return typed_records(settings, values)


@pytest.mark.parametrize("pattern", REFERENCE.patterns, ids=lambda p: p.id)
def test_pattern_fires_when_its_conditions_hold(pattern: Pattern) -> None:
    values = [value_for(REFERENCE, a, sorted(flags)[0]) for a, flags in pattern.when.items()]
    fired = [text for texts in notes_of(check(*values), "pattern").values() for text in texts]
    assert pattern.text in fired


@pytest.mark.parametrize("pattern", REFERENCE.patterns, ids=lambda p: p.id)
def test_pattern_stays_quiet_otherwise(pattern: Pattern) -> None:
    analytes = list(pattern.when)
    first = analytes[0]
    other_flags = [
        b.flag for b in REFERENCE.analytes[first].bands if b.flag not in pattern.when[first]
    ]
    values = [value_for(REFERENCE, first, other_flags[0])] + [
        value_for(REFERENCE, a, sorted(pattern.when[a])[0]) for a in analytes[1:]
    ]
    fired = [text for texts in notes_of(check(*values), "pattern").values() for text in texts]
    assert pattern.text not in fired
    if pattern.absent:  # and the conditions alone are not enough when an absent test is there
        full = [value_for(REFERENCE, a, sorted(f)[0]) for a, f in pattern.when.items()]
        present = value_for(REFERENCE, sorted(pattern.absent)[0], "normal")
        texts = notes_of(check(*full, present), "pattern").values()
        assert pattern.text not in [text for group in texts for text in group]


def test_tsat_is_derived_from_iron_and_tibc_when_not_reported() -> None:
    derived = notes_of(check("iron=60ug/dL", "tibc=420ug/dL"), "derived")
    assert derived["tibc"] == [
        "Transferrin saturation worked out from iron and TIBC: 14.3 % (deficient). "
        "Derived here, not measured by the lab."
    ]
    assert derived["iron"] == []


def test_reported_tsat_that_disagrees_gets_a_note() -> None:
    disagree = notes_of(check("iron=60ug/dL", "tibc=420ug/dL", "tsat=25"), "derived")
    assert "differs from iron / TIBC (14.3 %)" in disagree["tsat"][0]
    agree = notes_of(check("iron=60ug/dL", "tibc=420ug/dL", "tsat=16"), "derived")
    assert agree == {"iron": [], "tibc": [], "tsat": []}


def test_iron_above_tibc_is_called_out() -> None:
    derived = notes_of(check("iron=300ug/dL", "tibc=250ug/dL"), "derived")
    assert "not physically possible" in derived["tibc"][0]


def test_derived_values_need_exact_values() -> None:
    assert notes_of(check("iron=<10ug/dL", "tibc=420ug/dL"), "derived")["tibc"] == []


def test_tibc_and_tsat_are_derived_from_iron_and_uibc() -> None:
    records = check("iron=60ug/dL", "uibc=300ug/dL")
    uibc = next(r for r in records if r.analyte == "uibc")
    assert (uibc.status, uibc.value, uibc.flag) == ("skipped", 300.0, None)
    assert "not flagged" in (uibc.reason or "")
    derived = notes_of(records, "derived")["iron"]
    assert derived[0].startswith("TIBC worked out as serum iron + UIBC: 360 ug/dL (normal)")
    assert "16.7 % (borderline)" in derived[1]


def test_uibc_in_a_scan_feeds_the_same_patient_and_date_only() -> None:
    from tests.conftest import invoke

    text = (
        "Patient,Date,Test,Result,Unit\n"
        "P1,2025-01-01,Iron,60,ug/dL\n"
        "P1,2025-01-01,UIBC,300,ug/dL\n"
        "P2,2025-01-01,Iron,60,ug/dL\n"
    )
    result = invoke("scan", "-", "--format", "json", "--sex", "female", input=text)
    data = __import__("json").loads(result.stdout)
    derived = {
        (r["patient"], r["analyte"]): [n["text"] for n in r["notes"] if n["kind"] == "derived"]
        for r in data["records"]
    }
    assert len(derived[("P1", "iron")]) == 2
    assert derived[("P2", "iron")] == []
    assert data["summary"]["skipped"] == 1 and result.exit_code in (0, 1)


# --- what the notes of a group depend on (the scan remembers notes by this key) ----------

# every analyte a pattern or a derived value reads, and one neither reads; uibc is only an
# alias in some data, so it is named here on its own
_ANALYTES = ["b12", "mma", "homocysteine", "ferritin", "iron", "tibc", "tsat", "uibc", "magnesium"]
_FLAGS = ["deficient", "borderline", "normal", "high", "critical_low", "unclassified", ""]
_result = st.tuples(
    st.sampled_from(_ANALYTES),
    st.sampled_from(_FLAGS),
    st.one_of(st.none(), st.sampled_from([5.0, 12.0, 30.0, 45.5, 60.0, 80.0, 300.0])),
    st.sampled_from([None, None, "<", ">"]),
)


def derived_key(results: list[Result]) -> object:
    """What derived values are documented to read (README, core/patterns.derived_notes):
    nothing without an exact serum iron; else the last exact iron, TIBC and UIBC, whether a
    saturation was reported, and the first exact one."""
    exact = {a: v for a, _, v, cmp in results if v is not None and not cmp}
    if exact.get("iron") is None:
        return None
    reported = [v for a, _, v, cmp in results if a == "tsat" and v is not None and not cmp]
    return (
        exact["iron"],
        exact.get("tibc"),
        exact.get("uibc"),
        any(a == "tsat" for a, *_ in results),
        reported[0] if reported else None,
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(_result, max_size=6), st.lists(_result, max_size=6))
def test_groups_with_one_key_get_the_same_notes(first: list[Result], second: list[Result]) -> None:
    """Whenever two groups share a key, they get exactly the same notes of that kind, so
    remembering notes by the key cannot change what a scan writes; no key, no derived value."""
    pairs = [(a, f) for a, f, _, _ in first], [(a, f) for a, f, _, _ in second]
    if pattern_key(pairs[0], WATCHED) == pattern_key(pairs[1], WATCHED):
        assert firing_patterns(pairs[0], REFERENCE) == firing_patterns(pairs[1], REFERENCE)
    if derived_key(first) == derived_key(second):
        assert derived_notes(first, REFERENCE) == derived_notes(second, REFERENCE)
    if derived_key(first) is None:
        assert derived_notes(first, REFERENCE) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(_result, max_size=6))
def test_remembered_notes_are_the_notes(results: list[Result]) -> None:
    remembered = GroupNotes(REFERENCE)
    assert remembered(list(results)) == group_notes(results, REFERENCE)
    assert remembered(list(results)) == group_notes(results, REFERENCE)  # (the second from memory)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_result, max_size=6), max_size=12), st.integers(0, 3))
def test_one_memory_for_many_groups_gives_each_group_its_own_notes(
    groups: list[list[Result]], limit: int
) -> None:
    # (one GroupNotes for a whole scan: what it remembers, by a group's pairs in order or
    # past its limit by the pairs the patterns read, must be what the patterns say of the
    # group's own flags, followed by its derived values)
    remembered = GroupNotes(REFERENCE)
    remembered.LIMIT = limit
    for results in [*groups, *groups]:
        pairs = [(a, f) for a, f, _, _ in results]
        expected = firing_patterns(pairs, REFERENCE) + derived_notes(results, REFERENCE)
        assert remembered(list(results)) == expected


def test_derived_values_are_keyed_by_the_iron_results() -> None:
    a: list[Result] = [("b12", "low", 150.0, None), ("mma", "high", 0.6, None)]
    b: list[Result] = [("b12", "low", 170.0, None), ("mma", "high", 0.9, None)]
    assert pattern_key([r[:2] for r in a], WATCHED) == pattern_key([r[:2] for r in b], WATCHED)
    assert derived_notes(a, REFERENCE) == []
    tibc: Result = ("tibc", "normal", 300.0, None)
    assert derived_notes([*a, ("iron", "normal", 60.0, None), tibc], REFERENCE) != derived_notes(
        [*a, ("iron", "normal", 61.0, None), tibc], REFERENCE
    )
