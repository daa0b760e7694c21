"""Numbers as exports write them: thousands separators and comparator words (issue 15, item 3).

A value whose separators leave a doubt is an error record saying which reading is plausible,
never a confident flag; ``--thousands`` and ``--decimal-comma`` settle it.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke

GERMAN = (  # a ';' export as German spreadsheets write it: decimal commas, dotted thousands
    "Patient;Datum;Test;Ergebnis;Einheit\n"
    "P1;04.03.2025;Vitamin B12;1.250;pg/mL\n"
    "P1;04.03.2025;Magnesium;0,85;mmol/L\n"
    "P1;04.03.2025;Ferritin;1.250,5;ug/L\n"
    "P1;04.03.2025;Ferritin;1,450;ug/L\n"
)


def scan(tmp_path: Path, text: str, *options: str) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    result = invoke("scan", str(path), "--format", "json", *options)
    data = json.loads(result.stdout)
    summary = data["summary"]
    assert summary["results"] + summary["errors"] + summary["skipped"] == len(data["records"])
    return result.exit_code, data["records"], result.stderr


def by_text(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["value_text"]: r for r in records}


def test_a_dotted_thousand_in_a_decimal_comma_file_is_an_error_naming_the_plausible_reading(
    tmp_path: Path,
) -> None:
    code, records, stderr = scan(tmp_path, GERMAN)
    b12 = by_text(records)["1.250"]
    assert b12["status"] == "error" and b12["flag"] is None
    assert "1.25" in b12["reason"] and "1250" in b12["reason"]
    assert "only 1250 pg/mL is within the usual Vitamin B12 span" in b12["reason"]
    assert "--thousands" in b12["reason"]
    grouped = by_text(records)["1.250,5"]
    assert grouped["status"] == "error" and "--thousands ." in grouped["reason"]
    assert "1.250" in stderr and code == 3
    # the file's own decimal commas are read as such
    assert by_text(records)["0,85"]["value"] == 0.85
    assert by_text(records)["1,450"]["value"] == 1.45


@pytest.mark.parametrize("option", [("--thousands", "."), ("--decimal-comma",)])
def test_thousands_or_decimal_comma_settles_dotted_thousands(
    tmp_path: Path, option: tuple[str, ...]
) -> None:
    _, records, _ = scan(tmp_path, GERMAN, *option)
    found = by_text(records)
    assert found["1.250"]["status"] == "result" and found["1.250"]["value"] == 1250
    assert found["1.250,5"]["value"] == 1250.5
    assert found["0,85"]["value"] == 0.85


def test_thousands_none_reads_the_dot_as_a_decimal(tmp_path: Path) -> None:
    _, records, _ = scan(tmp_path, GERMAN, "--thousands", "none")
    assert by_text(records)["1.250"]["value"] == 1.25
    assert by_text(records)["1.250,5"]["status"] == "error"


def test_a_comma_file_is_known_by_its_values_not_only_its_delimiter(tmp_path: Path) -> None:
    text = 'Test,Result,Unit\nMagnesium,"0,72",mmol/L\nB12,"1.250",pg/mL\n'
    _, records, _ = scan(tmp_path, text)
    assert by_text(records)["1.250"]["status"] == "error"
    assert by_text(records)["0,72"]["value"] == 0.72


def test_a_dotted_number_whose_decimal_reading_is_unusual_is_not_guessed(
    tmp_path: Path,
) -> None:
    # no decimal commas anywhere: 1.250 is 1.25 ... unless only 1250 is a usual B12
    text = "Test,Result,Unit\nB12,1.250,pg/mL\nMagnesium,1.250,mmol/L\n"
    _, records, _ = scan(tmp_path, text)
    b12, magnesium = records
    assert b12["status"] == "error" and "only 1250 pg/mL" in b12["reason"]
    assert magnesium["status"] == "result" and magnesium["value"] == 1.25


def test_comma_thousands_in_typed_values() -> None:
    result = invoke("check", "b12=1,250 pg/mL", "ferritin=1,450.5", "--format", "json")
    assert result.exit_code == 3
    first, second = json.loads(result.stdout)["records"]
    assert first["status"] == "error" and "only 1250 pg/mL is within" in first["reason"]
    assert second["status"] == "error" and "--thousands ," in second["reason"]
    settled = invoke(
        "check", "b12=1,250 pg/mL", "ferritin=1,450.5", "--thousands", ",", "--format", "json"
    )
    values = [r["value"] for r in json.loads(settled.stdout)["records"]]
    assert values == [1250, 1450.5]


def test_an_unknown_thousands_mark_is_a_usage_error() -> None:
    result = invoke("check", "b12=250 pg/mL", "--thousands", "'")
    assert result.exit_code == 2 and "--thousands" in result.stderr


@pytest.mark.parametrize(
    ("text", "comparator", "value"),
    [
        ("GREATER THAN 2000", ">", 2000),
        ("Greater than 2000", ">", 2000),
        ("greater  than or equal to 1500", ">=", 1500),
        ("LESS THAN 150", "<", 150),
        ("Less Than Or Equal To 150", "<=", 150),
        ("ABOVE 2000", ">", 2000),
        ("below 150", "<", 150),
        ("More than 2000", ">", 2000),
    ],
)
def test_comparator_words_are_censored_values(
    tmp_path: Path, text: str, comparator: str, value: float
) -> None:
    _, records, _ = scan(tmp_path, f"Test,Result,Unit\nB12,{text},pg/mL\n")
    (record,) = records
    assert record["status"] == "result"
    assert (record["comparator"], record["value"]) == (comparator, value)


def test_a_comparator_word_without_a_number_is_still_an_error(tmp_path: Path) -> None:
    _, records, _ = scan(tmp_path, "Test,Result,Unit\nB12,below detection,pg/mL\n")
    assert records[0]["status"] == "error" and "not a number" in records[0]["reason"]


def test_comparator_words_in_typed_values() -> None:
    result = invoke("check", "vitamin d=LESS THAN 5 ng/mL", "--format", "json")
    (record,) = json.loads(result.stdout)["records"]
    assert (record["comparator"], record["value"], record["flag"]) == ("<", 5, "deficient")


def test_the_python_api_takes_thousands_too() -> None:
    from b12check.api import load_ranges

    ranges = load_ranges()
    assert ranges.check("b12", "1,250 pg/mL").status == "error"
    assert ranges.check("b12", "1,250 pg/mL", thousands=",").value == 1250
    with pytest.raises(ValueError, match="thousands"):
        ranges.check("b12", "250 pg/mL", thousands="'")
