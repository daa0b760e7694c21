"""The scan cache's groups in notes modes (run/grouprows.py): a patient's results of one date
are gathered in the cache and batched when no note from the others applies. Whatever the
group looks like (long enough to be cut, with a pattern that fires, with rows the full path
reads, with tests not covered, with dates that are not understood), the bytes and the
counts are those of the full path."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.patterns import MAX_GROUP
from tests.test_fastlane import SUMMARIES, scan_text

HEADER = "patient_id,collected,analyte,value,unit"
# (test, unit, values): normal ones, and ones that make a pattern fire with the others
PLAIN = [("Vitamin D", "ng/mL", ["34", "41", "55.5"]), ("Magnesium", "mmol/L", ["0.85", "0.9"])]
PATTERN = [("Ferritin", "ng/mL", "12"), ("Transferrin saturation", "%", "9")]
ODD = [
    ("Glucose", "mg/dL", "90"),  # a test not covered: skipped
    ("Vitamin D", "ng/mL", "abc"),  # an error record, read by the full path
    ("Ferritin", "ng/mL", "<5"),  # censored: no trend point
]


def _row(patient: str, date: str, test: tuple[str, str, str]) -> str:
    return f"{patient},{date},{test[0]},{test[2]},{test[1]}"


def _export(draw: st.DrawFn) -> str:
    lines = [HEADER]
    for number in range(draw(st.integers(1, 4))):
        patient = draw(st.sampled_from([f"P{number}", "P0", ""]))
        date = draw(st.sampled_from(["2024-01-05", "2024-03-09", "05/01/2024", "", "nope"]))
        size = draw(st.sampled_from([1, 3, MAX_GROUP - 1, MAX_GROUP, MAX_GROUP + 1, 450]))
        for position in range(size):
            name, unit, values = PLAIN[position % len(PLAIN)]
            plain = (name, unit, values[position % len(values)])
            lines.append(_row(patient, date, plain))
        for odd in draw(st.lists(st.sampled_from(PATTERN + ODD), max_size=4)):
            at = draw(st.integers(1, len(lines)))
            lines.insert(at, _row(patient, date, odd))
    return "\n".join(lines) + "\n"


exports = st.composite(_export)


@settings(max_examples=40, deadline=None)
@given(exports(), st.sampled_from(["json", "csv", "ndjson"]), st.sampled_from(["brief", "full"]))
def test_grouped_cache_writes_what_the_full_path_writes(text: str, fmt: str, notes: str) -> None:
    cached, _ = scan_text(text, fmt, True, notes=notes)
    uncached, _ = scan_text(text, fmt, False, notes=notes)
    assert cached == uncached
    assert SUMMARIES[-1] == SUMMARIES[-2]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_pattern_past_the_group_limit_is_noted_in_its_own_part(fmt: str) -> None:
    # 250 results of one patient and date: the first MAX_GROUP are one group, the rest another;
    # the pattern's two results are both in the second part, so it is noted there.
    rows = [_row("P1", "2024-01-05", ("Vitamin D", "ng/mL", "40")) for _ in range(248)]
    rows += [_row("P1", "2024-01-05", test) for test in PATTERN]
    text = "\n".join([HEADER, *rows]) + "\n"
    cached, fast = scan_text(text, fmt, True, notes="brief")
    assert cached == scan_text(text, fmt, False, notes="brief")[0]
    assert cached.count("usual picture of iron deficiency") == 1
    assert fast == 250  # every value rendered by the cache (the noted one read again by it)


def test_json_trends_and_counts_come_from_batched_groups() -> None:
    dates = ["2024-01-05", "2024-06-01", "2024-11-30"]
    rows = [
        _row("P1", date, ("Vitamin D", "ng/mL", value))
        for date, value in zip(dates, ["20", "30", "45"], strict=True)
    ]
    rows.append(_row("P1", "nope", ("Vitamin D", "ng/mL", "50")))  # no point: date not read
    rows.append(_row("P1", "2024-12-01", ("Glucose", "mg/dL", "90")))  # skipped
    text = "\n".join([HEADER, *rows]) + "\n"
    out, _ = scan_text(text, "json", True, notes="full")
    assert out == scan_text(text, "json", False, notes="full")[0]
    document = json.loads(out)
    (series,) = document["trends"]["series"]
    assert (series["first"]["date"], series["last"]["date"]) == ("2024-01-05", "2024-11-30")
    assert (series["first"]["value"], series["last"]["value"], series["dates"]) == (20, 45, 3)
    assert document["trends"]["dates_not_understood"] == 1
    assert (document["summary"]["results"], document["summary"]["skipped"]) == (4, 1)


@pytest.mark.parametrize("ferritin_at", [190, 199, 200, 201, 205])
def test_groups_are_cut_where_the_grouping_cuts_them(ferritin_at: int) -> None:
    # One patient and date, 420 results: the pattern needs ferritin and saturation in the
    # same part of MAX_GROUP results; saturation comes 6 results after ferritin. Another
    # patient has the same values first, so that the cache knows them when they come.
    saturation_at = ferritin_at + 6
    rows = [_row("P0", "2024-01-01", test) for test in PATTERN]
    for position in range(1, 421):
        test = ("Vitamin D", "ng/mL", "40")
        if position == ferritin_at:
            test = PATTERN[0]
        elif position == saturation_at:
            test = PATTERN[1]
        rows.append(_row("P1", "2024-01-05", test))
    text = "\n".join([HEADER, *rows]) + "\n"
    cached, _ = scan_text(text, "csv", True, notes="brief")
    assert cached == scan_text(text, "csv", False, notes="brief")[0]
    together = (ferritin_at - 1) // MAX_GROUP == (saturation_at - 1) // MAX_GROUP
    assert cached.count("usual picture of iron deficiency") == (2 if together else 1)


def test_wide_rows_rendered_whole_or_cell_by_cell_write_the_same() -> None:
    # A wide file, batched (no notes): rows the cache knows whole, rows with one new cell,
    # a filled column of a test not covered, an empty row and a row that is too short.
    header = "patient_id,collected,Vitamin D (ng/mL),Ferritin (ng/mL),Glucose (mg/dL)"
    known = ["P1,2024-01-05,40,80,", "P2,2024-01-06,40,80,"]
    rows = [*known, "P3,2024-01-07,40,81,", *known, "P4,2024-01-08,40,80,95", "P5,,,,"]
    rows += ["P6,2024-01-09,40", *known * 60]
    text = "\n".join([header, *rows]) + "\n"
    for fmt in ("csv", "ndjson"):
        cached, fast = scan_text(text, fmt, True, notes="none")
        assert cached == scan_text(text, fmt, False, notes="none")[0]
        assert SUMMARIES[-1] == SUMMARIES[-2]
        assert fast >= 2 * len(known) * 60  # (the rows it knows whole are rendered by it)
