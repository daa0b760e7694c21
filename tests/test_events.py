"""``--events FILE``: the patient's own dated events, read strictly (readers/events.py)."""

from pathlib import Path

import pytest

from b12check.core.errors import ConfigError
from b12check.readers.events import Event, load_events, read_events


def test_rows_with_or_without_a_header_in_date_order() -> None:
    with_header = read_events("e.csv", "date,text\n2025-03-01,b\n2025-01-01,a\n")
    without = read_events("e.csv", "2025-03-01,b\n2025-01-01,a\n")
    assert with_header == without == [Event("2025-01-01", "a"), Event("2025-03-01", "b")]


def test_a_patient_column_ties_an_event_to_one_patient() -> None:
    events = read_events("e.csv", "date,event,patient\n2025-01-01,started iron,P1\n2025-02-01,x,\n")
    assert events == [Event("2025-01-01", "started iron", "P1"), Event("2025-02-01", "x", None)]


def test_a_quoted_comma_and_blank_lines_are_fine() -> None:
    events = read_events("e.csv", '\n2025-01-01,"B12, 1000 µg"\n\n')
    assert events == [Event("2025-01-01", "B12, 1000 µg")]


def test_every_problem_is_named_by_file_and_line() -> None:
    text = "date,text\n2025-01-01,ok\n1/2/2025,x\n2025-02-29,leap?\n2025-03-01,\n2025-03-02,a,b\n"
    with pytest.raises(ConfigError) as caught:
        read_events("e.csv", text)
    assert caught.value.problems == [
        "e.csv:3: '1/2/2025' is not a date written YYYY-MM-DD",
        "e.csv:4: '2025-02-29' is not a date written YYYY-MM-DD",
        "e.csv:5: the event has no text",
        "e.csv:6: expected 2 fields (date,text), found 3; quote a text that holds a comma",
    ]


def test_a_line_number_counts_lines_not_rows() -> None:
    with pytest.raises(ConfigError) as caught:
        read_events("e.csv", '2025-01-01,"two\nlines"\nnot a date,x\n')
    assert caught.value.problems == ["e.csv:3: 'not a date' is not a date written YYYY-MM-DD"]


def test_a_file_that_is_not_utf8_or_missing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"2025-01-01,caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_events(str(path))
    with pytest.raises(ConfigError, match="cannot read the events file"):
        load_events(str(tmp_path / "missing.csv"))


def test_a_bom_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes("\ufeffdate,text\n2025-01-01,a\n".encode())
    assert load_events(str(path)) == [Event("2025-01-01", "a")]
