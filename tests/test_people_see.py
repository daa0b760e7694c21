"""People see what scripts see (issue 15, item 6): the table and markdown show the records'
warnings, the band in the result's own unit as well, what each sex would get when the flag
depends on sex, and ``--sex`` takes f and m in any case, as files and the prompts do."""

import json
from pathlib import Path

import pytest

from tests.conftest import invoke

WIDE = {"COLUMNS": "200"}


def _export(tmp_path: Path, text: str) -> str:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------ warnings


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_unit_warning_is_shown_to_people(fmt: str) -> None:
    result = invoke("check", "vitamin d=120 ng/mL", "-f", fmt, env=WIDE)
    record = json.loads(invoke("check", "vitamin d=120 ng/mL", "-f", "json").stdout)
    (warning,) = record["records"][0]["warnings"]
    assert "if the lab meant nmol/L" in warning
    assert "Warnings" in result.stdout
    shown = result.stdout.replace("\\", "")  # markdown escapes nothing in this one, but be fair
    assert "120 ng/mL is unusual for 25-hydroxyvitamin D" in shown
    assert "argv:1" in shown


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_scan_warnings_name_the_row(tmp_path: Path, fmt: str) -> None:
    export = _export(
        tmp_path,
        "Patient,Date,Test,Result,Units\n"
        "P1,yesterday-ish,Vitamin D,45,nmol/L\n"
        "P1,2025-01-02,TSAT,0.14,\n",
    )
    out = invoke("scan", export, "-f", fmt, env=WIDE).stdout.replace("\\", "")
    assert "date 'yesterday-ish' not understood" in out
    assert "export.csv:2" in out
    assert "0.14 read as a fraction, 14 %" in out
    assert "export.csv:3" in out


def test_one_warning_on_many_rows_is_listed_once() -> None:
    values = [f"b12={v}pg/mL" for v in (200, 300, 400, 500, 600)]
    out = invoke("check", *values, "--age", "12", env=WIDE).stdout
    assert out.count("children's ranges differ") == 1
    assert "B12 (argv:1), B12 (argv:2), B12 (argv:3) and 2 more" in out


def test_no_warnings_no_section() -> None:
    out = invoke("check", "b12=400pg/mL", env=WIDE).stdout
    assert "Warnings" not in out


# ---------------------------------------------------------------------- band in own unit


@pytest.mark.parametrize(
    ("value", "band"),
    [
        ("vitamin d=45 nmol/L", "12–20 ng/mL (30–50 nmol/L)"),
        ("b12=250 pmol/L", "180–350 pg/mL (133–258 pmol/L)"),
        ("mg=2.1 mg/dL", "(2.07–2.67 mg/dL)"),
        ("vitamin d=10 nmol/L", "< 12 ng/mL (< 30 nmol/L)"),
    ],
)
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_the_band_is_also_in_the_results_unit(value: str, band: str, fmt: str) -> None:
    out = invoke("check", value, "-f", fmt, env=WIDE).stdout.replace("\\", "")  # md escapes <
    assert band in out


def test_a_result_in_the_canonical_unit_shows_the_band_once() -> None:
    out = invoke("check", "vitamin d=15 ng/mL", env=WIDE).stdout
    assert "12–20 ng/mL" in out and "(" not in out.split("\n")[2]


def test_machine_formats_keep_the_band_fields() -> None:
    record = json.loads(invoke("check", "vitamin d=45 nmol/L", "-f", "json").stdout)["records"][0]
    assert (record["band_low"], record["band_high"], record["canonical_unit"]) == (
        12.0,
        20.0,
        "ng/mL",
    )


# ------------------------------------------------------------------------- flag by sex


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_an_unclassified_value_shows_what_each_sex_would_get(fmt: str) -> None:
    out = invoke("check", "ferritin=170", "-f", fmt, env=WIDE).stdout
    assert "female: high, male: normal" in out
    record = json.loads(invoke("check", "ferritin=170", "-f", "json").stdout)["records"][0]
    assert record["flag_by_sex"] == {"female": "high", "male": "normal"}


# --------------------------------------------------------------------------------- --sex


@pytest.mark.parametrize("given", ["f", "F", "female", "Female", "FEMALE"])
def test_sex_f_is_female(given: str) -> None:
    result = invoke("check", "ferritin=170", "--sex", given, "-f", "json")
    record = json.loads(result.stdout)["records"][0]
    assert (record["sex"], record["flag"]) == ("female", "high")


@pytest.mark.parametrize("given", ["m", "M", "male", "Male"])
def test_sex_m_is_male(given: str) -> None:
    record = json.loads(invoke("check", "ferritin=170", "--sex", given, "-f", "json").stdout)
    assert (record["records"][0]["sex"], record["records"][0]["flag"]) == ("male", "normal")


def test_scan_takes_sex_f(tmp_path: Path) -> None:
    export = _export(tmp_path, "Test,Result,Units\nFerritin,170,ng/mL\n")
    result = invoke("scan", export, "--sex", "F", "-f", "json")
    assert json.loads(result.stdout)["records"][0]["flag"] == "high"


def test_an_unknown_sex_is_a_usage_error() -> None:
    result = invoke("check", "ferritin=170", "--sex", "x")
    assert result.exit_code == 2
    assert "'x' is not a sex b12check reads; use female or male (f, m)" in result.stderr


def test_a_unit_with_the_same_numbers_is_not_repeated() -> None:
    out = invoke("check", "ferritin=12 ng/mL", env=WIDE).stdout
    assert "< 15 ug/L" in out and "ng/mL)" not in out


# ----------------------------------------------------------------------- check --compare


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_compare_shows_the_band_in_the_results_unit_and_each_sexs_flag(fmt: str) -> None:
    args = ("check", "vitamin d=45 nmol/L", "ferritin=170", "--compare", "-f", fmt)
    out = invoke(*args, env=WIDE).stdout.replace("\\", "")
    assert "12–20 ng/mL (30–50 nmol/L)" in out
    assert "< 20 ng/mL (< 50 nmol/L)" in out  # Endocrine Society 2011: its own paired edge
    assert "female: high, male: normal" in out
    assert "pass --sex to settle it" in out


def test_compare_machine_formats_keep_their_fields() -> None:
    args = ("check", "vitamin d=45 nmol/L", "ferritin=170", "--compare")
    rows = json.loads(invoke(*args, "-f", "json").stdout)["comparisons"]
    assert list(rows[0]) == [
        "status",
        "line",
        "analyte",
        "value_text",
        "guideline",
        "title",
        "flag",
        "band_label",
        "band",
        "band_source",
        "reason",
    ]
    assert rows[0]["band"] == "12–20 ng/mL"
    header = invoke(*args, "-f", "csv").stdout.splitlines()[0]
    assert header == (
        "status,line,analyte,value_text,guideline,title,flag,band_label,band,band_source,reason"
    )
