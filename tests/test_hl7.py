"""HL7 v2 ORU^R01 input: found by content, read segment by segment, through the same core.

The fixtures in tests/fixtures/hl7/ are hand-written: a 2.3 file with CR line ends, a 2.5.1
file with CRLF and a 2.8 file of two MLLP-framed messages with LF (the second with its own
separators).
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b12check.core.evaluate import Settings
from b12check.core.refdata import Reference
from b12check.readers.hl7_records import Hl7Reader
from b12check.readers.hl7v2 import (
    Line,
    Separators,
    hl7_date,
    lines,
    looks_like_hl7,
    read_separators,
    unescape,
)
from b12check.readers.layout import HeaderIndex
from tests.conftest import invoke, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "hl7"
V23 = FIXTURES / "oru-v2.3-cr.hl7"
V251 = FIXTURES / "oru-v2.5.1-crlf.hl7"
V28 = FIXTURES / "oru-v2.8-mllp-lf.hl7"
DEFAULT = Separators("|", "^", "~", "\\", "&")


def scan(*args: str, input: str | None = None) -> tuple[list[dict[str, Any]], str, int]:
    result = invoke("scan", *args, "--format", "ndjson", input=input)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return records, result.stderr, result.exit_code


def by_column(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["locator"]: r for r in records}


# ------------------------------------------------------------------ recognising and parsing


def test_hl7_is_recognised_by_its_first_bytes() -> None:
    assert looks_like_hl7(b"MSH|^~\\&|LAB|")
    assert looks_like_hl7(b"\xef\xbb\xbfMSH|^~\\&|LAB|")  # byte-order mark
    assert looks_like_hl7(b"\x0bMSH|^~\\&|LAB|")  # MLLP start block
    assert looks_like_hl7(b"\r\n\r\nFHS|^~\\&|")  # batch header after blank lines
    assert looks_like_hl7(b"MSH!@~\\&!LAB")  # other separators
    assert not looks_like_hl7(b"MSH,Test,Result\n")  # a CSV whose first header is MSH
    assert not looks_like_hl7(b"MSH|Test|Result\n")  # pipe-separated CSV, header MSH
    assert not looks_like_hl7(b"Test,Result\nB12,250\n")
    assert not looks_like_hl7(b'{"resourceType": "Bundle"}')
    assert not looks_like_hl7(b"MSH")


def test_line_ends_of_every_kind_and_chunk_boundaries_give_the_same_lines() -> None:
    data = b"\x0bMSH|a\rPID|b\nOBR|c\r\nOBX|d\r\n\r\x1c\rOBX|e"
    expected = [
        Line(1, b"MSH|a"),
        Line(2, b"PID|b"),
        Line(3, b"OBR|c"),
        Line(4, b"OBX|d"),
        Line(7, b"OBX|e"),
    ]
    for cut in range(len(data) + 1):
        assert list(lines([data[:cut], data[cut:]], 1000)) == expected, cut
    assert list(lines([bytes([b]) for b in data], 1000)) == expected


def test_a_line_over_the_cap_is_reported_not_held() -> None:
    data = b"MSH|x\rOBX|" + b"9" * 50 + b"\rOBX|ok\r"
    assert list(lines([data[i : i + 7] for i in range(0, len(data), 7)], 20)) == [
        Line(1, b"MSH|x"),
        Line(2, None, b"OBX"),
        Line(3, b"OBX|ok"),
    ]


def test_escape_sequences() -> None:
    assert unescape(r"0.70\T\1.00", DEFAULT) == "0.70&1.00"
    assert unescape(r"a\F\b\S\c\R\d\E\e", DEFAULT) == "a|b^c~d\\e"
    assert unescape(r"\XC2B5\g/L", DEFAULT) == "µg/L"
    assert unescape(r"line\.br\next", DEFAULT) == "line next"
    assert unescape(r"\H\bold\N\ text", DEFAULT) == "bold text"
    assert unescape(r"kept \Z99\ as is", DEFAULT) == r"kept \Z99\ as is"
    assert unescape("unterminated \\F", DEFAULT) == "unterminated \\F"
    other = Separators("!", "@", "~", "$", "&")
    assert unescape("a$F$b$S$c", other) == "a!b@c"


def test_hl7_dates() -> None:
    assert hl7_date("20250314") == ("2025-03-14", None)
    assert hl7_date("202503140830") == ("2025-03-14", None)
    assert hl7_date("20250314083000.1234-0500") == ("2025-03-14", None)
    assert hl7_date("") == (None, None)
    assert hl7_date("202503")[0] == "2025-03"
    assert "gives no day" in (hl7_date("202503")[1] or "")
    assert hl7_date("20250230")[0] is None  # 30 February
    assert hl7_date("14/03/2025")[0] is None


def test_separators_come_from_msh() -> None:
    assert read_separators("MSH|^~\\&|LAB") == DEFAULT
    assert read_separators("MSH|^~\\&#|LAB") == DEFAULT  # 2.7+: truncation character
    assert read_separators("MSH!@~$&!LAB") == Separators("!", "@", "~", "$", "&")
    assert isinstance(read_separators("MSH||LAB"), str)
    assert isinstance(read_separators("MSH|^^\\&|"), str)  # not distinct
    assert isinstance(read_separators("MSH|A~\\&|"), str)


# ------------------------------------------------------------------ end to end


def test_version_2_3_with_cr_line_ends() -> None:
    records, stderr, code = scan(str(V23))
    assert code == 3  # an error record (the pending magnesium)
    got = by_column(records)
    b12 = got["message 1, segment 5 (OBX 1)"]
    assert (b12["patient"], b12["date"], b12["sex"]) == ("W-5521", "2024-01-05", "female")
    assert b12["age"] == 58.73  # born 1965-04-12, collected 2024-01-05 (OBR-7)
    assert (b12["analyte"], b12["comparator"], b12["value"]) == ("b12", "<", 150.0)
    assert b12["flag"] == "deficient"
    assert (b12["lab_range"], b12["lab_flag"], b12["line"]) == ("200-900", "L", 5)
    vitamin_d = got["message 1, segment 7 (OBX 3)"]
    assert vitamin_d["unit"] == "nmol/L" and vitamin_d["value"] == 18.0293  # 45 nmol/L
    hgb = got["message 1, segment 8 (OBX 4)"]
    assert (hgb["status"], hgb["reason"]) == ("skipped", "not a test b12check covers")
    magnesium = got["message 1, segment 9 (OBX 5)"]
    assert (magnesium["status"], magnesium["reason"]) == ("error", "result pending")
    tsat = got["message 2, segment 4 (OBX 1)"]
    assert (tsat["patient"], tsat["sex"], tsat["analyte"]) == ("W-7788", None, "tsat")
    assert f"{V23}:9:message 1, segment 9 (OBX 5): result pending" in stderr


def test_version_2_5_1_with_crlf_escapes_statuses_and_a_broken_obx() -> None:
    records, _, _ = scan(str(V251), "--notes", "full")
    got = by_column(records)
    b12 = got["message 1, segment 5 (OBX 1)"]
    assert (b12["patient"], b12["unit"], b12["flag"]) == ("MRN-3141", "pg/mL", "borderline")
    assert any(n["kind"] == "lab_disagreement" for n in b12["notes"])  # lab range says normal
    vitamin_d = got["message 1, segment 6 (OBX 2)"]
    assert (vitamin_d["value_text"], vitamin_d["comparator"], vitamin_d["value"]) == (
        "<4",
        "<",
        4.0,
    )
    assert (vitamin_d["flag"], vitamin_d["lab_flag"]) == ("deficient", "LL")
    ferritin = got["message 1, segment 7 (OBX 3)"]
    assert (ferritin["unit"], ferritin["comparator"], ferritin["lab_flag"]) == ("µg/L", ">", "H")
    magnesium = got["message 1, segment 8 (OBX 4)"]  # local code, LOINC as the alternate
    assert (magnesium["analyte"], magnesium["label"]) == ("magnesium", "Magnesium, serum")
    iron = got["message 1, segment 9 (OBX 5)"]
    assert iron["status"] == "skipped" and "wrong (OBX-11 W)" in iron["reason"]
    tsat = got["message 1, segment 10 (OBX 6)"]
    assert tsat["label"] == "Iron saturation & index"  # \T\
    assert any("preliminary" in w for w in tsat["warnings"])
    broken = got["message 1, segment 11 (OBX 7)"]
    assert broken["status"] == "error" and broken["value"] is None
    assert "line break inside the OBX segment: it goes on at line 12" in broken["reason"]
    homocysteine = got["message 1, segment 12 (OBX 8)"]  # read on after the broken one
    assert (homocysteine["date"], homocysteine["flag"]) == ("2025-03-15", "high")  # OBX-14
    coded = got["message 1, segment 13 (OBX 9)"]
    assert coded["status"] == "skipped"
    cancelled = got["message 1, segment 14 (OBX 10)"]
    assert cancelled["status"] == "skipped" and "(OBX-11 X)" in cancelled["reason"]
    mma = got["message 1, segment 15 (OBX 11)"]
    assert (mma["status"], mma["reason"]) == ("error", "a range (0.2-0.4), not one value")
    deleted = got["message 1, segment 16 (OBX 12)"]
    assert deleted["status"] == "skipped" and "deleted" in deleted["reason"]


def test_version_2_8_mllp_framed_with_lf_and_its_own_separators() -> None:
    records, _, code = scan(str(V28))
    assert code == 1  # flagged results, no errors
    got = by_column(records)
    b12 = got["message 1, segment 4 (OBX 1)"]
    assert (b12["patient"], b12["sex"], b12["value"], b12["flag"]) == (
        "NHS-900",
        "male",
        145.0,
        "deficient",
    )
    assert b12["comparator"] is None  # SN '=^145'
    vitamin_d = got["message 2, segment 4 (OBX 1)"]  # fields '!', components '@'
    assert (vitamin_d["patient"], vitamin_d["comparator"], vitamin_d["unit"]) == (
        "NHS-901",
        ">",
        "nmol/L",
    )
    magnesium = got["message 2, segment 5 (OBX 2)"]  # ST with the unit in the text
    assert (magnesium["value"], magnesium["unit"], magnesium["line"]) == (0.75, "mmol/L", 11)


def _obx_segments(path: Path) -> int:
    """OBX segments in a file, counted here on their own: lines starting with OBX and a
    field separator, after MLLP bytes are taken off."""
    text = path.read_bytes().decode()
    found = [s.strip("\x0b\x1c") for s in re.split(r"\r\n|\r|\n", text)]
    return sum(1 for s in found if re.match(r"OBX\W", s))


def test_nothing_is_lost_every_obx_is_one_record() -> None:
    for path, counts in (
        (V23, {"results": 4, "errors": 1, "skipped": 1}),
        (V251, {"results": 6, "errors": 2, "skipped": 4}),
        (V28, {"results": 4, "errors": 0, "skipped": 0}),
    ):
        result = invoke("scan", str(path), "--format", "json")
        data = json.loads(result.stdout)
        summary = data["summary"]
        assert len(data["records"]) == _obx_segments(path) == sum(counts.values())
        assert {k: summary[k] for k in counts} == counts, path.name
        assert summary["files"][str(path)]["rows"] == _obx_segments(path)


def test_lab_ranges_prefer_reads_obx_7() -> None:
    records, _, _ = scan(str(V251), "--lab-ranges", "prefer")
    b12 = by_column(records)["message 1, segment 5 (OBX 1)"]
    assert b12["flag"] == "normal"  # 310 within the lab's 232-1245
    assert "the lab's reference range" in b12["band_source"]


def test_several_files_hl7_and_csv_together(tmp_path: Path) -> None:
    csv = tmp_path / "lab.csv"
    csv.write_text("Test,Result,Unit\nB12,250,pg/mL\n", encoding="utf-8")
    records, _, _ = scan(str(V28), str(csv))
    assert [r["file"] for r in records] == [str(V28)] * 4 + [str(csv)]
    assert records[-1]["column"] == "Result" and records[-1]["line"] == 2
    assert "locator" not in records[-1]  # a CSV row's record keeps its shape
    table = invoke("scan", str(V28), str(csv), "--format", "csv").stdout.splitlines()
    assert table[1].startswith(f'result,{V28},4,"message 1, segment 4 (OBX 1)",NHS-900,')
    assert table[-1].startswith(f"result,{csv},2,Result,")


def test_stdin_in_a_real_process_gives_the_same_records() -> None:
    from_file = [
        json.loads(x) for x in invoke("scan", str(V251), "--format", "ndjson").stdout.splitlines()
    ]
    done = run_cli(["scan", "-", "--format", "ndjson"], input=V251.read_bytes())
    from_stdin = [json.loads(x) for x in done.stdout.decode().splitlines()]
    assert done.returncode == 3
    assert [{**r, "file": "-"} for r in from_file] == from_stdin


# ------------------------------------------------------------------ problems


def test_problem_segments_are_errors_and_reading_goes_on() -> None:
    text = "\r".join(
        [
            r"FHS|^~\&|LAB",  # a batch file header: not data
            "PID|1||EARLY",  # before any MSH
            "MSH|^^|LAB",  # separators not distinct: its OBX cannot be read
            "OBX|1|NM|2132-9^B12^LN||250|pg/mL",
            r"MSH|^~\&|LAB|||||ORU^R01|2|P|2.5",
            "PID|1||P9|||||F",
            "OBX|1|NM|2132-9^B12^LN||250|pg/mL|||||F",
            "obx|2|NM|2132-9^B12^LN||250|pg/mL",  # not a segment name: goes with OBX 1
            "OBX|2|CE|2132-9^B12^LN||POS^Positive|||||F",
            "OBX|3|NM|2132-9^B12^LN||250~300|pg/mL|||||F",
            "OBX|4|SN|2132-9^B12^LN||<>^250|pg/mL|||||F",
            "OBX|5|NM|2132-9^B12^LN||320|pg/mL|||||Q",
            "BHS|^^|LAB",  # a batch header with unusable separators
        ]
    )
    records, _, code = scan("-", input=text)
    assert code == 3
    reasons = [(r["locator"], r["status"], r["reason"]) for r in records]
    assert reasons[0] == (
        "before the first message",
        "error",
        "before any MSH segment, so not part of a message",
    )
    assert reasons[1][:2] == ("message 1, segment 1", "error")
    assert "MSH cannot be read" in reasons[1][2]
    assert reasons[2] == (
        "message 1, segment 2 (OBX 1)",
        "error",
        "the message's MSH could not be read",
    )
    assert reasons[3][0] == "message 2, segment 3 (OBX 1)"
    assert "goes on at line 8" in reasons[3][2]
    assert reasons[4] == (
        "message 2, segment 4 (OBX 2)",
        "error",
        "a value of type CE (OBX-2), not a number",
    )
    assert reasons[5] == ("message 2, segment 5 (OBX 3)", "error", "OBX-5 holds several values")
    assert reasons[6][2] == "the comparator '<>' (SN) is not one b12check reads"
    last = records[7]
    assert last["status"] == "result" and last["warnings"] == [
        "result status 'Q' (OBX-11) not understood"
    ]
    assert (records[8]["locator"], records[8]["status"]) == ("BHS", "error")
    assert len(records) == 9


def test_character_set_from_msh_18_and_undecodable_segments() -> None:
    header = r"MSH|^~\&|LAB||||||ORU^R01|1|P|2.5||||||"
    obx = b"OBX|1|NM|2276-4^Ferritin^LN||95|\xb5g/L|||||F"
    latin = (header + "8859/1\r").encode() + obx + b"\r"
    done = run_cli(["scan", "-", "--format", "ndjson"], input=latin)
    record = json.loads(done.stdout)
    assert (record["unit"], record["flag"]) == ("µg/L", "normal")
    unnamed = (header + "\r").encode() + obx + b"\r"
    done = run_cli(["scan", "-", "--format", "ndjson"], input=unnamed)
    record = json.loads(done.stdout)
    assert record["status"] == "error" and "not valid utf-8 at byte 33" in record["reason"]
    assert record["locator"] == "message 1, segment 2 (OBX 1)"


# ------------------------------------------------------------------ property


def _messages() -> list[list[str]]:
    """The segments of every message of the fixtures, without line ends or framing."""
    out: list[list[str]] = []
    for path in (V23, V251, V28):
        for segment in re.split(r"\r\n|\r|\n", path.read_bytes().decode()):
            segment = segment.strip("\x0b\x1c")
            if segment.startswith("MSH"):
                out.append([])
            if segment:
                out[-1].append(segment)
    return out


MESSAGES = _messages()


def _read(reference: Reference, data: bytes, cuts: list[int]) -> list[dict[str, Any]]:
    chunks, start = [], 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}):
        chunks.append(data[start:cut])
        start = cut
    chunks.append(data[start:])
    reader = Hl7Reader(
        Settings(reference), HeaderIndex(reference.headers), "in.hl7", None, lambda: None
    )
    out = []
    for record in reader.records(lines(iter(chunks), 1 << 20)):
        as_dict = record.as_dict()
        # framing and blank lines move the line numbers, and nothing else
        del as_dict["line"]
        as_dict["reason"] = re.sub(r"line [0-9]+", "line N", as_dict["reason"] or "")
        out.append(as_dict)
    return out


@settings(max_examples=50, deadline=None)
@given(
    eols=st.lists(st.sampled_from(["\r", "\n", "\r\n"]), min_size=1, max_size=8),
    framed=st.booleans(),
    blank=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
def test_any_line_ends_and_framing_give_the_same_records(
    reference: Reference, eols: list[str], framed: bool, blank: bool, cuts: list[int]
) -> None:
    plain = "".join("\r".join(m) + "\r" for m in MESSAGES).encode()
    expected = _read(reference, plain, [])
    parts: list[str] = []
    count = 0
    for message in MESSAGES:
        text = ""
        for segment in message:
            text += segment + eols[count % len(eols)]
            count += 1
            if blank and count % 5 == 0:
                text += eols[0]
        parts.append(f"\x0b{text}\x1c\r" if framed else text)
    assert _read(reference, "".join(parts).encode(), cuts) == expected


def test_the_readme_example() -> None:
    path = Path(__file__).parents[1] / "examples" / "oru-r01.hl7"
    records, _, code = scan(str(path))
    assert code == 1
    assert [(r["label"], r["flag"]) for r in records] == [
        ("Vitamin B12", "deficient"),
        ("Ferritin", "deficient"),
        ("25-OH Vitamin D", "normal"),
        ("Hemoglobin", None),
    ]
    assert records[2]["warnings"] == ["preliminary result (OBX-11 P): the final result may differ"]


def test_the_readme_shows_what_scan_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).parents[1]
    monkeypatch.chdir(root)  # the README names the file from the repository's root
    text = (root / "README.md").read_text(encoding="utf-8")
    intro = "`b12check scan examples/oru-r01.hl7 --notes none` at 80 columns:\n\n```\n"
    shown = text.split(intro, 1)[1].split("```", 1)[0]
    result = invoke("scan", "examples/oru-r01.hl7", "--notes", "none", env={"COLUMNS": "80"})
    printed = "".join(line.rstrip() + "\n" for line in result.stdout.splitlines())
    assert printed == shown


def test_obx_3_is_named_as_csv_tests_are() -> None:
    text = "\r".join(
        [
            r"MSH|^~\&|LAB||||||ORU^R01|1|P|2.5",
            "PID|1||P1|||||F",
            "OBX|1|NM|1990-1^Vitamin D3^LN||30|ng/mL|||||F",  # a code b12check refuses
            "OBX|2|NM|VB12^^L||250|pg/mL|||||F",  # a local code that is a known name
            "OBX|3|NM|X1^Transferrinsättigung^L||30|%|||||F",  # a name in another language
            "OBX|4|NM|9999-9^Ferritin^LN||40|ug/L|||||F",  # an unknown LOINC: the text
        ]
    )
    records, _, _ = scan("-", input=text)
    first = records[0]
    assert first["status"] == "error" and "cholecalciferol" in first["reason"]
    assert [r["analyte"] for r in records[1:]] == ["b12", "tsat", "ferritin"]


def test_a_segment_over_the_cap_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from b12check.readers import hl7_records

    monkeypatch.setattr(hl7_records, "SEGMENT_CAP", 200)
    text = "\r".join(
        [
            r"MSH|^~\&|LAB||||||ORU^R01|1|P|2.5",
            "OBX|1|ST|2132-9^B12^LN||" + "9" * 300 + "|pg/mL|||||F",
            "OBX|2|NM|2132-9^B12^LN||250|pg/mL|||||F",
        ]
    )
    records, _, _ = scan("-", input=text)
    assert [(r["status"], r["line"]) for r in records] == [("error", 2), ("result", 3)]
    assert "segment over" in records[0]["reason"]
    assert records[0]["locator"] == "message 1, segment 2 (OBX 1)"
    assert records[1]["locator"] == "message 1, segment 3 (OBX 2)"


def test_encoding_option_wins_over_msh_18() -> None:
    header = r"MSH|^~\&|LAB||||||ORU^R01|1|P|2.5||||||UNICODE UTF-8"
    data = (header + "\r").encode() + b"OBX|1|NM|2276-4^Ferritin^LN||95|\xb5g/L|||||F\r"
    done = run_cli(["scan", "-", "--format", "ndjson", "--encoding", "latin-1"], input=data)
    record = json.loads(done.stdout)
    assert (record["unit"], record["flag"]) == ("µg/L", "normal")
