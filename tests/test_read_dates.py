"""Collection dates as exports write them (issue 15, item 7), and trends ordered by the date
read, never by its text."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke


def scan(tmp_path: Path, text: str, *options: str) -> dict[str, Any]:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    data: dict[str, Any] = json.loads(
        invoke("scan", str(path), "--format", "json", "--notes", "none", *options).stdout
    )
    summary = data["summary"]
    assert summary["results"] + summary["errors"] + summary["skipped"] == len(data["records"])
    return data


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2025-03-04", "2025-03-04"),
        ("2025-03-04T09:12", "2025-03-04"),
        ("2025-03-04T09:12:30.5Z", "2025-03-04"),
        ("2025-03-04 09:12:00+01:00", "2025-03-04"),
        ("20250304", "2025-03-04"),
        ("202503040912", "2025-03-04"),
        ("Mar 4, 2025 9:12 AM", "2025-03-04"),
        ("March 4, 2025", "2025-03-04"),
        ("Sept 30 2025", "2025-09-30"),
        ("04-Mar-2025", "2025-03-04"),
        ("4-mar-2025 14:05", "2025-03-04"),
        ("1 Dec 2024", "2024-12-01"),
        ("14.03.2025 08:30", "2025-03-14"),
        ("01/31/2025 9:12 PM", "2025-01-31"),
        ("31/01/2025 21:12", "2025-01-31"),
    ],
)
def test_common_date_forms_are_read(tmp_path: Path, written: str, iso: str) -> None:
    data = scan(tmp_path, f'Date,Test,Result,Unit\n"{written}",Ferritin,50,ug/L\n')
    (record,) = data["records"]
    assert record["date"] == iso
    assert not record["warnings"]


@pytest.mark.parametrize(
    ("written", "warning"),
    [
        ("20251304", "not a valid calendar date"),
        ("31-Feb-2025", "not a valid calendar date"),
        ("Mar 4, 2025 13:12 PM", "has a time that cannot be"),
        ("2025-03-04 25:00", "has a time that cannot be"),
        ("Foo 4, 2025", "not understood"),
    ],
)
def test_a_date_that_cannot_be_is_kept_with_a_warning(
    tmp_path: Path, written: str, warning: str
) -> None:
    data = scan(tmp_path, f'Date,Test,Result,Unit\n"{written}",Ferritin,50,ug/L\n')
    (record,) = data["records"]
    assert record["status"] == "result"  # a bad date never makes the value unreadable
    assert record["date"] == written
    assert any(warning in w for w in record["warnings"])


def test_us_and_uk_slashes_still_follow_the_files_order(tmp_path: Path) -> None:
    uk = "Date,Test,Result,Unit\n31/01/2025,Ferritin,50,ug/L\n03/04/2025,Ferritin,40,ug/L\n"
    us = "Date,Test,Result,Unit\n01/31/2025,Ferritin,50,ug/L\n03/04/2025,Ferritin,40,ug/L\n"
    assert scan(tmp_path, uk)["records"][1]["date"] == "2025-04-03"
    assert scan(tmp_path, us)["records"][1]["date"] == "2025-03-04"


def test_trends_order_by_the_date_read_and_leave_unread_dates_out(tmp_path: Path) -> None:
    text = (
        "Patient,Date,Test,Result,Unit\n"
        "P1,Mar 4 2025,Ferritin,10,ug/L\n"  # as text this sorts before '1 Dec 2024'...
        "P1,20250105,Ferritin,50,ug/L\n"
        "P1,1 Dec 2024,Ferritin,80,ug/L\n"  # ...but it is the earliest
        "P1,someday,Ferritin,5,ug/L\n"  # not understood: in no trend
    )
    trends = scan(tmp_path, text)["trends"]
    (series,) = trends["series"]
    assert series["first"] == {"date": "2024-12-01", "value": 80, "flag": "normal"}
    assert series["last"] == {"date": "2025-03-04", "value": 10, "flag": "deficient"}
    assert series["dates"] == 3 and series["direction"] == "down"
    assert trends["dates_not_understood"] == 1
