"""``scan --show-layout``: a dry run that says what each column is taken for (issue 15)."""

from pathlib import Path

from tests.conftest import invoke

MYCHART = (
    "Name;Component;Value;Units;Date\n"
    "Jane Q Public;Vitamin B12;150;pg/mL;13/02/2025\n"
    "Jane Q Public;Sodium;140;mmol/L;13/02/2025\n"
    "Jane Q Public;Sodium;139;mmol/L;14/02/2025\n"
    "Jane Q Public;Ferritn;40;ng/mL;14/02/2025\n"
)


def test_show_layout_of_a_long_file(tmp_path: Path) -> None:
    path = tmp_path / "mychart.csv"
    path.write_text(MYCHART, encoding="utf-8")
    result = invoke("scan", str(path), "--show-layout")
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert f"file: {path}\n  encoding: utf-8\n  delimiter: ';'\n  layout: long\n" in out
    assert "  header: line 1\n" in out
    assert "    test: 'Component' (column 2): column 'Component' rather than 'Name'" in out
    assert "    result: 'Value' (column 3)" in out
    assert "    not read: 'Name'\n" in out
    assert "  date order: day first (d/m/y)\n" in out
    assert "    'Sodium' (2 rows): not a test b12check covers\n" in out
    assert "    'Vitamin B12' (1 row): b12 (Vitamin B12)\n" in out
    assert "    'Ferritn' (1 row): not a test b12check covers; did you mean ferritin?" in out
    assert "result," not in out and "deficient" not in out  # no records


def test_show_layout_of_a_wide_file_with_a_units_row_and_stdin() -> None:
    text = "Subject,Visit Date,B12,Glucose\n,,pg/mL,mg/dL\nS1,03/04/2025,300,95\n"
    result = invoke("scan", "-", "--show-layout", input=text)
    assert result.exit_code == 0
    out = result.stdout
    assert "  layout: wide\n" in out
    assert "    'B12' [pg/mL]: b12 (Vitamin B12)\n" in out
    assert "    'Glucose' [mg/dL]: not a test b12check covers\n" in out
    assert (
        "  date order: not settled by the file (ISO dates need none); 1 date(s) not understood"
        in out
    )


def test_show_layout_of_a_file_without_a_header_and_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("just,some,words\nmore,words,here\n", encoding="utf-8")
    result = invoke("scan", str(path), str(tmp_path / "absent.csv"), "--show-layout")
    assert result.exit_code == 0
    assert "  layout: none: no header row found" in result.stdout
    assert f"file: {tmp_path / 'absent.csv'}\n  not read:" in result.stdout
