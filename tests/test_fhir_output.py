"""``--format fhir``: an R4 Bundle of Observations that a real FHIR model library accepts,
and that b12check reads back to the same flags.

The validator is fhir.resources (its R4B models; R4B keeps R4's Observation and Bundle), a
test-only dependency in the ``dev`` extra.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, REPO, invoke

FIXTURES = REPO / "tests" / "fixtures" / "fhir"
FHIR_INPUTS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix == ".json")
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def validated(text: str) -> Any:
    bundle_model = pytest.importorskip("fhir.resources.R4B.bundle")
    bundle = bundle_model.Bundle.model_validate_json(text)
    assert bundle.type == "collection"
    return bundle


def fhir_of(*args: str, input: str | None = None) -> dict[str, Any]:
    result = invoke(*args, "--format", "fhir", input=input)
    validated(result.stdout)
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in document["entry"]]


def flags_of(*args: str) -> list[tuple[str | None, str | None]]:
    result = invoke(*args, "--format", "ndjson")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return [(r["analyte"], r["flag"]) for r in records if r["status"] == "result"]


def code_of(resource: dict[str, Any]) -> str:
    (coding,) = resource["interpretation"][0]["coding"]
    assert coding["system"] == V3
    code: str = coding["code"]
    return code


@pytest.mark.parametrize("name", FHIR_INPUTS)
def test_scanning_fhir_gives_a_valid_bundle(name: str) -> None:
    fhir_of("scan", str(FIXTURES / name))


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.csv")))
def test_scanning_csv_gives_a_valid_bundle(example: str) -> None:
    fhir_of("scan", str(EXAMPLES / example))


@pytest.mark.parametrize("name", [*FHIR_INPUTS, "Observation.ndjson"])
def test_round_trip_of_fhir_input_keeps_the_flags(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.fhir.json"
    invoke("scan", str(FIXTURES / name), "--format", "fhir", "-o", str(out))
    before = flags_of("scan", str(FIXTURES / name))
    assert before and flags_of("scan", str(out)) == before


@pytest.mark.parametrize("example", ["us-portal-export.csv", "eu-lab-export-si.csv"])
def test_round_trip_of_csv_input_keeps_the_flags(tmp_path: Path, example: str) -> None:
    out = tmp_path / "out.fhir.json"
    invoke("scan", str(EXAMPLES / example), "--format", "fhir", "-o", str(out))
    before = flags_of("scan", str(EXAMPLES / example))
    assert before and flags_of("scan", str(out)) == before


def test_interpretation_codes_for_each_kind_of_flag() -> None:
    values = (
        "b12=150 pg/mL",
        "b12=500 pg/mL",
        "b12=1500 pg/mL",
        "magnesium=0.3 mmol/L",
        "vitamin_d=200 ng/mL",
        "b12=<300 pg/mL",
    )
    document = fhir_of("check", *values, "--sex", "female")
    codes = [code_of(r) for r in resources(document)]
    # deficient, normal, high, critical low (< 0.41 mmol/L), critical high (> 150 ng/mL), and
    # a censored value no band can take (< 300 spans deficient to normal): indeterminate
    assert codes == ["L", "N", "H", "LL", "HH", "IND"]
    texts = [r["interpretation"][0]["text"] for r in resources(document)]
    assert texts[0] == "deficient" and texts[-1] == "unclassified"


def test_value_code_band_and_notes_with_sources() -> None:
    document = fhir_of("check", "vitamin d=45 nmol/L", "b12=500 pg/mL")
    vitamin_d, b12 = resources(document)
    assert vitamin_d["valueQuantity"] == {
        "value": 45,
        "unit": "nmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "nmol/L",
    }
    assert vitamin_d["code"]["coding"][0]["system"] == "http://loinc.org"
    assert vitamin_d["code"]["text"] == "vitamin d"
    # a band that is not normal is text only: no reader can take it for the normal range
    (band,) = vitamin_d["referenceRange"]
    assert set(band) == {"text"} and "12–20 ng/mL" in band["text"]
    (normal,) = b12["referenceRange"]
    assert normal["type"]["coding"][0]["code"] == "normal"
    assert normal["low"]["value"] < 500 < normal["high"]["value"]
    notes = [n["text"] for n in vitamin_d["note"]]
    assert any("(source: " in n for n in notes[:-1])
    assert notes[-1].startswith("Not medical advice")


def test_errors_have_a_data_absent_reason_and_skipped_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text(
        "test,result,unit\nb12,lots,pg/mL\nhaemoglobin,13,g/dL\nferritin,<5,ug/L\n",
        encoding="utf-8",
    )
    error, ferritin = resources(fhir_of("scan", str(path)))
    assert error["status"] == "unknown" and "valueQuantity" not in error
    assert error["dataAbsentReason"]["coding"][0]["code"] == "error"
    assert "'lots' is not a number" in error["dataAbsentReason"]["text"]
    assert ferritin["valueQuantity"]["comparator"] == "<"


def test_sex_travels_in_a_contained_patient() -> None:
    (resource,) = resources(fhir_of("check", "ferritin=20 ug/L", "--sex", "female"))
    (patient,) = resource["contained"]
    assert patient == {"resourceType": "Patient", "id": "subject", "gender": "female"}
    assert resource["subject"]["reference"] == "#subject"
