"""The FHIR floor: the least work a streaming classifier of FHIR NDJSON can do.

Usage: ``python benchmarks/floor_fhir.py IN.ndjson > OUT.csv``

For each line: ``json.loads`` it, take the LOINC code, ``valueQuantity`` value, comparator and
unit, look up (test, unit) in the CSV floor's table (``floor.py``), convert, ``bisect`` the cut
points and write ``patient,date,loinc,value,unit,flag`` through ``csv.writer``. Unknown tests
get ``skipped``, anything else unreadable ``error``. A speed floor, not a product.
"""

import csv
import json
import sys
from bisect import bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import TABLE  # noqa: E402
from gen_csv import ANALYTES, LOINC  # noqa: E402

LABELS = {code: ANALYTES[key].label for key, code in LOINC.items()}


def main(path: str) -> int:
    table, labels = TABLE, LABELS
    writer = csv.writer(sys.stdout, lineterminator="\n")
    write = writer.writerow
    with open(path, "rb") as handle:
        for line in handle:
            resource = json.loads(line)
            code = resource["code"]["coding"][0]["code"]
            quantity = resource.get("valueQuantity") or {}
            row = [
                resource["subject"]["reference"],
                resource.get("effectiveDateTime"),
                code,
                quantity.get("value"),
                quantity.get("unit"),
            ]
            try:
                factor, cuts, flags = table[labels[code], row[4]]
                value = float(row[3]) * factor
            except (KeyError, TypeError, ValueError):
                write([*row, "skipped"])
                continue
            row.append(flags[bisect_right(cuts, value)])
            write(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
