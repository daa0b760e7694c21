"""Notes agree with the band the value was read against (issue 15, item 5).

A note that quotes a cut-off ("below 12 ng/mL", "the NICE cut-off") must never go on a value
read against a band that says something else: another guideline's, an overlay's, or the lab's
own range under ``--lab-ranges prefer``. The claims are read from the note texts by this file's
own rules, and the cut-offs behind named authorities are written here from
research/reference-facts.md, section 0, not taken from the code under test.
"""

import json
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.core.build import shipped_ranges_path
from b12check.core.evaluate import Settings, evaluate
from b12check.core.models import validate_notes, validate_ranges
from b12check.core.records import NoteRef, Record
from b12check.core.refdata import Reference, load_reference
from b12check.core.vocab import LabRangePolicy
from b12check.core.yamlload import load_yaml_file
from tests.conftest import invoke, overlay

_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"(?:\s*(ng/mL|pg/mL|ug/L|µg/L|mmol/L|%|nmol/L|pmol/L|ug/dL|umol/L)(?![\w/]))?"
# "below 12 ng/mL", "under the 0.85 mmol/L limit", "at or above 20 ng/mL"
_ONE_SIDED = re.compile(
    rf"\b(below|under|at or above|above|over|beyond)\s+(?:the\s+)?{_NUMBER}{_UNIT}", re.I
)
_BETWEEN = re.compile(
    rf"\b(?:between|within the usual)\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}{_UNIT}", re.I
)
# Units that are the same number as each test's canonical unit (ferritin: ng/mL = µg/L).
_SAME_AS_CANONICAL = {None, "ng/mL", "pg/mL", "ug/L", "µg/L", "mmol/L", "%"}
# Cut-offs named without a number, per test: (phrase, "below" | "above" | "between", edges).
# reference-facts.md section 0: NICE < 180 and 180-350 pg/mL; RCPA/AACB 0.70-1.10 mmol/L;
# hospital critical values < 1.0 mg/dL (0.41 mmol/L) and > 5.0 mg/dL (2.06 mmol/L); WHO overload
# risk above 150 (women) / 200 (men) µg/L; Davis's iron toxicity above 350 µg/dL.
_NAMED: dict[str, list[tuple[str, str, tuple[float, ...]]]] = {
    "b12": [("below the nice cut-off", "below", (180,)), ("nice grey zone", "between", (180, 350))],
    "magnesium": [
        ("below the harmonised adult reference interval", "below", (0.70,)),
        ("within the harmonised adult reference interval", "between", (0.70, 1.10)),
        ("above the usual adult range", "above", (1.10,)),
        ("below the limit many hospital labs", "below", (0.41,)),
        ("beyond the upper critical limit", "above", (2.06,)),
    ],
    "ferritin": [("above the who overload-risk level", "above", (150,))],
    "iron": [("davis's lists as toxic", "above", (350,))],
}
_TOLERANCE = 1e-9


def claims(analyte: str, text: str) -> list[tuple[str, tuple[float, ...]]]:
    """What a note says about where the value lies: ("below", (12,)), ("between", (12, 20))."""
    found: list[tuple[str, tuple[float, ...]]] = []
    for match in _BETWEEN.finditer(text):
        assert match[3] in _SAME_AS_CANONICAL, f"unit {match[3]!r} in {text!r}: teach the test"
        found.append(("between", (float(match[1]), float(match[2]))))
    for match in _ONE_SIDED.finditer(text):
        assert match[3] in _SAME_AS_CANONICAL, f"unit {match[3]!r} in {text!r}: teach the test"
        word = match[1].casefold()
        found.append(("below" if word in ("below", "under") else "above", (float(match[2]),)))
    lowered = text.casefold()
    found.extend(
        (way, edges) for phrase, way, edges in _NAMED.get(analyte, []) if phrase in lowered
    )
    return found


def contradictions(record: Record) -> list[str]:
    """Every claim of the record's notes that its band (in the canonical unit) breaks."""
    low, high = record.band_low, record.band_high
    found = []
    for note in record.notes:
        for way, edges in claims(record.analyte or "", note.text):
            if way == "below":
                ok = high is not None and high <= edges[0] + _TOLERANCE
            elif way == "above":
                ok = low is not None and low >= edges[0] - _TOLERANCE
            else:
                ok = (
                    low is not None
                    and high is not None
                    and low >= edges[0] - _TOLERANCE
                    and high <= edges[1] + _TOLERANCE
                )
            if not ok:
                found.append(
                    f"{record.analyte} {record.value_text} {record.unit} read against "
                    f"[{low}, {high}] ({record.band_source}): {way} {edges} in {note.text!r}"
                )
    return found


# ------------------------------------------------------------------ the claim reader bites


def test_the_claim_reader_finds_the_claims_of_the_old_notes() -> None:
    assert claims("vitamin_d", "Insufficient: between 12 and 20 ng/mL, where") == [
        ("between", (12.0, 20.0))
    ]
    assert claims("magnesium", "In range and above 0.85 mmol/L, where") == [("above", (0.85,))]
    assert claims("magnesium", "under the 0.85 mmol/L limit Elin proposes") == [("below", (0.85,))]
    assert claims("b12", "Below the NICE cut-off, so B12 deficiency is likely.") == [
        ("below", (180,))
    ]
    assert claims("tsat", "Within the usual 20 to 45 % range.") == [("between", (20.0, 45.0))]
    record = Record("result", "argv", 1, analyte="b12", band_low=None, band_high=200.0)
    record.notes = [NoteRef("Below the NICE cut-off, so", "NICE NG239 (2024)")]
    assert contradictions(record)


# --------------------------------------------------------------- the cases the issue names


def _notes_of(output: str) -> list[str]:
    return [n["text"] for r in json.loads(output)["records"] for n in r["notes"]]


def test_an_overlay_band_does_not_get_the_nice_note(tmp_path: Path) -> None:
    lab = overlay(
        tmp_path,
        "version: 1\nanalytes:\n  b12:\n    bands:\n"
        '      - {range: "(, 200)", flag: deficient, interpretation: L, source: My lab}\n'
        '      - {range: "[200, 900]", flag: normal, interpretation: N, source: My lab}\n'
        '      - {range: "(900, )", flag: high, interpretation: H, source: My lab}\n',
    )
    result = invoke("check", "b12=190pg/mL", "--ranges", lab, "-f", "json", "--notes", "full")
    notes = _notes_of(result.stdout)
    assert not [n for n in notes if "NICE cut-off" in n]
    assert any(n.startswith("Deficient by the bands in use") for n in notes)
    table = invoke("check", "b12=190pg/mL", "--ranges", lab)
    assert "NICE cut-off" not in table.stdout and "Deficient by the bands in use" in table.stdout


def test_endocrine_society_bands_get_their_own_note() -> None:
    result = invoke(
        "check", "vitamin d=25 ng/mL", "--guideline", "endocrine-society-2011", "-f", "json"
    )
    notes = _notes_of(result.stdout)
    assert not [n for n in notes if "between 12 and 20" in n]
    assert any("between 20 and 30 ng/mL" in n for n in notes)
    # the default bands keep the IOM note
    default = _notes_of(invoke("check", "vitamin d=15 ng/mL", "-f", "json").stdout)
    assert any("between 12 and 20 ng/mL" in n for n in default)


def test_prefer_gives_no_note_that_contradicts_the_lab_flag(tmp_path: Path) -> None:
    export = tmp_path / "lab.csv"
    export.write_text(
        "Test,Result,Units,Reference Range\n"
        "Vitamin D,45,ng/mL,20-40\n"
        "Magnesium,0.8,mmol/L,0.6-0.9\n"
        "Ferritin,120,ng/mL,20-100\n",
        encoding="utf-8",
    )
    result = invoke("scan", str(export), "--lab-ranges", "prefer", "-f", "json", "--sex", "female")
    records = json.loads(result.stdout)["records"]
    assert [r["flag"] for r in records] == ["high", "normal", "high"]
    text = " ".join(n["text"] for r in records for n in r["notes"])
    assert "Above 50 ng/mL" not in text
    assert "above 0.85 mmol/L" not in text
    assert "WHO overload-risk" not in text
    assert "Above the range in use" in text


# ------------------------------------------------- every note, test, guideline, overlay, lab


def _edges(reference: Reference, analyte_id: str) -> list[float]:
    analyte = reference.analytes[analyte_id]
    edges = {0.0}
    for name in analyte.guidelines:
        for band in analyte.bands_of(name):
            for edge in (band.interval.low, band.interval.high):
                if edge is not None:
                    edges.add(edge)
    return sorted(edges)


def _values(edges: list[float]) -> list[float]:
    """Each edge, a little either side of it, and a value past the last one."""
    out = {edges[-1] * 1.5 + 1}
    for edge in edges:
        out.update({edge, edge * 0.97, edge * 1.03, edge + 0.01})
    return sorted(v for v in out if v > 0)


def _evaluate(
    settings_: Settings, analyte: str, value: float, sex: str | None, lab: str | None = None
) -> Record:
    unit = settings_.reference.analytes[analyte].canonical_unit
    return evaluate(
        settings_,
        file="t",
        line=1,
        name=analyte,
        value_text=f"{value:.6g}",
        unit_text=unit,
        sex=sex,
        lab_range=lab,
    )


def test_no_note_contradicts_its_band_under_any_guideline() -> None:
    reference = load_reference()
    problems: list[str] = []
    seen = 0
    for analyte_id, analyte in reference.analytes.items():
        for guideline in analyte.guidelines:
            run = Settings(reference, notes="full", guidelines=((analyte_id, guideline),))
            for value in _values(_edges(reference, analyte_id)):
                for sex in (None, "female", "male"):
                    record = _evaluate(run, analyte_id, value, sex)
                    if record.status == "result":
                        seen += 1
                        problems.extend(contradictions(record))
                        assert any(n.kind == "finding" for n in record.notes), record.as_dict()
    assert seen > 500
    assert not problems, "\n".join(problems[:20])


_FLAG_ORDER = ("critical_low", "deficient", "low", "borderline", "normal", "high", "critical_high")


@st.composite
def _overlay_bands(draw: st.DrawFn, analyte: str, reference: Reference) -> str:
    """Bands for ``analyte`` at random edges, each with one of the test's own flags, low to high."""
    flags = sorted({b.flag for b in reference.analytes[analyte].bands}, key=_FLAG_ORDER.index)
    top = _edges(reference, analyte)[-1] * 1.5
    cuts = draw(
        st.lists(
            st.floats(min_value=top / 1000, max_value=top).map(lambda x: float(f"{x:.3g}")),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    cuts.sort()
    chosen = sorted(
        draw(st.lists(st.sampled_from(flags), min_size=len(cuts) + 1, max_size=len(cuts) + 1)),
        key=_FLAG_ORDER.index,
    )
    lines = []
    for index, flag in enumerate(chosen):
        low = "" if index == 0 else f"{cuts[index - 1]}"
        high = "" if index == len(cuts) else f"{cuts[index]}"
        opening = "(" if index == 0 else "["
        lines.append(
            f'      - {{range: "{opening}{low}, {high})", flag: {flag}, interpretation: N, '
            "source: Test lab}\n"
        )
    return f"version: 1\nanalytes:\n  {analyte}:\n    bands:\n" + "".join(lines)


_BUILT_IN = load_reference()
_ANALYTES = sorted(_BUILT_IN.analytes)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_note_contradicts_a_random_overlay_or_lab_range(data: Any, tmp_path: Path) -> None:
    analyte = data.draw(st.sampled_from(_ANALYTES))
    text = data.draw(_overlay_bands(analyte, _BUILT_IN))
    path = tmp_path / "random.yaml"
    path.write_text(text, encoding="utf-8")
    reference = load_reference((str(path),))
    run = Settings(reference, notes="full")
    top = _edges(_BUILT_IN, analyte)[-1] * 1.5
    low = data.draw(st.floats(min_value=0, max_value=top).map(lambda x: float(f"{x:.3g}")))
    high = data.draw(st.floats(min_value=low, max_value=top * 2).map(lambda x: float(f"{x:.3g}")))
    lab = f"{low:g}-{high:g}"
    guideline = data.draw(st.sampled_from(sorted(_BUILT_IN.analytes[analyte].guidelines)))
    prefer = Settings(
        _BUILT_IN,
        notes="full",
        lab_ranges=LabRangePolicy.PREFER,
        guidelines=((analyte, guideline),),
    )
    problems: list[str] = []
    for value in _values([low, high, *_edges(reference, analyte)]):
        for sex in (None, "female", "male"):
            for record in (
                _evaluate(run, analyte, value, sex),
                _evaluate(prefer, analyte, value, sex, lab),
            ):
                if record.status == "result" and math.isfinite(record.value or 0):
                    problems.extend(contradictions(record))
    assert not problems, text + "\n" + "\n".join(problems[:10])


def test_a_note_naming_a_band_the_test_lacks_is_refused() -> None:
    ranges, _ = validate_ranges(load_yaml_file(shipped_ranges_path()).data)
    assert ranges is not None
    note = {"analyte": "b12", "flags": ["deficient"], "kind": "finding", "reference": "NICE"}
    bad = {"version": 1, "notes": [{**note, "text": "x", "bands": ["(, 170)"]}]}
    model, problems = validate_notes(bad, ranges)
    assert model is None and "has no band (, 170)" in problems[0][1]
    good = {"version": 1, "notes": [{**note, "text": "x", "bands": ["(, 180)"]}]}
    assert validate_notes(good, ranges)[0] is not None


def test_explain_says_which_bands_a_note_is_for() -> None:
    data = json.loads(invoke("explain", "vitamin_d", "--format", "json").stdout)
    findings = {n["text"][:24]: n.get("bands") for n in data["notes"]["finding"]}
    assert findings["Below 12 ng/mL, the leve"] == ["< 12"]
    assert findings["Deficient by the bands i"] == "other"
    table = invoke("explain", "vitamin_d", env={"COLUMNS": "200"}).stdout
    assert "[borderline; band 12–20] Insufficient: between 12 and 20 ng/mL" in table
    assert "[borderline; other bands] Insufficient by the bands in use" in table


def _shifted(reference: Reference, analyte_id: str) -> str:
    """An overlay whose bands are the default ones with every edge moved up by 1.3 %: the same
    flags, none of the edges a note describes."""
    lines = []
    for band in reference.analytes[analyte_id].bands:
        interval = band.interval
        low = "" if interval.low is None else f"{interval.low * 1.013:.6g}"
        high = "" if interval.high is None else f"{interval.high * 1.013:.6g}"
        opening = "[" if interval.low_inclusive else "("
        closing = "]" if interval.high_inclusive else ")"
        sex = f", sex: {band.sex}" if band.sex else ""
        lines.append(
            f'      - {{range: "{opening}{low}, {high}{closing}", flag: {band.flag}, '
            f"interpretation: {band.interpretation}{sex}, source: Shifted}}\n"
        )
    return f"version: 1\nanalytes:\n  {analyte_id}:\n    bands:\n" + "".join(lines)


def test_every_finding_note_is_reached_and_none_contradicts(tmp_path: Path) -> None:
    """Every finding note of notes.yaml goes on some result: the band notes under the
    guidelines they describe, the 'other' ones under an overlay whose edges differ."""
    built_in = load_reference()
    seen: set[str] = set()
    problems: list[str] = []
    for analyte_id, analyte in built_in.analytes.items():
        path = tmp_path / f"{analyte_id}.yaml"
        path.write_text(_shifted(built_in, analyte_id), encoding="utf-8")
        runs = [
            Settings(built_in, notes="full", guidelines=((analyte_id, name),))
            for name in analyte.guidelines
        ]
        runs.append(Settings(load_reference((str(path),)), notes="full"))
        values = _values(_edges(built_in, analyte_id))
        for run in runs:
            for value in values:
                for sex in (None, "female", "male"):
                    for censor in ("", "<", ">"):
                        record = evaluate(
                            run,
                            file="t",
                            line=1,
                            name=analyte_id,
                            value_text=f"{censor}{value:.6g}",
                            unit_text=analyte.canonical_unit,
                            sex=sex,
                        )
                        seen.update(note.text for note in record.notes)
                        if record.status == "result":
                            problems.extend(contradictions(record))
    findings = {note.text for note in built_in.notes if note.kind == "finding"}
    assert not findings - seen, sorted(findings - seen)
    assert not problems, "\n".join(problems[:20])
