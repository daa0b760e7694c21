"""``--format html``: the page's content, escaping, structure, events and cohort summary.

These run everywhere (no browser); tests/test_html_browser.py renders the page in Chromium.
"""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.records import Record, Summary
from b12check.core.refdata import load_reference
from b12check.render.html_report import HtmlWriter
from tests.conftest import EXAMPLES, invoke, run_cli
from tests.html_helpers import FIXTURES, Page

FOLLOW_UP = str(FIXTURES / "follow-up.csv")
EVENTS = str(FIXTURES / "events.csv")
# Tags the report is made of; anything else came from input text.
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "dl",
    "dt", "dd", "section", "table", "thead", "tbody", "tr", "th", "td", "span", "div", "br",
    "svg", "g", "rect", "line", "text", "path", "circle", "figure", "figcaption",
    "strong", "ul", "ol", "li", "code", "footer", "colgroup", "col",
}  # fmt: skip
CSV_HEADER = "Patient ID,Sex,Collection Date,Test Name,Result,Units,Reference Range\n"


def scan_html(*args: str) -> str:
    result = invoke("scan", *args, "--format", "html")
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def write_csv(tmp_path: Path, rows: list[str], name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_text(CSV_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_page_is_self_contained_with_a_strict_policy_and_no_script() -> None:
    page_text = scan_html(str(EXAMPLES / "us-portal-export.csv"))
    assert page_text.startswith("<!DOCTYPE html>")
    assert "<script" not in page_text.lower()
    page = Page(page_text)
    policies = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert len(policies) == 1
    policy = policies[0] or ""
    assert "default-src 'none'" in policy and "script-src" not in policy
    for tag, attrs in page.tags:  # nothing that could fetch or run anything
        assert not {"src", "href", "srcset", "action"} & set(attrs), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "url(" not in (attrs.get("style") or "")
    assert "url(" not in page_text and "@import" not in page_text
    assert page.names() <= PAGE_TAGS


def test_every_value_and_the_disclaimer_are_on_the_page() -> None:
    page = Page(scan_html(str(EXAMPLES / "us-portal-export.csv")))
    for value in ("238 pg/mL", "17.2 ng/mL", "1.9 mg/dL", "9 ng/mL", "31 mcg/dL", "452 mcg/dL"):
        assert value in page.text
    for value in ("561 pg/mL", "38.5 ng/mL", "2.1 mg/dL", "46 ng/mL", "74 mcg/dL", "19 %"):
        assert value in page.text
    assert page.text.count("Not medical advice — discuss results with a qualified clinician.") == 2
    assert "Skipped (not covered): Cholesterol, Total, TSH" in page.text


def test_header_names_patient_dates_files_ranges_and_guidelines() -> None:
    page = Page(scan_html(FOLLOW_UP))
    text = page.text
    assert "Patient P042" in text
    assert "2024-11-04 to 2025-06-30 (3 dates)" in text
    assert "follow-up.csv" in text
    assert "built-in reference ranges (no overlay)" in text
    assert "B12: nice-2024" in text and "Vitamin D: iom-2011" in text


def test_flagged_results_come_before_the_rest() -> None:
    text = Page(scan_html(FOLLOW_UP)).text
    flagged, others = text.index("Flagged results"), text.index("Other results")
    assert flagged < others
    # the deficient vitamin D first; the normal B12 of June only under the rest
    assert flagged < text.index("<10 ng/mL") < others < text.index("388 pmol/L")
    assert text.index("Trends") > others


def test_gauge_has_equal_bands_and_cut_points_in_the_results_own_unit() -> None:
    page = Page(scan_html(FOLLOW_UP))
    gauges = [i for i, (tag, a) in enumerate(page.tags) if a.get("class") == "gauge"]
    assert len(gauges) == 11  # one per result
    labels = [a["aria-label"] or "" for t, a in page.tags if a.get("class") == "gauge"]
    b12 = gauges[labels.index(next(x for x in labels if x.startswith("B12 162 pmol/L")))]
    end = next(i for i in range(b12 + 1, len(page.tags)) if page.tags[i][0] == "svg")
    following = page.tags[b12 + 1 : end]
    bands = [a for t, a in following if t == "rect" and "band" in (a.get("class") or "")]
    widths = {a["width"] for a in bands}
    assert len(bands) >= 3 and len(widths) == 1  # each band the same share
    # NICE's 180 and 350 pg/mL written as the lab's report writes them, in pmol/L
    assert "133" in page.text and "258" in page.text and "pmol/L" in page.text


def test_a_trend_chart_for_each_test_measured_on_several_dates() -> None:
    page_text = scan_html(FOLLOW_UP, "--events", EVENTS)
    page = Page(page_text)
    assert page.count("figure", "chart") == 4  # B12, vitamin D, ferritin, magnesium
    captions = page.text
    assert "reporting lab's range: 133–675 pmol/L" in captions
    assert "reporting lab's range: 30–100 ng/mL" in captions
    assert page.count("circle", "open") == 1  # the vitamin D given as <10
    assert page.count("line", "event") == 3 * 4  # each event on each chart
    assert page.count("rect", "zone") >= 4 * 3  # the bands shaded behind every chart
    # a real time axis: points spaced by days, not by index (Nov 4 → Feb 17 → Jun 30)
    b12 = [(t, a) for t, a in page.tags if t == "circle" and "point" in (a.get("class") or "")]
    xs = [float(a["cx"] or 0) for _, a in b12[:3]]
    first_gap, second_gap = xs[1] - xs[0], xs[2] - xs[1]
    assert first_gap / second_gap == pytest.approx(105 / 133, rel=0.02)


def test_events_are_listed_as_the_patients_own() -> None:
    text = Page(scan_html(FOLLOW_UP, "--events", EVENTS)).text
    assert "Your events" in text
    assert "2024-11-20: Started B12 tablets (1000 µg daily)" in text
    assert "b12check does not suggest any" in text


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ("date,text\n2025-13-01,bad\n", "ev.csv:2: '2025-13-01' is not a date written YYYY-MM-DD"),
        ("date,text\n03/04/2025,ambiguous\n", "ev.csv:2: '03/04/2025' is not a date written"),
        ("2025-01-01,\n", "ev.csv:1: the event has no text"),
        ("2025-01-01,a,b\n", "ev.csv:1: expected 2 fields (date,text), found 3"),
    ],
)  # fmt: skip
def test_a_bad_events_row_is_a_usage_error_naming_it(
    tmp_path: Path, rows: str, reason: str
) -> None:
    events = tmp_path / "ev.csv"
    events.write_text(rows, encoding="utf-8")
    out = tmp_path / "report.html"
    result = invoke("scan", FOLLOW_UP, "-f", "html", "--events", str(events), "-o", str(out))
    assert result.exit_code == 2
    assert reason in result.stderr
    assert not out.exists()  # nothing written


def test_every_bad_events_row_is_reported_not_only_the_first(tmp_path: Path) -> None:
    events = tmp_path / "ev.csv"
    events.write_text("date,text\n2025-01-01,fine\nyesterday,x\n2025-02-30,y\n", "utf-8")
    result = invoke("scan", FOLLOW_UP, "-f", "html", "--events", str(events))
    assert result.exit_code == 2
    assert "ev.csv:3:" in result.stderr and "ev.csv:4:" in result.stderr


def test_events_need_the_html_format() -> None:
    result = invoke("scan", FOLLOW_UP, "--format", "csv", "--events", EVENTS)
    assert result.exit_code == 2
    assert "--events is drawn only by --format html" in result.stderr


def test_an_event_for_one_patient_is_drawn_only_for_them(tmp_path: Path) -> None:
    rows = [
        f"{patient},F,2025-0{month}-01,Ferritin,{value},ng/mL,15-150"
        for patient in ("A1", "B2")
        for month, value in ((1, 10), (6, 40))
    ]
    export = write_csv(tmp_path, rows)
    events = tmp_path / "ev.csv"
    events.write_text("date,text,patient\n2025-03-01,iron tablets,B2\n", "utf-8")
    page = Page(scan_html(export, "--events", str(events)))
    assert page.count("line", "event") == 1
    a1 = page.text[page.text.index("Patient A1") : page.text.index("Patient B2")]
    assert "iron tablets" not in a1
    assert "2025-03-01: iron tablets" in page.text[page.text.index("Patient B2") :]


@pytest.mark.parametrize(
    "patient", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "a&b\"'<>"]
)
def test_markup_in_a_patient_id_is_shown_as_text(tmp_path: Path, patient: str) -> None:
    quoted = '"' + patient.replace('"', '""') + '"'
    export = write_csv(tmp_path, [f"{quoted},F,2025-01-01,Vitamin B12,150,pg/mL,200-900"])
    page_text = scan_html(export)
    assert "<script" not in page_text and "<img" not in page_text
    page = Page(page_text)
    assert f"Patient {patient}" in page.text
    assert page.names() <= PAGE_TAGS


def test_markup_in_an_events_text_is_shown_as_text(tmp_path: Path) -> None:
    events = tmp_path / "ev.csv"
    events.write_text('2025-01-01,"<script>x()</script> & <b>bold</b>"\n', "utf-8")
    page_text = scan_html(FOLLOW_UP, "--events", str(events))
    assert "<script" not in page_text and "<b>" not in page_text
    assert "<script>x()</script> & <b>bold</b>" in Page(page_text).text


def _record(patient: str, label: str, value_text: str, unit: str) -> Record:
    return Record(
        "result", "in.csv", 2, patient=patient, date="2025-01-01", analyte="b12",
        label=label, value_text=value_text, unit=unit, value=300.0,
        canonical_unit="pg/mL", flag="borderline", band_label="indeterminate",
        band_low=180.0, band_high=350.0, band_source="NICE NG239 (2024) [S]",
        guideline="nice-2024", lab_range="<b>1-2</b>", notes=[],
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=3, max_size=3))
def test_any_input_text_stays_text(texts: list[str]) -> None:
    import io

    out = io.StringIO()
    writer = HtmlWriter(out, load_reference())
    writer.write(_record(texts[0], texts[1], texts[2], "pg/mL"))
    writer.close(Summary("any"))
    page = Page(out.getvalue())
    assert page.names() <= PAGE_TAGS
    for _tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs)
        assert not {"src", "href"} & set(attrs)


def _cohort_rows(patients: int, deficient: set[int]) -> list[str]:
    return [
        f"P{n:03d},M,2025-03-0{1 + n % 2},Ferritin,{8 if n in deficient else 80},ng/mL,15-150"
        for n in range(patients)
    ]


def test_a_cohort_is_summarised_then_the_first_patients_shown(tmp_path: Path) -> None:
    export = write_csv(tmp_path, _cohort_rows(35, deficient={3, 25, 30, 34}))
    page = Page(scan_html(export))
    text = page.text
    assert page.count("section", "patient") == 20
    assert "Summary of all patients" in text
    assert "The input holds 35 patients; this page shows the first 20 in full" in text
    assert "--format csv" in text  # how to get the rest
    # worst flags across all 35: 4 deficient ("depleted iron stores"), 31 normal
    counts = re.findall(r"(deficient|normal) (\d+)", text[text.index("Worst flag") :])
    assert counts[:2] == [("deficient", "4"), ("normal", "31")]
    not_shown = text[text.index("Patients not shown below") : text.index("Patient P000")]
    assert "P025 deficient" in not_shown and "P034 deficient" in not_shown
    assert "P003" not in not_shown  # drawn in full below
    assert "Patient P019" in text and "Patient P020" not in text


def test_a_few_patients_get_no_summary(tmp_path: Path) -> None:
    export = write_csv(tmp_path, _cohort_rows(3, deficient={1}))
    page = Page(scan_html(export))
    assert page.count("section", "patient") == 3
    assert "Summary of all patients" not in page.text


def test_results_kept_per_patient_are_bounded(tmp_path: Path) -> None:
    import io

    from b12check.render import html_report

    out = io.StringIO()
    writer = HtmlWriter(out, load_reference())
    for n in range(html_report.MAX_RESULTS + 7):
        writer.write(_record("P1", "B12", str(n), "pg/mL"))
    assert len(writer.people["P1"].results) == html_report.MAX_RESULTS
    writer.close(Summary("any"))
    assert "7 more results of this patient are not drawn" in Page(out.getvalue()).text


def test_errors_that_apply_to_the_person_are_under_them(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path,
        ["P7,F,2025-01-01,Vitamin B12,150,pg/mL,", "P7,F,2025-01-01,Ferritin,lots,ng/mL,"],
    )
    result = invoke("scan", export, "--format", "html")
    assert result.exit_code == 3
    text = Page(result.stdout).text
    section = text[text.index("Patient P7") :]
    assert "Values that could not be read" in section
    assert "export.csv:3:" in section


def test_print_stylesheet_keeps_charts_whole() -> None:
    page_text = scan_html(FOLLOW_UP)
    assert "@page" in page_text and "@media print" in page_text
    print_css = page_text[page_text.index("@media print") :]
    assert re.search(r"\.chart[^{]*\{[^}]*break-inside: avoid", print_css)


def test_check_writes_html_too_and_compare_refuses_it() -> None:
    result = invoke("check", "b12=150pg/mL", "ferritin=8", "--format", "html")
    assert result.exit_code == 1
    text = Page(result.stdout).text
    assert "150pg/mL" in text.replace(" ", "") and "Flagged results" in text
    refused = invoke("check", "b12=150pg/mL", "--compare", "--format", "html")
    assert refused.exit_code == 2


def test_html_on_stdout_is_utf8_whatever_the_locale() -> None:
    result = run_cli(
        ["scan", FOLLOW_UP, "--format", "html", "--events", EVENTS],
        env={"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"},
    )
    assert result.returncode == 1
    page = result.stdout.decode("utf-8")  # would raise on anything else
    assert '<meta charset="utf-8">' in page and "1000 µg daily" in page
    assert b"-o report.html" not in result.stderr  # the hint is for a terminal only


def test_the_scan_output_with_and_without_the_row_cache_is_the_same() -> None:
    # invoke() runs every scan both ways and compares the bytes
    scan_html(str(EXAMPLES / "eu-lab-export-si.csv"))


def test_html_on_a_terminal_suggests_saving_it(tmp_path: Path) -> None:
    import os
    import sys

    import pexpect

    errors = tmp_path / "stderr.txt"
    command = f"exec {sys.executable} -m b12check scan {FOLLOW_UP} --format html 2>{errors}"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=dict(os.environ), timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "<!DOCTYPE html>" in (child.before or b"").decode("utf-8")
    assert "save it with -o report.html" in errors.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["check", "b12=250pg/mL", "--format", "json"], False),
        (["scan", FOLLOW_UP, "--format", "markdown"], False),
        (["scan", FOLLOW_UP, "--format", "html"], True),
    ],
)
def test_jinja_is_imported_only_for_html(args: list[str], loaded: bool) -> None:
    import subprocess
    import sys

    probe = (
        "import sys, runpy, io\n"
        f"sys.argv = ['b12check', *{args!r}]\n"
        "sys.stdout = io.StringIO()\n"
        "try:\n"
        "    runpy.run_module('b12check', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('JINJA', 'jinja2' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=False)
    assert f"JINJA {loaded}".encode() in done.stderr, done.stderr.decode()


def test_an_input_without_results_says_so(tmp_path: Path) -> None:
    export = write_csv(tmp_path, [])
    text = Page(scan_html(export)).text
    assert "No results." in text and "0 results, 0 errors, 0 skipped" in text


def test_skipped_names_kept_are_bounded() -> None:
    import io

    from b12check.render import html_report

    writer = HtmlWriter(io.StringIO(), load_reference())
    for n in range(html_report.MAX_LABELS + 50):
        writer.write(Record("skipped", "in.csv", n + 2, label=f"Test {n}", reason="not covered"))
    assert len(writer.skipped) == html_report.MAX_LABELS + 1
    assert writer.skipped["other tests"] == 50


def test_a_value_the_sexes_would_flag_differently_is_not_drawn_as_settled() -> None:
    result = invoke("check", "ferritin=200", "--format", "html")
    page = Page(result.stdout)
    assert page.count("circle", "unsure") == 1 and page.count("circle", "marker") == 1
    assert "sex not given: the bands drawn are women's (female: high, male: normal)" in page.text
    settled = Page(invoke("check", "ferritin=200", "--sex", "male", "--format", "html").stdout)
    assert settled.count("circle", "unsure") == 0 and "sex not given" not in settled.text


def test_the_report_may_not_overwrite_the_events_file(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("2025-01-01,started iron\n", encoding="utf-8")
    result = invoke("scan", FOLLOW_UP, "-f", "html", "--events", str(events), "-o", str(events))
    assert result.exit_code == 2
    assert events.read_text(encoding="utf-8") == "2025-01-01,started iron\n"
