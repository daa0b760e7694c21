"""A batch of rendered lines with a text that is not ASCII is written as several runs
(run/grouprows.ascii_runs), so that a stream can copy the ASCII runs instead of encoding them
character by character. Written one after another with the separator between them, the runs
must be exactly the one joined text, in any mix of texts."""

import json

from hypothesis import given
from hypothesis import strategies as st

from b12check.run.grouprows import ascii_runs
from tests.test_fastlane import SUMMARIES, scan_text

# texts as rendered lines look: mostly ASCII, now and then a "µ", an "ë", an em dash or
# an astral character (each a wider kind of str)
line_texts = st.lists(
    st.one_of(
        st.text(alphabet='ab,{}": 09', min_size=1, max_size=12),
        st.text(alphabet="aµë—\U0001f600", min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=30,
)


@given(line_texts, st.sampled_from(["\n", ",\n", "\r\n"]))
def test_runs_written_one_after_another_are_the_joined_text(
    texts: list[str], separator: str
) -> None:
    runs = ascii_runs(texts, separator)
    assert separator.join(runs) == separator.join(texts)
    for run in runs:  # an ASCII run, or one text that is not ASCII on its own
        assert run.isascii() or run in texts


def test_every_text_ascii_is_one_run() -> None:
    assert ascii_runs(["a", "b", "c"], ",\n") == ["a,\nb,\nc"]


def test_a_text_that_is_not_ascii_stands_alone_between_ascii_runs() -> None:
    assert ascii_runs(["a", "b", "µ", "c", "ë", "ë"], "\n") == ["a\nb", "µ", "c", "ë", "ë"]


HEADER = "patient_id,collected,analyte,value,unit"


def test_a_batch_with_a_note_that_is_not_ascii_writes_the_full_paths_bytes() -> None:
    # A low ferritin's note names "µg/L": its line is the one text of the batch that is not
    # ASCII, between many plain results of other patients (who share one batch).
    rows = [f"P{n},2024-01-05,Vitamin D,{30 + n % 7},ng/mL" for n in range(150)]
    rows[40] = "P40,2024-01-05,Ferritin,9,ng/mL"
    rows[41] = "P41,2024-01-05,Ferritin,9,ng/mL"
    rows[97] = "P97,2024-01-05,Ferritin,10,ng/mL"
    text = "\n".join([HEADER, *rows]) + "\n"
    for fmt in ("json", "csv", "ndjson"):
        cached, fast = scan_text(text, fmt, True, notes="full")
        assert cached == scan_text(text, fmt, False, notes="full")[0]
        assert SUMMARIES[-1] == SUMMARIES[-2]
        assert fast == 150  # (every value rendered by the cache, so in batches)
        assert cached.count("µg/L") == 3
    document = json.loads(scan_text(text, "json", True, notes="full")[0])
    ferritin = [r for r in document["records"] if r["analyte"] == "ferritin"]
    assert [r["line"] for r in ferritin] == [42, 43, 99]
    assert document["summary"]["results"] == 150
