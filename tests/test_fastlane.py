"""The scan cache in front of the core writes exactly what the full path writes."""

import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core import evaluate as evaluate_module
from b12check.core.evaluate import Settings
from b12check.core.records import FastBatch, FastLine, Summary
from b12check.core.refdata import load_reference
from b12check.readers.items import FastGroup, SkippedLine
from b12check.readers.layout import HeaderIndex
from b12check.readers.scanner import Scanner, ScanOptions
from b12check.render.formats import is_line_format, make_writer
from b12check.run import rowcache
from b12check.run.pipeline import run
from b12check.run.rowcache import RowCache
from tests.conftest import EXAMPLES, REPO

REFERENCE = load_reference()
SUMMARIES: list[dict[str, object]] = []  # the summary of each scan_text run, in order
TESTS = [
    ("Vitamin B12", ["pg/mL", "pmol/L"], (50, 1500)),
    ("Vitamin D", ["ng/mL", "nmol/L"], (3, 120)),
    ("Magnesium", ["mmol/L", "mg/dL", "mEq/L"], (0.3, 2.5)),
    ("Ferritin", ["ng/mL", "ug/L"], (2, 1500)),
    ("Iron", ["ug/dL", "umol/L"], (10, 400)),
    ("TIBC", ["ug/dL"], (150, 600)),
    ("Transferrin saturation", ["%"], (3, 90)),
    ("MMA", ["umol/L", "nmol/L"], (0.05, 3)),
    ("Homocysteine", ["umol/L"], (3, 60)),
    ("Glucose", ["mg/dL"], (60, 200)),
]
EDGES = ["180", "350", "20", "12", "0.70", "0.85", "15", "45", "150", "133", "50"]


def make_csv(seed: int, rows: int, with_sex: bool) -> str:
    rng = random.Random(seed)
    header = "patient_id,collected,analyte,value,unit" + (",sex" if with_sex else "")
    lines = [header]
    for n in range(rows):
        patient = f"P{n // 9:04d}"
        date = f"2025-0{1 + (n // 27) % 9}-1{n % 3}"
        if rng.random() < 0.03:  # text to neutralise or escape, and dates the lane must read
            patient = rng.choice(["=1+2", " P 7", "Zoë", "@x", '"quoted, too"', ""])
            date = rng.choice(["03/04/2025", "25/03/2025", "2025-02-30", "", "12.03.2025"])
        name, units, (low, high) = rng.choice(TESTS)
        unit = rng.choice(units)
        roll = rng.random()
        if roll < 0.05:
            value = rng.choice(EDGES)
        elif roll < 0.08:
            value = rng.choice(["<50", "> 2000", "n/a", "", "1,5", "12 H"])
        elif roll < 0.75:  # one of a few values, seen again and again as in real exports
            step = rng.randint(1, 8)
            value = f"{low + (high - low) * step / 9:.{1 if high < 10 else 0}f}"
        else:
            value = f"{rng.uniform(low, high):.{rng.choice([0, 1, 2])}f}"
        sex = "," + rng.choice(["F", "M", "", "female"]) if with_sex else ""
        lines.append(f"{patient},{date},{name},{value},{unit}{sex}")
    return "\n".join(lines) + "\n"


def row_caches(monkeypatch: pytest.MonkeyPatch) -> list[RowCache]:
    """The row caches the scans of this test start, as they start (RowCache.start spied)."""
    caches: list[RowCache] = []
    original = RowCache.start

    def start(self: RowCache, *args: Any) -> bool:
        caches.append(self)
        return original(self, *args)

    monkeypatch.setattr(RowCache, "start", start)
    return caches


def scan_text(
    text: str | bytes,
    fmt: str,
    fast: bool,
    notes: str = "brief",
    settings_: Settings | None = None,
    options: ScanOptions | None = None,
) -> tuple[str, int]:
    """Scan ``text`` from stdin; return the output and how many rows took the fast lane."""
    settings_ = settings_ or Settings(REFERENCE, notes=notes)
    notes = settings_.notes
    reference = settings_.reference  # the same reference everywhere, as commands.py does
    summary = Summary("any")
    scanner = Scanner(
        settings_,
        HeaderIndex(reference.headers),
        options or ScanOptions(),
        lambda _: None,
        summary.data_rows,
    )
    out = io.StringIO()
    writer = make_writer(fmt, out, reference)
    if fast:
        assert is_line_format(writer)
        # as commands.py builds it
        scanner.batching = notes == "none" and fmt != "json"
        scanner.fast = RowCache(writer, settings_, scanner.batching)
    data = text if isinstance(text, bytes) else text.encode()
    items = list(scanner.scan("-", stdin=io.BytesIO(data)))
    fast_count = sum(
        item.size + item.skipped
        if isinstance(item, FastBatch)
        else len(item.members)
        if isinstance(item, FastGroup)
        else isinstance(item, FastLine | SkippedLine)
        for item in items
    )
    run(iter(items), writer, summary, quiet=True)
    SUMMARIES.append(summary.as_dict())
    return out.getvalue(), fast_count


@pytest.mark.parametrize("fmt", ["csv", "tsv", "ndjson", "json"])
@pytest.mark.parametrize("with_sex", [False, True])
def test_fast_lane_output_equals_full_path(fmt: str, with_sex: bool) -> None:
    text = make_csv(seed=7, rows=3000, with_sex=with_sex)
    slow, none_fast = scan_text(text, fmt, fast=False)
    fast, fast_count = scan_text(text, fmt, fast=True)
    assert none_fast == 0
    assert fast_count > 600  # the cache is taken for values seen before
    assert fast == slow


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["csv", "ndjson"]), st.booleans())
def test_fast_lane_equivalence_for_any_seed(seed: int, fmt: str, with_sex: bool) -> None:
    text = make_csv(seed=seed, rows=150, with_sex=with_sex)
    assert scan_text(text, fmt, fast=True)[0] == scan_text(text, fmt, fast=False)[0]


def test_fast_lane_with_full_notes() -> None:
    text = make_csv(seed=3, rows=800, with_sex=True)
    assert scan_text(text, "ndjson", True, "full")[0] == scan_text(text, "ndjson", False, "full")[0]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "ndjson"])
def test_batched_fast_lane_without_notes_equals_full_path(fmt: str) -> None:
    text = make_csv(seed=5, rows=5000, with_sex=True)
    slow, _ = scan_text(text, fmt, fast=False, notes="none")
    fast, fast_count = scan_text(text, fmt, fast=True, notes="none")
    assert fast_count > 1000
    assert fast == slow
    assert SUMMARIES[-1] == SUMMARIES[-2]  # the same counts by status, flag and file


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_batched_equivalence_for_any_seed(seed: int, with_sex: bool) -> None:
    text = make_csv(seed=seed, rows=300, with_sex=with_sex)
    assert scan_text(text, "csv", True, "none")[0] == scan_text(text, "csv", False, "none")[0]


def test_fast_lane_reads_dates_as_the_full_path_does() -> None:
    """A day-first date that settles the order can come late in the file, after rows the lane
    rendered; and --date-format overrides the reading of every date. The lane must follow."""
    rows = ["patient_id,collected,analyte,value,unit"]
    rows += [f"P{n:03d},2025-03-0{1 + n % 9},Vitamin B12,{400 + n % 5},pg/mL" for n in range(120)]
    rows += [f"P{n:03d},25/03/2025,Ferritin,{40 + n % 2},ug/L" for n in range(5)]
    rows += [f"P{n:03d},03/04/2025,Ferritin,{40 + n % 2},ug/L" for n in range(5)]
    text = "\n".join(rows) + "\n"
    for notes in ("none", "brief"):
        fast, fast_count = scan_text(text, "csv", True, notes)
        assert fast_count > 100
        assert fast == scan_text(text, "csv", False, notes)[0]
        assert ",2025-04-03," in fast  # 03/04 read day-first, as 25/03 settled it
    options = ScanOptions(date_format="%Y-%d-%m")
    fast, fast_count = scan_text(text, "csv", True, "none", options=options)
    assert fast == scan_text(text, "csv", False, "none", options=options)[0]
    assert ",2025-01-03," in fast  # 2025-03-01 read as --date-format says


@pytest.mark.parametrize(("fmt", "notes"), [("csv", "none"), ("ndjson", "none"), ("json", "full")])
def test_fast_lane_on_the_benchmark_export(fmt: str, notes: str) -> None:
    """The benchmark generator's export (mixed units, censored values, values on edges and
    outside the usual span): the lane renders nearly every row, and writes the same bytes."""
    generator = Path(__file__).parent.parent / "benchmarks" / "gen_csv.py"
    made = subprocess.run(
        [sys.executable, str(generator), "4000", "-", "--seed", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    fast, fast_count = scan_text(made.stdout, fmt, True, notes)
    slow, _ = scan_text(made.stdout, fmt, False, notes)
    assert fast == slow
    assert SUMMARIES[-1] == SUMMARIES[-2]
    if notes == "none":
        assert fast_count > 1500  # (4,000 rows: many values are still new)
    assert '"comparator": "<' in fast or ",<," in fast  # censored values were read


@pytest.mark.parametrize("sex", ["female", "male"])
def test_fast_lane_with_a_sex_for_the_whole_run(sex: str) -> None:
    """--sex: rows without a sex cell read with the given sex, by both paths alike."""
    text = make_csv(seed=11, rows=2000, with_sex=True)
    settings_ = Settings(REFERENCE, sex=sex, notes="none")
    fast, fast_count = scan_text(text, "csv", True, settings_=settings_)
    assert fast_count > 600
    assert fast == scan_text(text, "csv", False, settings_=settings_)[0]


def test_budgets_bound_memory_and_keep_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """More distinct values than the budgets hold: the cache keeps within them, the rest
    takes the full path, and the output does not change."""
    rows = ["patient_id,collected,analyte,value,unit,sex"]
    rows += [
        f"P{n},2025-02-0{1 + n % 9},Ferritin,{50 + n % 9},ug/L,{' ' * (n % 7)}M" for n in range(600)
    ]  # 7 kinds (sex cells) of 9 values each
    rows += [f"P{n},2025-01-0{1 + n % 9},Vitamin B12,{2001 + n},pg/mL,F" for n in range(600)]
    text = "\n".join(rows) + "\n"
    monkeypatch.setattr(rowcache, "ENTRY_LIMIT", 120)
    caches = row_caches(monkeypatch)
    fast, fast_count = scan_text(text, "csv", True, "none")
    assert fast == scan_text(text, "csv", False, "none")[0]
    (cache,) = caches
    assert cache.entries <= 120
    assert sum(len(table) for table in cache.kinds.values()) + len(cache.kinds) <= 120
    assert fast_count > 500  # the ferritin rows the budget holds, not the B12 rows past it
    monkeypatch.setattr(rowcache, "CHAR_LIMIT", 2_000)
    fast, _ = scan_text(text, "ndjson", True, "full")
    assert fast == scan_text(text, "ndjson", False, "full")[0]
    assert caches[-1].pieces.chars < 2_000 + 5_000  # (one record's text past the budget at most)


def all_fixtures() -> list[Path]:
    return sorted(EXAMPLES.glob("*.csv")) + sorted((REPO / "tests/fixtures/bad").glob("*.csv"))


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda path: path.name)
def test_every_fixture_in_every_format_and_notes_mode(path: Path) -> None:
    text = path.read_bytes()
    for fmt in ("csv", "tsv", "ndjson", "json"):
        for notes in ("none", "brief", "full"):
            for lab_ranges in ("show", "prefer"):
                options = ScanOptions(lab_ranges=lab_ranges)
                fast, _ = scan_text(text, fmt, True, notes, options=options)
                assert fast == scan_text(text, fmt, False, notes, options=options)[0]
                assert SUMMARIES[-1] == SUMMARIES[-2]


SHAPES = ("long", "lab", "loinc", "birth", "wide")
# every format, every notes mode (each pair once: a few seconds per shape)
FORMATS_AND_NOTES = (
    ("csv", "none"),
    ("tsv", "brief"),
    ("ndjson", "full"),
    ("json", "full"),
    ("json", "none"),
    ("ndjson", "brief"),
)


def benchmark_file(shape: str, rows: int, seed: int = 3) -> str:
    generator = Path(__file__).parent.parent / "benchmarks" / "gen_csv.py"
    made = subprocess.run(
        [sys.executable, str(generator), str(rows), "-", "--seed", str(seed), "--shape", shape],
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout


@pytest.mark.parametrize("shape", SHAPES)
def test_every_benchmark_shape_in_every_format_and_notes_mode(shape: str) -> None:
    """Each shape of the benchmark generator: the cache renders most values, and the bytes
    are those of the full path."""
    text = benchmark_file(shape, 3000)
    for fmt, notes in FORMATS_AND_NOTES:
        fast, fast_count = scan_text(text, fmt, True, notes)
        assert fast == scan_text(text, fmt, False, notes)[0]
        assert SUMMARIES[-1] == SUMMARIES[-2]
        assert fast_count > 900  # (3,000 values: many are still new)


def test_a_new_rule_in_the_core_reaches_cached_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache holds no rule of its own: a warning added to evaluate shows on every row,
    cached or not."""
    original = evaluate_module._warnings

    def with_one_more(*args: Any) -> list[str]:
        return [*original(*args), "a new warning"]

    monkeypatch.setattr(evaluate_module, "_warnings", with_one_more)
    text = benchmark_file("long", 3000)
    fast, fast_count = scan_text(text, "csv", True, "none")
    assert fast == scan_text(text, "csv", False, "none")[0]
    assert fast_count > 900
    results = [line for line in fast.splitlines() if line.startswith("result,")]
    assert results and all("a new warning" in line for line in results)
