"""Properties: the scan cache in front of the core never changes a byte, for any export.

Hypothesis makes the exports: headers in any spelling of data/headers.yaml, long or wide
layouts, any columns in any order, tests by name or LOINC code (covered or not), units,
values with any number of decimals, censored, on band edges or implausible, sexes, ages and
birth dates, dates, lab ranges and flags; and runs: formats, notes modes, lab-range policies,
guidelines and overlays. Rows repeat from a small pool, as in real exports, so the cache is
both taken and missed.
"""

import tempfile
from functools import cache
from pathlib import Path
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.evaluate import Settings
from b12check.core.refdata import Reference, load_reference
from b12check.readers.scanner import ScanOptions
from b12check.run import rowcache
from tests.conftest import CHILD_FERRITIN, REPO
from tests.test_fastlane import SUMMARIES, scan_text

HEADERS = yaml.safe_load((REPO / "src/b12check/data/headers.yaml").read_text(encoding="utf-8"))
ROLES = HEADERS["roles"]
OVERLAYS = {
    "children": CHILD_FERRITIN,
    "children only": """\
analytes:
  ferritin:
    bands:
      - {range: "(, 10)", flag: deficient, interpretation: L, age: "[0, 18)", source: Paediatric}
      - {range: "[10, )", flag: normal, interpretation: N, age: "[0, 18)", source: Paediatric}
""",
}


OVERLAY_DIR = tempfile.mkdtemp(prefix="b12check-overlays-")  # the overlay files, written once


@cache
def reference_for(overlay: str | None, folder: str) -> Reference:
    if overlay is None:
        return load_reference()
    path = Path(folder) / f"{overlay.replace(' ', '-')}.yaml"
    path.write_text(OVERLAYS[overlay], encoding="utf-8")
    return load_reference((str(path),))


BASE = load_reference()
NAMES = sorted(
    {name for a in BASE.analytes.values() for name in (a.name, a.short_name, *a.aliases[:3])}
    | {"Glucose", "TSH", "UIBC", "Cholecalciferol"}
)
CODES = sorted({code for a in BASE.analytes.values() for code in a.loinc} | {"1990-1", "2345-7"})
UNITS = sorted({unit for a in BASE.analytes.values() for unit in a.factors}) + ["mU/L", "", "ng/ml"]
EDGES = sorted(
    {
        str(edge)
        for a in BASE.analytes.values()
        for band in a.bands
        for edge in (band.interval.low, band.interval.high)
        if edge is not None
    }
)
# (test name, LOINC code, unit, edges of its bands in that unit) for each test and unit
SPECS = [
    (
        name,
        a.loinc[0] if a.loinc else "",
        unit,
        sorted(
            {
                a.edge_in(unit, edge)
                for band in a.bands
                for edge in (band.interval.low, band.interval.high)
                if edge is not None
            }
        ),
    )
    for a in BASE.analytes.values()
    for name in (a.name, a.short_name)
    for unit in a.factors
]


@st.composite
def value_for(draw: st.DrawFn, edges: list[float]) -> str:
    """A value near the test's band edges in its unit: on one, or off it by a little or a lot,
    with any number of decimals; now and then censored, with a glued flag, or not a number."""
    edge = draw(st.sampled_from(edges)) if edges else 1.0
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(values)
    if kind == 1:
        text = f"{edge:g}"
    else:
        factor = draw(st.sampled_from([0.2, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 1.5, 3.0, 50.0]))
        text = f"{edge * factor:.{draw(st.integers(0, 4))}f}"
    prefix = draw(st.sampled_from(["", "", "", "", "<", ">", "<=", "> "]))
    suffix = draw(st.sampled_from(["", "", "", "", " H", "*"]))
    return f"{prefix}{text}{suffix}"


def header(role: str) -> st.SearchStrategy[str]:
    return st.sampled_from(ROLES[role]).map(lambda text: text)


numbers = st.one_of(
    st.sampled_from(EDGES),
    st.integers(0, 3000).map(str),
    st.tuples(st.integers(0, 2000), st.integers(0, 9999), st.integers(1, 4)).map(
        lambda t: f"{t[0]}.{str(t[1]).zfill(4)[: t[2]]}"
    ),
    st.sampled_from(["0", "99999", "1e3", "0,72", "1,450", "-5"]),
)
values = st.one_of(
    numbers,
    st.tuples(st.sampled_from(["<", ">", "<=", ">=", "< "]), numbers).map("".join),
    st.tuples(numbers, st.sampled_from([" H", "*", " pg/mL", " L", " nmol/L"])).map("".join),
    st.sampled_from(["N/A", "", "pending", "see note", " 250 "]),
)
sexes = st.sampled_from(["F", "M", "female", "male", "", "x", " f "])
ages = st.sampled_from(["", "42", "12", "17.5", "18", "80 years", "abc", "150", "0"])
births = st.sampled_from(
    ["", "1980-02-29", "2010-06-01", "1950-01-01", "31/12/1970", "2030-01-01"]
    # on the edges of the age groups (18, the overlays' [0, 18)) and of MAX_AGE for the dates
    # below: 18 on the day, a day short of it, born that day, 130 and a day over it
    + ["2007-03-04", "2007-03-05", "2007-01-02", "2007-01-03", "2007-03-14", "2007-03-25"]
    + ["2025-03-04", "2025-01-02", "1895-03-04", "1895-03-03", "1894-03-04", "04/03/2007"]
)
dates = st.sampled_from(
    ["2025-01-02", "2025-03-04", "2025-03-04", "14.03.2025", "03/04/2025", "25/03/2025", ""]
    + ["2025-02-30"]
)
lab_ranges = st.sampled_from(["", "180-914", "<200", "30-100 ng/mL", "0,70-1,00", ">5", "abc"])
lab_flags = st.sampled_from(["", "H", "L", "N", "HH", "(L)", "abnormal"])
patients = st.sampled_from(["P1", "P2", "=1+2", "Zoë", "", '"q, uoted"'])
PER_ROW = ("patient", "date", "age", "birth_date")  # what differs between people and visits
LONG_ROLES = ("unit", "patient", "date", "sex", "age", "birth_date", "lab_range", "lab_flag")


@st.composite
def long_export(draw: st.DrawFn) -> str:
    roles = ["result"]
    roles += draw(st.sampled_from([["test"], ["loinc"], ["test", "loinc"]]))
    roles += [role for role in LONG_ROLES if draw(st.booleans())]
    roles = draw(st.permutations(roles))
    names = [draw(header(role)) for role in roles]
    if len({n.casefold().replace(" ", "") for n in names}) < len(names):
        names = [role.replace("_", " ").title() for role in roles]  # (no duplicate headers)
    cells = {
        "test": st.sampled_from(NAMES),
        "loinc": st.sampled_from(CODES),
        "result": values,
        "unit": st.sampled_from(UNITS),
        "patient": patients,
        "date": dates,
        "sex": sexes,
        "age": ages,
        "birth_date": births,
        "lab_range": lab_ranges,
        "lab_flag": lab_flags,
    }
    pool = []
    for _ in range(draw(st.integers(1, 6))):
        row = draw(st.fixed_dictionaries({r: cells[r] for r in roles}))
        if draw(st.integers(0, 4)):  # mostly a test with one of its own units
            name, code, unit, edges = draw(st.sampled_from(SPECS))
            row.update(test=name, unit=unit, result=draw(value_for(edges)))
            if "test" not in roles or draw(st.booleans()):
                row["loinc"] = code
        pool.append({role: row[role] for role in roles})
    rows = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=40))
    lines = [",".join(names)]
    for row in rows:
        own = draw(st.fixed_dictionaries({r: cells[r] for r in roles if r in PER_ROW}))
        if draw(st.booleans()):  # the same value for another person, date or age
            row = {**row, **own}
        lines.append(",".join(_csv_cell(row[role]) for role in roles))
    return "\n".join(lines) + "\n"


@st.composite
def wide_export(draw: st.DrawFn) -> str:
    specs = draw(st.lists(st.sampled_from(SPECS), min_size=1, max_size=5, unique_by=lambda t: t[0]))
    if draw(st.booleans()):  # and a test not covered
        specs.append(("Glucose", "", "mg/dL", [70.0, 100.0]))
    tests = [(name, unit) for name, _, unit, _ in specs]
    context = [
        role for role in ("patient", "date", "sex", "age", "birth_date") if draw(st.booleans())
    ]
    names = [role.replace("_", " ").title() for role in context]
    names = [n if n != "Birth Date" else "DOB" for n in names]
    names += [f"{name} ({unit})" for name, unit in tests]
    per_role = {"patient": patients, "date": dates, "sex": sexes, "age": ages, "birth_date": births}
    row_strategy = st.tuples(
        st.tuples(*(per_role[role] for role in context)),
        st.tuples(*(st.one_of(value_for(edges), st.just("")) for *_, edges in specs)),
    )
    pool = draw(st.lists(row_strategy, min_size=1, max_size=5))
    rows = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=25))
    lines = [",".join(names)]
    for own, results in rows:
        if draw(st.booleans()):  # the same values for another person, date or age
            own = draw(st.tuples(*(per_role[role] for role in context)))
        lines.append(",".join(_csv_cell(c) for c in (*own, *results)))
    return "\n".join(lines) + "\n"


def _csv_cell(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"') else text


runs = st.fixed_dictionaries(
    {
        "fmt": st.sampled_from(["csv", "tsv", "ndjson", "json"]),
        "notes": st.sampled_from(["none", "brief", "full"]),
        "lab_ranges": st.sampled_from(["ignore", "show", "prefer"]),
        "sex": st.sampled_from([None, "female", "male"]),
        "age": st.sampled_from([None, 10.0, 40.0]),
        "guidelines": st.sampled_from(
            [(), (("*", "endocrine-society-2011"),), (("magnesium", "elin-2010"),)]
        ),
        "overlay": st.sampled_from([None, "children", "children only"]),
        "date_format": st.sampled_from([None, None, "%d/%m/%Y"]),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(long_export(), wide_export()), runs)
def test_cache_on_and_off_write_the_same_bytes(text: str, run: dict[str, object]) -> None:
    reference = reference_for(run["overlay"], OVERLAY_DIR)
    known = reference.guideline_names()
    guidelines = tuple(g for g in run["guidelines"] if g[1] in known)  # type: ignore[attr-defined]
    settings_ = Settings(
        reference,
        sex=run["sex"],  # type: ignore[arg-type]
        age=run["age"],  # type: ignore[arg-type]
        notes=run["notes"],  # type: ignore[arg-type]
        guidelines=guidelines,
    )
    options = ScanOptions(lab_ranges=run["lab_ranges"], date_format=run["date_format"])  # type: ignore[arg-type]
    fmt = str(run["fmt"])
    cached, _ = scan_text(text, fmt, True, settings_=settings_, options=options)
    uncached, _ = scan_text(text, fmt, False, settings_=settings_, options=options)
    assert cached == uncached
    assert SUMMARIES[-1] == SUMMARIES[-2]


# Panels as labs send them, for the notes that need several results: (test, unit, values)
# around the cut-offs the patterns and derived values read; iron, TIBC and TSAT that agree,
# disagree or cannot be (iron above TIBC).
PANELS = [
    [("Vitamin B12", "pg/mL", ["150", "250", "300", "600"]), ("MMA", "umol/L", ["0.2", "0.5"])],
    [("Vitamin B12", "pmol/L", ["190", "400"]), ("Homocysteine", "umol/L", ["9", "22"])],
    [("Ferritin", "ug/L", ["8", "25", "120"]), ("Transferrin saturation", "%", ["12", "30"])],
    [
        ("Iron", "ug/dL", ["40", "90", "400"]),
        ("TIBC", "ug/dL", ["250", "450", "520"]),
        ("Transferrin saturation", "%", ["10", "20", "36", "<5"]),
    ],
    [("Iron", "umol/L", ["12", "20"]), ("TIBC", "umol/L", ["45", "60"])],
]
PANEL_DATES = ["2024-01-05", "2024-02-09", "2024-05-20", "2024-07-01", "2024-11-30", "later"]


@st.composite
def grouped_export(draw: st.DrawFn) -> str:
    """A long export of panels, a patient's tests of one date together in any order, the
    same groups again for other patients and on other dates (so noted results repeat and
    series have many dates), now and then a test not covered or a value not read."""
    pool = []
    for _ in range(draw(st.integers(1, 5))):
        tests = [
            test
            for panel in draw(st.lists(st.sampled_from(PANELS), min_size=1, max_size=3))
            for test in panel
        ]
        rows = [(name, unit, draw(st.sampled_from(values))) for name, unit, values in tests]
        rows += draw(
            st.lists(
                st.sampled_from([("Glucose", "mg/dL", "90"), ("Ferritin", "ug/L", "n/a")]),
                max_size=1,
            )
        )
        pool.append(draw(st.permutations(rows)))
    lines = ["patient_id,collected,analyte,value,unit"]
    for _ in range(draw(st.integers(1, 12))):
        patient = draw(st.sampled_from(["P1", "P2", "P3"]))
        date = draw(st.sampled_from(PANEL_DATES))
        for name, unit, value in draw(st.sampled_from(pool)):
            lines.append(f"{patient},{date},{name},{value},{unit}")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grouped_export(),
    st.sampled_from(["csv", "tsv", "ndjson", "json"]),
    st.sampled_from(["brief", "full"]),
)
def test_cache_on_and_off_write_the_same_bytes_for_grouped_panels(
    text: str, fmt: str, notes: str
) -> None:
    """Groups with pattern and derived notes, in any order, repeated: the cache places the
    notes and reuses noted results, and json's trends count the dates, as the full path."""
    cached, _ = scan_text(text, fmt, True, notes=notes)
    uncached, _ = scan_text(text, fmt, False, notes=notes)
    assert cached == uncached
    assert SUMMARIES[-1] == SUMMARIES[-2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grouped_export(),
    st.sampled_from(["csv", "ndjson", "json"]),
    st.sampled_from(["brief", "full"]),
    st.integers(1, 30),
    st.sampled_from([1, 400, 1 << 21]),
)
def test_past_the_budgets_the_cache_still_writes_the_same_bytes(
    text: str, fmt: str, notes: str, entries: int, chars: int
) -> None:
    """Budgets that run out at any point: values of keys not kept are read by the full path
    every time and rendered from a shape kept, noted ones too, as the full path writes them."""
    with (
        mock.patch.object(rowcache, "ENTRY_LIMIT", entries),
        mock.patch.object(rowcache, "CHAR_LIMIT", chars),
    ):
        cached, _ = scan_text(text, fmt, True, notes=notes)
    uncached, _ = scan_text(text, fmt, False, notes=notes)
    assert cached == uncached
    assert SUMMARIES[-1] == SUMMARIES[-2]
