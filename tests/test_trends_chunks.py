"""json's trends are written a chunk of series at a time (render/json_lines.py): whatever the
chunk size, the series are written in order, one after another with ", " between them, each as
json.dumps writes it."""

import json

import pytest

from b12check.render import json_lines
from tests.test_fastlane import scan_text

HEADER = "patient_id,collected,analyte,value,unit"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 500])
def test_series_are_written_alike_in_chunks_of_any_size(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(json_lines, "SERIES_CHUNK", chunk)
    rows = []
    for patient in range(7):  # 7 patients x 2 tests on 2 dates: 14 series; one on 1 date
        for date, value in (("2024-01-05", 30 + patient), ("2024-06-01", 41.5 - patient)):
            rows.append(f"P{patient},{date},Vitamin D,{value},ng/mL")
            rows.append(f"P{patient},{date},Ferritin,{80 + patient},ug/L")
    rows.append("P9,2024-01-05,Ferritin,90,ug/L")
    text = "\n".join([HEADER, *rows]) + "\n"
    out, _ = scan_text(text, "json", True, notes="brief")
    series = json.loads(out)["trends"]["series"]
    assert [(s["patient"], s["analyte"]) for s in series] == [
        (f"P{patient}", analyte) for patient in range(7) for analyte in ("vitamin_d", "ferritin")
    ]
    expected = ", ".join(json.dumps(s, ensure_ascii=False) for s in series)
    assert f'"trends": {{"series": [{expected}], "truncated": false' in out
    assert out == scan_text(text, "json", False, notes="brief")[0]
