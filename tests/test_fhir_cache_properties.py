"""Properties: the FHIR NDJSON cache in front of the core (run/fhircache.py) never changes a
byte, a summary count or a diagnostic, for any bulk export.

Hypothesis makes the exports from a small pool of Observations, as real exports repeat a few
shapes: tests by LOINC code, text or display (covered or not), values as JSON numbers of any
number of decimals, strings, censored, on band edges, of the wrong type or missing; units as
UCUM code, unit or DSTU's ``units`` (agreeing or not); lab ranges (0–0, text only, in another
unit, two of them), interpretations (a list, one object, text), statuses, subjects (with and
without Patient lines, before and after their Observations), dates of every shape, parts the
walk never reads (id, meta, category) that differ on every line, and now and then a line the
cache leaves alone (contained, component, Bundle, blank, not JSON). Runs vary format, notes,
lab-range policy, sex, age, guidelines and overlays.
"""

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.evaluate import Settings
from b12check.core.records import FastBatch, FastLine, Summary
from b12check.readers.items import FastGroup, SkippedLine
from b12check.readers.layout import HeaderIndex
from b12check.readers.scanner import Scanner, ScanOptions
from b12check.render.formats import is_line_format, make_writer
from b12check.run.fhircache import FhirCache
from b12check.run.pipeline import run
from b12check.run.rowcache import RowCache
from tests.test_cache_properties import OVERLAY_DIR, SPECS, reference_for, runs

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
COVERED = [spec for spec in SPECS if spec[1]]  # (name, LOINC code, unit, band edges)


def scan_ndjson(
    text: bytes, fmt: str, cached: bool, settings_: Settings, options: ScanOptions
) -> tuple[str, dict[str, object], int]:
    """Scan ``text`` from stdin as cli/commands.py does; the output, the summary and how
    many records the cache rendered."""
    reference = settings_.reference
    summary = Summary("any")
    scanner = Scanner(
        settings_, HeaderIndex(reference.headers), options, lambda _: None, summary.data_rows
    )
    out = io.StringIO()
    writer = make_writer(fmt, out, reference)
    if cached:
        assert is_line_format(writer)
        scanner.batching = settings_.notes == "none" and fmt != "json"
        scanner.fast = RowCache(writer, settings_, scanner.batching)
        scanner.fhir_fast = lambda: FhirCache(writer, scanner.batching)
    items = list(scanner.scan("-", stdin=io.BytesIO(text)))
    rendered = sum(
        item.size
        if isinstance(item, FastBatch)
        else len(item.members)
        if isinstance(item, FastGroup)
        else isinstance(item, FastLine | SkippedLine)
        for item in items
    )
    err = io.StringIO()
    status = run(iter(items), writer, summary, err=err)
    return out.getvalue() + err.getvalue() + f"exit {status}", summary.as_dict(), rendered


def number(edges: list[float]) -> st.SearchStrategy[Any]:
    """A JSON number near a band edge (or any), with any number of decimals."""
    near = st.tuples(
        st.sampled_from(edges or [1.0]),
        st.sampled_from([0.2, 0.5, 0.99, 1.0, 1.01, 1.5, 40.0]),
        st.integers(0, 4),
    ).map(lambda t: round(t[0] * t[1], t[2]))
    return st.one_of(
        near,
        near.map(lambda v: int(v) if float(v).is_integer() else v),
        st.sampled_from([0, 0.0, -5, 1e16, 250, 250.0, 99999]),
    )


@st.composite
def value_part(draw: st.DrawFn, unit: str, edges: list[float]) -> dict[str, Any]:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return {"valueString": draw(st.sampled_from(["<5", " 250 ", "pending", "", ">2000"]))}
    if kind == 1:
        return draw(
            st.sampled_from(
                [
                    {"valueInteger": 300},
                    {"dataAbsentReason": {"coding": [{"code": "error"}], "text": "haemolysed"}},
                    {"valueCodeableConcept": {"text": "positive"}},
                    {},
                    {"valueQuantity": "250"},
                    {"valueString": 250},
                ]
            )
        )
    quantity: dict[str, Any] = {}
    given = draw(st.one_of(number(edges), st.sampled_from(["250", True, None, [1], "abc"])))
    if kind != 2:
        given = draw(number(edges))
    quantity["value"] = given
    comparator = draw(st.sampled_from([None, None, None, "<", ">=", "~"]))
    if comparator:
        quantity["comparator"] = comparator
    style = draw(st.integers(0, 4))
    if style == 0:
        quantity.update(unit=unit, system=UCUM, code=unit)
    elif style == 1:
        quantity["units"] = unit  # DSTU1
    elif style == 2:
        quantity.update(unit=unit, code=draw(st.sampled_from(["mg/dL", "ng/mL", unit])))
    elif style == 3:
        quantity["unit"] = draw(st.sampled_from([unit, "", "weird"]))
    return {"valueQuantity": quantity}


@st.composite
def ranges(draw: st.DrawFn, unit: str, edges: list[float]) -> dict[str, Any]:
    kind = draw(st.integers(0, 6))
    low = {"value": draw(number(edges)), "unit": unit}
    high = {"value": draw(number(edges)), "unit": draw(st.sampled_from([unit, unit, "mg/dL"]))}
    choices: list[dict[str, Any]] = [
        {},
        {"referenceRange": [{"low": low, "high": high}]},
        {"referenceRange": [{"low": {"value": 0}, "high": {"value": 0}}]},
        {"referenceRange": [{"text": "see report"}]},
        {"referenceRange": [{"high": high}, {"low": low}]},
        {"referenceRange": []},
        {"referenceRange": [{"low": low}]},
    ]
    return choices[kind]


INTERPRETATIONS: list[dict[str, Any]] = [
    {},
    {"interpretation": [{"coding": [{"system": V3, "code": "L"}]}]},
    {"interpretation": [{"coding": [{"system": V3, "code": "HH"}]}]},
    {"interpretation": {"coding": [{"code": "N"}]}},  # DSTU2: one object
    {"interpretation": [{"text": "abnormal"}]},
]
interpretations = st.sampled_from(INTERPRETATIONS)


@st.composite
def code_part(draw: st.DrawFn) -> tuple[dict[str, Any], str, list[float]]:
    """The ``code`` of an Observation, with the unit and band edges its value is drawn with."""
    name, code, unit, edges = draw(st.sampled_from(COVERED))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return {"text": "Glucose", "coding": [{"system": LOINC, "code": "2345-7"}]}, "mg/dL", []
    if kind == 1:
        return {"text": name}, unit, edges
    if kind == 2:
        return {"coding": [{"system": "urn:local", "code": "X1", "display": name}]}, unit, edges
    if kind == 3:
        return "not a concept", unit, edges  # type: ignore[return-value]
    coding = {"system": LOINC, "code": code}
    return {"coding": [coding], "text": draw(st.sampled_from([name, "Lab test"]))}, unit, edges


@st.composite
def observations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few Observations: one drawn whole, the others the same with one part drawn anew (so
    that keys which differ in one part only meet)."""
    concept, unit, edges = draw(code_part())
    parts: dict[str, dict[str, Any]] = {
        "status": draw(st.sampled_from([{"status": "final"}, {"status": "preliminary"}, {}])),
        "code": {"code": concept},
        "value": draw(value_part(unit, edges)),
        "range": draw(ranges(unit, edges)),
        "flag": draw(interpretations),
        "odd": {},
    }
    redraw: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "status": st.sampled_from(
            [{"status": s} for s in ("final", "amended", "entered-in-error", "cancelled")]
        ),
        "code": code_part().map(lambda drawn: {"code": drawn[0]}),
        "value": value_part(unit, edges),
        "range": ranges(unit, edges),
        "flag": interpretations,
        "odd": st.sampled_from(  # shapes the cache leaves alone
            [
                {"component": [{"code": concept, "valueQuantity": {"value": 5}}]},
                {"contained": [{"resourceType": "Patient", "id": "c", "gender": "male"}]},
            ]
        ),
    }
    pool = [parts]
    for part in draw(st.lists(st.sampled_from(sorted(redraw)), max_size=5)):
        pool.append({**parts, part: draw(redraw[part])})
    made = []
    for chosen in pool:
        resource: dict[str, Any] = {"resourceType": "Observation"}
        for piece in chosen.values():
            resource.update(piece)
        made.append(resource)
    return made


subjects = st.sampled_from(
    [
        {"reference": "Patient/P1"},
        {"reference": "Patient/P2"},
        {"reference": "Patient/P3"},
        {"reference": "https://fhir.example.org/Patient/P1"},
        {"reference": "#c"},
        {"identifier": {"value": "MRN-7"}},
        {"display": "=1+2"},
        None,
        "Patient/P1",
    ]
)
DATES: list[dict[str, Any]] = [
    {"effectiveDateTime": "2025-01-02"},
    {"effectiveDateTime": "2025-01-02T08:30:00Z"},
    {"effectiveDateTime": "2025-03-04"},
    {"effectiveDateTime": "2025-02-30"},
    {"effectiveDateTime": "2025-03"},
    {"effectivePeriod": {"start": "2025-03-04T10:00:00+01:00"}},
    {"issued": "2025-03-05T00:00:00Z"},
    {"effectiveDateTime": " "},
    {},
]
dates = st.sampled_from(DATES)
patients = st.builds(
    lambda ident, gender, born: {
        "resourceType": "Patient",
        "id": ident,
        **({"gender": gender} if gender else {}),
        **({"birthDate": born} if born else {}),
    },
    st.sampled_from(["P1", "P2", "P3"]),
    st.sampled_from(["female", "male", "other", "unknown", None]),
    st.sampled_from(["1980-02-29", "2012-06-01", "1950", None]),
)
odd_lines = st.sampled_from(
    [
        "",
        "not json",
        "null",
        "[1, 2]",
        '{"resourceType": "Bundle", "type": "collection", "entry": []}',
        '{"resourceType": "Specimen", "id": "s1"}',
        '{"status": "final"}',
    ]
)


@st.composite
def ndjson_export(draw: st.DrawFn) -> bytes:
    pool = draw(observations())
    lines: list[str] = []
    for number_ in range(draw(st.integers(1, 40))):
        kind = draw(st.integers(0, 19))
        if kind == 0:
            lines.append(json.dumps(draw(patients)))
            continue
        if kind == 1:
            lines.append(draw(odd_lines))
            continue
        resource = dict(draw(st.sampled_from(pool)))
        if "valueQuantity" in resource and draw(st.booleans()):  # another value, same shape
            quantity = resource["valueQuantity"]
            if isinstance(quantity, dict):
                resource["valueQuantity"] = {**quantity, "value": draw(number([20.0, 180.0]))}
        own: dict[str, Any] = {"id": f"o{number_}", "meta": {"versionId": str(number_)}}
        subject = draw(subjects)
        if subject is not None:
            own["subject"] = subject
        own.update(draw(dates))
        lines.append(json.dumps({**own, **resource}))
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ndjson_export(), runs)
def test_fhir_cache_on_and_off_write_the_same_bytes(text: bytes, run_: dict[str, Any]) -> None:
    reference = reference_for(run_["overlay"], OVERLAY_DIR)
    known = reference.guideline_names()
    settings_ = Settings(
        reference,
        sex=run_["sex"],
        age=run_["age"],
        notes=run_["notes"],
        guidelines=tuple(g for g in run_["guidelines"] if g[1] in known),
    )
    options = ScanOptions(lab_ranges=run_["lab_ranges"])
    fmt = str(run_["fmt"])
    cached = scan_ndjson(text, fmt, True, settings_, options)
    uncached = scan_ndjson(text, fmt, False, settings_, options)
    assert cached[:2] == uncached[:2]
    assert uncached[2] == 0


def bulk_export(lines: int) -> bytes:
    """A bulk export as a server writes it: B12 and MMA for each patient and date."""
    out = [json.dumps({"resourceType": "Patient", "id": "P1", "gender": "female"})]
    for n in range(lines):
        b12 = n % 2 == 0
        out.append(
            json.dumps(
                {
                    "resourceType": "Observation",
                    "id": f"o{n}",
                    "meta": {"lastUpdated": f"2025-01-01T00:00:{n % 60:02d}Z"},
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": "2132-9" if b12 else "13964-2"}]},
                    "subject": {"reference": f"Patient/P{n // 4 % 3 + 1}"},
                    "effectiveDateTime": f"2025-0{n // 2 % 9 + 1}-1{n // 2 % 3}",
                    "valueQuantity": {
                        "value": [250, 150, 400][n % 3] if b12 else [0.2, 0.6][n // 2 % 2],
                        "unit": "pg/mL" if b12 else "umol/L",
                    },
                }
            )
        )
    return ("\n".join(out) + "\n").encode()


def test_a_bulk_export_is_mostly_rendered_by_the_cache_with_every_note() -> None:
    # (low B12 with raised MMA on one patient's date is a pattern note, so rereads happen)
    text = bulk_export(300)
    for notes in ("none", "full"):
        for fmt in ("ndjson", "csv", "json"):
            settings_ = Settings(reference_for(None, OVERLAY_DIR), notes=notes)
            cached = scan_ndjson(text, fmt, True, settings_, ScanOptions())
            uncached = scan_ndjson(text, fmt, False, settings_, ScanOptions())
            assert cached[:2] == uncached[:2]
            assert cached[2] > 200, (notes, fmt)
    assert "An indeterminate B12 with raised MMA" in cached[0]


def test_a_patient_named_after_its_results_changes_only_the_later_ones() -> None:
    # The Patient line comes between two results of one patient and date; the first was read
    # without a sex, the second with it, also when the first is read again for the pattern
    # note the second gives it (borderline B12 with raised MMA).
    lines = []
    for n, value in enumerate((250, 0.6)):
        code = "2132-9" if n == 0 else "13964-2"
        lines.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "subject": {"reference": "Patient/P9"},
                "effectiveDateTime": "2025-05-06",
                "valueQuantity": {"value": value, "unit": "pg/mL" if n == 0 else "umol/L"},
            }
        )
    patient = {"resourceType": "Patient", "id": "P9", "gender": "male", "birthDate": "1950-01-01"}
    text = "\n".join(json.dumps(r) for r in (lines[0], patient, lines[1])) + "\n"
    settings_ = Settings(reference_for(None, OVERLAY_DIR), notes="full")
    cached = scan_ndjson(text.encode(), "ndjson", True, settings_, ScanOptions())
    uncached = scan_ndjson(text.encode(), "ndjson", False, settings_, ScanOptions())
    assert cached[:2] == uncached[:2]
    first, second = (json.loads(line) for line in cached[0].splitlines()[:2])
    assert (first["sex"], first["age"]) == (None, None)
    assert "An indeterminate B12 with raised MMA" in json.dumps(first["notes"])
    assert second["sex"] == "male" and second["age"] > 70
