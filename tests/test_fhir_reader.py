"""scan on FHIR JSON: every shape of input, end to end, and the nothing-lost accounting.

The fixtures in tests/fixtures/fhir are hand-written, shaped as R4, STU3 and DSTU2 servers and
bulk exports send them. Expected flags come from the cited bands (research/reference-facts.md),
not from the code under test.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.refdata import Reference
from b12check.readers.fhir import fhir_date
from b12check.readers.fhir_detect import looks_like_fhir
from b12check.readers.fhir_walk import Walker
from tests.conftest import REPO, invoke

FIXTURES = REPO / "tests" / "fixtures" / "fhir"


def scan(*paths: str | Path, extra: tuple[str, ...] = ()) -> tuple[list[dict[str, Any]], str, int]:
    result = invoke("scan", *map(str, paths), "--format", "ndjson", *extra)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return records, result.stderr, result.exit_code


def by_locator(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["locator"]: r for r in records}


def observations(resource: Any) -> int:
    """Observations and components in a resource, counted independently of the reader:
    an Observation with components counts each (and itself only if it has a value)."""
    if isinstance(resource, list):
        return sum(observations(item) for item in resource)
    if not isinstance(resource, dict):
        return 0
    count = 0
    if resource.get("resourceType") == "Observation":
        components = resource.get("component") or []
        has_value = any(key.startswith("value") for key in resource)
        count += len(components) + (1 if has_value or not components else 0)
    for key in ("entry", "contained"):
        count += observations(resource.get(key) or [])
    if "resource" in resource:
        count += observations(resource["resource"])
    return count


NOT_OBSERVATIONS = ("resource: not a lab result", "without a resource", "not a FHIR resource")


def test_detected_by_content_not_by_name(tmp_path: Path) -> None:
    assert looks_like_fhir(b'\xef\xbb\xbf  \n{"resourceType": "Bundle"')
    assert not looks_like_fhir(b"test,result\nb12,250\n")
    renamed = tmp_path / "results.csv"
    renamed.write_bytes((FIXTURES / "observation-single.json").read_bytes())
    records, _, _ = scan(renamed)
    assert [r["analyte"] for r in records] == ["b12"]


def test_a_csv_whose_first_cell_starts_with_a_brace_is_read_as_csv(tmp_path: Path) -> None:
    # (a JSON object opens with a quoted name or closes at once; "{" alone is a CSV cell)
    assert looks_like_fhir(b'{\n  "resourceType": "Observation"') and looks_like_fhir(b"{ }")
    for first in ("{", "{note}", "{a"):
        path = tmp_path / "export.csv"
        path.write_text(f"{first},test,result,unit\nx,B12,500,pg/mL\n", encoding="utf-8")
        assert not looks_like_fhir(path.read_bytes())
        records, _, _ = scan(path)
        assert [(r["status"], r["analyte"], r["flag"]) for r in records] == [
            ("result", "b12", "normal")
        ]


def test_r4_searchset_every_entry_accounted_for() -> None:
    records, stderr, status = scan(FIXTURES / "r4-searchset.json")
    found = by_locator(records)
    b12 = found["Bundle.entry[1].resource"]
    assert (b12["flag"], b12["lab_range"], b12["lab_flag"]) == ("deficient", "180-914", "L")
    assert (b12["patient"], b12["sex"], b12["date"], b12["label"]) == (
        "Patient/p1",
        "female",
        "2024-03-05",
        "Vitamin B12",
    )
    assert b12["age"] == pytest.approx(43.84, abs=0.01)  # born 1980-05-01, seen 2024-03-05
    vitamin_d = found["Bundle.entry[2].resource"]
    assert vitamin_d["lab_range"] is None  # 0-0 is a missing range, not a range
    assert any("0–0 is not used" in w for w in vitamin_d["warnings"])
    assert any("preliminary" in w for w in vitamin_d["warnings"])
    ferritin = found["Bundle.entry[3].resource"]
    assert (ferritin["comparator"], ferritin["value"], ferritin["flag"]) == ("<", 5.0, "deficient")
    assert found["Bundle.entry[4].resource"]["reason"] == "not a test b12check covers"
    assert "entered-in-error" in found["Bundle.entry[5].resource"]["reason"]
    assert found["Bundle.entry[5].resource"]["status"] == "skipped"
    assert found["Bundle.entry[6].resource"]["status"] == "skipped"  # an Encounter
    assert found["Bundle.entry[7].resource"]["status"] == "error"  # not a resource at all
    assert found["Bundle.entry[8].resource"]["status"] == "error"  # "about one" mmol/L
    assert "cancelled" in found["Bundle.entry[9].resource"]["reason"]
    assert status == 3  # some input could not be read; the rest was
    assert "r4-searchset.json:Bundle.entry[7].resource: not a FHIR resource" in stderr
    # nothing lost: one record per entry but the Patient, which only gives sex and age
    assert len(records) == 9


@pytest.mark.parametrize(
    "name",
    [
        "r4-searchset.json",
        "r4-collection.json",
        "r4-transaction.json",
        "r4-document.json",
        "observation-single.json",
        "dstu2-bundle.json",
        "stu3-observation.json",
    ],
)
def test_every_observation_becomes_one_record(name: str) -> None:
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    records, _, _ = scan(FIXTURES / name)
    assert len({r["locator"] for r in records}) == len(records)  # each names its own place
    others = [r for r in records if any(why in (r["reason"] or "") for why in NOT_OBSERVATIONS)]
    assert len(records) - len(others) == observations(document)


def test_contained_and_components_with_their_patient() -> None:
    records, _, status = scan(FIXTURES / "r4-collection.json")
    found = by_locator(records)
    b12 = found["Bundle.entry[1].resource.contained[1]"]
    mma = found["Bundle.entry[1].resource.contained[2]"]
    # the report's subject (#pat, a contained male Patient) and date go to its Observations
    assert (b12["sex"], b12["date"], b12["flag"]) == ("male", "2024-06-10", "normal")
    assert (mma["flag"], mma["lab_flag"]) == ("high", "H")
    iron, tibc, tsat = (found[f"Bundle.entry[2].resource.component[{i}]"] for i in range(3))
    assert [r["analyte"] for r in (iron, tibc, tsat)] == ["iron", "tibc", "tsat"]
    assert iron["date"] == "2024-06-11"  # effectivePeriod.start
    assert iron["sex"] == "female"  # the Patient entry found by its urn:uuid fullUrl
    assert tsat["flag"] in ("deficient", "low")  # 9.5 % is below every TSAT cut-off
    assert len(records) == 5 and status in (0, 1)


def test_transaction_by_urn_uuid_and_an_entry_without_resource() -> None:
    records, _, _ = scan(FIXTURES / "r4-transaction.json")
    magnesium, delete = records
    assert (magnesium["sex"], magnesium["analyte"], magnesium["unit"]) == (
        "male",
        "magnesium",
        "mg/dL",
    )
    assert magnesium["flag"] == "deficient"  # 1.4 mg/dL = 0.58 mmol/L
    assert (delete["status"], delete["locator"]) == ("skipped", "Bundle.entry[2]")


def test_document_bundle_skips_the_composition() -> None:
    composition, homocysteine = scan(FIXTURES / "r4-document.json")[0]
    assert composition["status"] == "skipped"
    assert "Composition" in composition["reason"]
    assert (homocysteine["analyte"], homocysteine["flag"], homocysteine["sex"]) == (
        "homocysteine",
        "high",
        "female",
    )


def test_single_observation_with_comparator_and_a_subject_without_patient() -> None:
    (record,) = scan(FIXTURES / "observation-single.json")[0]
    assert (record["comparator"], record["value"], record["flag"]) == (">", 2000.0, "high")
    assert (record["locator"], record["line"]) == ("Observation", 0)
    assert record["analyte"] == "b12"  # by its LOINC coding, past a local code
    assert record["sex"] is None and record["age"] is None  # no Patient resource: as today


def test_dstu2_units_string_value_and_single_interpretation() -> None:
    b12, vitamin_d = scan(FIXTURES / "dstu2-bundle.json")[0]
    assert (b12["value_text"], b12["unit"], b12["lab_flag"]) == ("1150", "pg/mL", "H")
    assert b12["lab_range"] == "211-911"
    assert (b12["sex"], b12["date"]) == ("male", "2016-04-02")
    assert vitamin_d["locator"] == "Bundle.entry[2].resource.contained[0]"
    assert (vitamin_d["lab_flag"], vitamin_d["value"], vitamin_d["flag"]) == (
        "L",
        18.0,
        "borderline",
    )


def test_stu3_value_string_with_comparator_and_text_range() -> None:
    (record,) = scan(FIXTURES / "stu3-observation.json")[0]
    assert (record["comparator"], record["value"], record["unit"]) == ("<", 5.0, "ng/mL")
    assert record["flag"] == "deficient"  # < 5 ng/mL is under the 12 ng/mL cut-off
    assert (record["lab_range"], record["lab_flag"]) == ("30-100 ng/mL", "L")


def test_ndjson_streams_with_patients_from_an_earlier_file() -> None:
    records, stderr, status = scan(FIXTURES / "Patient.ndjson", FIXTURES / "Observation.ndjson")
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    b12, vitamin_d, broken, ferritin = records
    assert b12["sex"] == "female" and b12["age"] == pytest.approx(34.0, abs=0.01)
    assert vitamin_d["sex"] == "male" and vitamin_d["age"] is None  # born "1948": no day
    assert any("not a full date" in w for w in vitamin_d["warnings"])
    assert broken["status"] == "error" and "not valid JSON" in broken["reason"]
    assert ferritin["flag"] == "high" and ferritin["sex"] == "male"  # read after the bad line
    assert "Observation.ndjson:3: not valid JSON" in stderr
    assert status == 3


def test_ndjson_without_its_patients_reads_without_sex() -> None:
    records, _, _ = scan(FIXTURES / "Observation.ndjson")
    assert [r["sex"] for r in records if r["status"] == "result"] == [None, None, None]


def test_fhir_from_stdin() -> None:
    text = (FIXTURES / "stu3-observation.json").read_text(encoding="utf-8")
    result = invoke("scan", "-", "--format", "ndjson", input=text)
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["file"], record["analyte"], record["flag"]) == ("-", "vitamin_d", "deficient")


def test_json_that_is_not_fhir_or_not_json(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"name": "not FHIR"}\n', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "resourceType": "Bundle",\n  "entry": [\n', encoding="utf-8")
    records, stderr, status = scan(other, broken)
    assert [r["status"] for r in records] == ["error", "error"]
    assert "no resourceType" in records[0]["reason"]
    assert (
        "not valid JSON" in records[1]["reason"] and "nothing in this file" in records[1]["reason"]
    )
    assert status == 3 and "no header row" not in stderr


def observation(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
    }
    return {**base, **fields}


def test_units_that_disagree_and_ranges_in_another_unit(tmp_path: Path) -> None:
    path = tmp_path / "obs.ndjson"
    lines = [
        observation(valueQuantity={"value": 300, "unit": "pg/mL", "code": "pmol/L"}),
        observation(
            valueQuantity={"value": 300, "unit": "pg/mL"},
            referenceRange=[{"low": {"value": 150, "unit": "pmol/L"}, "high": {"value": 600}}],
        ),
        observation(valueQuantity={"value": 300, "unit": "pg/mL"}, referenceRange=[{}]),
        observation(valueQuantity={"value": 300, "unit": "pg/mL", "comparator": "ad"}),
        observation(dataAbsentReason={"coding": [{"code": "not-performed"}]}),
        observation(valueCodeableConcept={"text": "see report"}),
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    both, other_unit, empty, comparator, absent, coded = scan(path)[0]
    assert both["status"] == "error" and "two different units" in both["reason"]
    assert other_unit["lab_range"] is None and "not used" in other_unit["warnings"][0]
    assert empty["lab_range"] is None and "empty" in empty["warnings"][0]
    assert comparator["status"] == "error" and "'ad'" in comparator["reason"]
    assert absent["status"] == "error" and "not-performed" in absent["reason"]
    assert coded["status"] == "error" and "CodeableConcept" in coded["reason"]


def test_csv_records_carry_no_locator(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("test,result,unit\nb12,250,pg/mL\n", encoding="utf-8")
    (record,) = scan(path)[0]
    assert "locator" not in record


def test_locator_in_csv_output_goes_in_the_column_cell() -> None:
    result = invoke("scan", str(FIXTURES / "observation-single.json"), "--format", "csv")
    header, row = result.stdout.splitlines()
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert (cells["line"], cells["column"]) == ("0", "Observation")


def test_fhir_dates() -> None:
    assert fhir_date("2024-03-05T08:10:00+01:00") == ("2024-03-05", None)
    assert fhir_date("2024-02-30")[1] == "date '2024-02-30' is not a valid calendar date"
    assert "no day" in (fhir_date("2024-03")[1] or "")


json_values = st.recursive(
    st.none() | st.booleans() | st.text(max_size=5) | st.sampled_from(["250", "<5", "0", "-1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.dictionaries(
    st.sampled_from(
        [
            "valueQuantity",
            "valueString",
            "referenceRange",
            "interpretation",
            "component",
            "subject",
            "effectiveDateTime",
            "effectivePeriod",
            "status",
            "code",
            "contained",
        ]
    ),
    json_values,
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(fields)
def test_any_observation_shape_gives_records_never_a_crash(
    reference: Reference, shape: dict[str, Any]
) -> None:
    walker = Walker(reference)
    found = list(walker.walk({"resourceType": "Observation", **shape}, ""))
    assert found  # at least one record (an error, if nothing in it can be read)
    assert all(f.locator.startswith("Observation") for f in found)


def test_the_same_value_twice_gets_its_own_place_person_and_lists(tmp_path: Path) -> None:
    lines = [
        observation(
            valueQuantity={"value": 150, "unit": "pg/mL"},
            subject={"reference": f"Patient/{who}"},
            effectiveDateTime=when,
        )
        for who, when in (("a", "2024-01-01"), ("b", "2024-02-02"))
    ]
    path = tmp_path / "twice.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    first, second = scan(path, extra=("--notes", "full"))[0]
    assert (first["patient"], first["date"], first["line"]) == ("Patient/a", "2024-01-01", 1)
    assert (second["patient"], second["date"], second["line"]) == ("Patient/b", "2024-02-02", 2)
    assert first["flag"] == second["flag"] == "deficient"
    assert first["notes"] == second["notes"] and first["notes"]


def test_records_from_the_memo_share_no_lists(reference: Reference) -> None:
    from b12check.core.evaluate import Settings
    from b12check.readers.context import RowDates
    from b12check.readers.fhir import FhirReader
    from b12check.readers.fhir_walk import Found

    reader = FhirReader(Settings(reference, notes="full"), RowDates(None))
    found = Found("Observation", test="b12", value_text="150", unit="pg/mL")
    one, two = reader.record(found, "x", 1), reader.record(found, "x", 2)
    one.notes.clear()
    one.warnings.append("only on the first")
    assert two.notes and "only on the first" not in two.warnings


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_withdrawn_results_are_not_listed_as_tests_not_covered(fmt: str) -> None:
    result = invoke("scan", str(FIXTURES / "r4-searchset.json"), "--format", fmt)
    lines = result.stdout.splitlines()
    not_covered = next(line for line in lines if line.startswith("Skipped (not covered)"))
    withdrawn = next(line for line in lines if line.startswith("Skipped (withdrawn by the lab)"))
    assert "Hemoglobin" in not_covered and "Vitamin B12" not in not_covered
    assert "Vitamin B12" in withdrawn and "Iron" in withdrawn


def test_ndjson_diagnostics_name_line_and_locator(tmp_path: Path) -> None:
    path = tmp_path / "obs.ndjson"
    bad = observation(component=[{"code": {"text": "B12"}, "valueBoolean": True}])
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    _, stderr, status = scan(path)
    assert f"{path}:1:Observation.component[0]: the value is a Boolean, not a number" in stderr
    assert status == 3
