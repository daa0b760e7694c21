"""Generate a FHIR R4 NDJSON bulk export of Observations for the b12check benchmarks.

Usage: ``python benchmarks/gen_fhir.py N OUT.ndjson [--seed S]``

Writes exactly N Observations, one a line, holding the same values as ``gen_csv.py`` writes
for the seed: LOINC code and text, ``valueQuantity`` with a UCUM unit (and a comparator for the
censored values), the lab's reference range and, where it flags the value, its
interpretation; ``subject`` and ``effectiveDateTime`` per draw. Streamed, so any N works.
"""

import argparse
import json
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_csv import LOINC, lab_cells, patient_draws  # noqa: E402

UCUM = "http://unitsofmeasure.org"
CATEGORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
            }
        ]
    }
]
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def number(text: str) -> float | int:
    return int(text) if text.isdigit() else float(text)


def quantity(text: str, unit: str) -> dict[str, object]:
    out: dict[str, object] = {}
    comparator = text[:2] if text[1:2] == "=" else text[:1]
    if comparator in ("<", ">", "<=", ">="):
        out["comparator"] = comparator
        text = text[len(comparator) :]
    out.update(value=number(text), unit=unit, system=UCUM, code=unit)
    return out


def observations(n: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    written, patient = 0, 0
    while written < n:
        patient += 1
        draws, _ = patient_draws(rng, patient)
        for draw in draws:
            for patient_id, collected, label, text, unit, key in draw:
                if written >= n:
                    return
                written += 1
                shown, flag = lab_cells(key, text, unit)
                low, high = shown.split("-")
                resource: dict[str, object] = {
                    "resourceType": "Observation",
                    "id": f"o{written}",
                    "status": "final",
                    "category": CATEGORY,
                    "code": {
                        "coding": [{"system": "http://loinc.org", "code": LOINC[key]}],
                        "text": label,
                    },
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "effectiveDateTime": collected,
                    "valueQuantity": quantity(text, unit),
                    "referenceRange": [
                        {
                            "low": {"value": number(low), "unit": unit},
                            "high": {"value": number(high), "unit": unit},
                        }
                    ],
                }
                if flag:
                    resource["interpretation"] = [{"coding": [{"system": V3, "code": flag}]}]
                yield json.dumps(resource, separators=(",", ":"))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate FHIR NDJSON for benchmarks.")
    parser.add_argument("rows", type=int, help="number of Observations")
    parser.add_argument("out", help="output path, or - for stdout")
    parser.add_argument("--seed", type=int, default=12, help="random seed (default 12)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    handle = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        for line in observations(args.rows, args.seed):
            handle.write(line + "\n")
    finally:
        if handle is not sys.stdout:
            handle.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
