"""Past the row cache's budgets (run/rowcache.py): nothing more is kept, and values of keys
not kept are read by the full path each time; a result of a shape kept is then rendered from
that shape's pieces, so it is still written with its group (and the bytes do not change)."""

import pytest

from b12check.run import rowcache
from tests.test_fastlane import SUMMARIES, row_caches, scan_text

HEADER = "patient_id,collected,analyte,value,unit"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_values_past_the_budget_are_rendered_from_known_shapes(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # 40 values kept, then 300 new values of the same test and band: each read by the full
    # path, none kept, all rendered by the cache from the one shape kept
    rows = [f"P{n},2024-01-05,Vitamin D,{30 + n / 100:.2f},ng/mL" for n in range(340)]
    rows += ["P1,2024-02-05,Ferritin,9,ng/mL", "P1,2024-02-05,Transferrin saturation,9,%"]
    text = "\n".join([HEADER, *rows]) + "\n"
    monkeypatch.setattr(rowcache, "ENTRY_LIMIT", 40)
    caches = row_caches(monkeypatch)
    cached, fast = scan_text(text, fmt, True, notes="full")
    assert cached == scan_text(text, fmt, False, notes="full")[0]
    assert SUMMARIES[-1] == SUMMARIES[-2]
    (cache,) = caches
    assert cache.entries <= 40
    assert sum(len(table) for table in cache.kinds.values()) + len(cache.kinds) <= 40
    # every Vitamin D value from the cache; the pattern's two (new shapes past the budget)
    # take the full path
    assert fast == 340
    assert cached.count("usual picture of iron deficiency") == 1
