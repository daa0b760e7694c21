"""Trends keep the first and last point of each series and count its distinct dates."""

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.trends import Trends
from tests.conftest import invoke

DATES = st.dates().map(lambda d: d.isoformat())
POINTS = st.lists(st.tuples(DATES, st.floats(0.1, 5000), st.sampled_from(["low", "normal"])))


@given(POINTS)
def test_a_series_has_its_earliest_and_latest_point_and_counts_distinct_dates(
    points: list[tuple[str, float, str]],
) -> None:
    trends = Trends()
    for date, value, flag in points:
        trends.add("P1", "ferritin", date, value, flag, "ug/L")
    dates = {date for date, _, _ in points}
    found = list(trends.items())
    if len(dates) < 2:
        assert found == []  # one date is not a trend
        return
    (series,) = found
    earliest = next(p for p in points if p[0] == min(dates))  # the first of equal dates
    latest = next(p for p in points if p[0] == max(dates))
    assert series["dates"] == len(dates)
    assert series["first"] == {"date": earliest[0], "value": earliest[1], "flag": earliest[2]}
    assert series["last"] == {"date": latest[0], "value": latest[1], "flag": latest[2]}
    change = round(latest[1] - earliest[1], 6)
    assert series["change"] == change
    assert series["direction"] == ("up" if change > 0 else "down" if change < 0 else "none")


def test_series_are_capped_and_say_so() -> None:
    trends = Trends()
    for patient in range(50_001):
        trends.add(f"P{patient}", "b12", "2025-01-01", 300.0, "normal", "pg/mL")
        trends.add(f"P{patient}", "b12", "2025-06-01", 400.0, "normal", "pg/mL")
    assert trends.truncated
    assert len(list(trends.items())) == 50_000


def test_the_table_orders_trends_by_date_and_leaves_out_dates_not_understood(
    tmp_path: Path,
) -> None:
    """A date the readers could not understand has no place in a series: the table's trend
    runs from the earliest understood date to the latest and says what it left out."""
    export = tmp_path / "lab.csv"
    export.write_text(
        "patient,date,test,result,unit\n"
        "P1,2025-08-05,Vitamin B12,402,pg/mL\n"
        "P1,sometime in spring,Vitamin B12,150,pg/mL\n"
        "P1,2025-01-15,Vitamin B12,238,pg/mL\n",
        encoding="utf-8",
    )
    result = invoke("scan", str(export), "--format", "table", env={"COLUMNS": "200"})
    trend = next(line for line in result.stdout.splitlines() if "→" in line and "B12" in line)
    assert "238 → 402 pg/mL" in trend and "(2025-01-15 … 2025-08-05)" in trend
    assert "1 result(s) with a date not understood left out of trends" in result.stdout


def test_distinct_dates_are_counted_up_to_the_cap() -> None:
    """A series counts each distinct date once, however often it comes, up to 1,000."""
    trends = Trends()
    start = datetime.date(2000, 1, 1)
    days = [(start + datetime.timedelta(days=n)).isoformat() for n in range(1200)]
    for day in days[:5] + days[:5] + days[5:]:
        trends.add("P1", "b12", day, 300.0, "normal", "pg/mL")
    (series,) = trends.items()
    assert series["dates"] == 1000
    assert series["first"]["date"] == days[0] and series["last"]["date"] == days[-1]


GROUP = st.tuples(
    st.sampled_from(["P1", "P2", "P3", ""]),
    st.sampled_from(["2025-01-01", "2025-02-01", "2025-03-01", "01/02/2025"]),
    st.lists(
        st.tuples(
            st.sampled_from(["b12", "ferritin", "iron"]),
            st.sampled_from(["low", "normal"]),
            st.one_of(st.none(), st.floats(0.1, 500)),
            st.sampled_from([None, None, "<"]),
        ),
        max_size=4,
    ),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(GROUP, max_size=30), limit=st.integers(0, 4))
def test_groups_of_results_make_the_series_their_results_make_one_by_one(
    groups: list[tuple[str, str, list[tuple[str, str, float | None, str | None]]]],
    limit: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a scan hands the trends each patient's results of one date together; past the cap on
    # series, a patient with none is settled once for a run of its groups: the series, the
    # cap's flag and the count of dates not understood are those of adding each result)
    from b12check.core import trends as module

    monkeypatch.setattr(module, "LIMIT", limit)
    units = {"b12": "pg/mL", "ferritin": "ug/L", "iron": "ug/dL"}
    grouped, single = Trends(), Trends()
    for patient, date, results in groups:
        grouped.add_results(patient, date, results, units)
        for analyte, flag, value, comparator in results:
            if not comparator:
                single.add(patient, analyte, date, value, flag, units[analyte])
    assert list(grouped.items()) == list(single.items())
    assert grouped.truncated == single.truncated
    assert grouped.undated == single.undated
