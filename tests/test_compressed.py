"""Compressed input: gzip, bzip2, xz and zstd files (and pipes) read as their plain bytes."""

import bz2
import gzip
import io
import json
import lzma
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.readers import compressed, text_stream
from b12check.readers.compressed import Damaged, compression_of, inflate, read_head
from tests.conftest import EXAMPLES, REPO, invoke, run_cli

CODECS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}
FHIR = REPO / "tests" / "fixtures" / "fhir"
HL7 = REPO / "tests" / "fixtures" / "hl7"

HEADER = "patient,date,test,result,unit\n"
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(["2024-01-05", "2024-03-09", "2025-02-01"]),
        st.sampled_from(["B12", "Ferritin", "Vitamin D", "TSH", "Magnesium"]),
        st.sampled_from(["150", "250", "<5", "12", "0.6", "abc", "900", "45"]),
        st.sampled_from(["pg/mL", "ng/mL", "nmol/L", "mmol/L", ""]),
    ),
    min_size=1,
    max_size=40,
)


def pack_in_blocks(codec: str, data: bytes) -> bytes:
    """``data`` compressed; bzip2 in its smallest blocks (100 kB), so that a cut file still
    holds whole blocks before the cut (a bzip2 block is decoded only once complete)."""
    return bz2.compress(data, 1) if codec == "bzip2" else CODECS[codec](data)


def csv_text(rows: list[tuple[str, ...]]) -> bytes:
    return (HEADER + "".join(",".join(row) + "\n" for row in rows)).encode()


def scan_bytes(path: Path, data: bytes, *args: str) -> tuple[bytes, bytes, int]:
    """Write ``data`` to ``path`` and scan it: stdout, stderr, exit status."""
    path.write_bytes(data)
    result = invoke("scan", str(path), *args)
    return result.stdout_bytes, result.stderr_bytes, result.exit_code


# ------------------------------------------------------------------ the decompressor alone


@pytest.mark.parametrize("codec", CODECS)
def test_magic_bytes_name_the_codec(codec: str) -> None:
    assert compression_of(CODECS[codec](b"a,b\n1,2\n")) == codec
    assert compression_of(CODECS[codec](b"")) == codec  # an empty archive too


@pytest.mark.parametrize("text", [b"patient,test\n", b"BZh is a word,x\n", b"\x1f\x8bnot", b""])
def test_plain_text_is_not_taken_for_an_archive(text: bytes) -> None:
    assert compression_of(text) is None


@settings(max_examples=60, deadline=None)
@given(
    codec=st.sampled_from(sorted(CODECS)),
    parts=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    chunk=st.sampled_from([7, 64, 1000, 1 << 16]),
)
def test_every_member_comes_out_whole(codec: str, parts: list[bytes], chunk: int) -> None:
    """Any bytes, in one member or several in a row (cat a.gz b.gz), read in any chunk
    size, come out exactly as they went in."""
    packed = b"".join(CODECS[codec](part) for part in parts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text_stream, "CHUNK", chunk)
        patch.setattr(text_stream, "PREFIX", chunk)
        raw = io.BytesIO(packed)
        head, at_eof = text_stream.read_prefix(raw)
        plain = inflate(codec, head, at_eof, raw)
        out = bytearray()
        while data := plain.read(chunk):
            out += data
    assert bytes(out) == b"".join(parts)


@pytest.mark.parametrize("codec", CODECS)
def test_a_truncated_archive_gives_its_bytes_then_says_it_is_damaged(codec: str) -> None:
    data = b"".join(b"P%d,b12,%d,pg/mL\n" % (n, n) for n in range(20000))
    packed = pack_in_blocks(codec, data)
    cut = packed[: len(packed) * 2 // 3]
    raw = io.BytesIO(cut)
    head, at_eof = text_stream.read_prefix(raw)
    plain = inflate(codec, head, at_eof, raw)
    first, _ = read_head(plain)
    got = bytearray(first)
    with pytest.raises(Damaged, match=f"the {codec} archive is damaged"):
        while chunk := plain.read(1 << 16):
            got += chunk
    assert got and data.startswith(bytes(got))
    with pytest.raises(Damaged):  # and it stays damaged
        plain.read(10)


# ------------------------------------------------------------------ scan


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, codec=st.sampled_from(sorted(CODECS)), fmt=st.sampled_from(["csv", "json"]))
def test_a_compressed_file_scans_as_the_plain_file(
    tmp_path: Path, rows: list[tuple[str, ...]], codec: str, fmt: str
) -> None:
    """Same name, same bytes out: records, summary, diagnostics and exit status."""
    path = tmp_path / "export.csv"
    plain = csv_text(rows)
    expected = scan_bytes(path, plain, "--format", fmt)
    assert scan_bytes(path, CODECS[codec](plain), "--format", fmt) == expected


@pytest.mark.parametrize("codec", CODECS)
def test_a_compressed_pipe_is_read_like_the_plain_one(codec: str) -> None:
    """Told by its magic bytes on stdin, where there is no name to go by."""
    plain = (EXAMPLES / "us-portal-export.csv").read_bytes()
    expected = run_cli(["scan", "-", "--format", "ndjson"], input=plain)
    got = run_cli(["scan", "-", "--format", "ndjson"], input=CODECS[codec](plain))
    assert got.stdout == expected.stdout and got.stdout
    assert (got.stderr, got.returncode) == (expected.stderr, expected.returncode)


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    first = HEADER + "P1,2024-01-05,B12,250,pg/mL\n"
    second = "P2,2024-01-06,B12,150,pg/mL\n"
    path = tmp_path / "two.csv.gz"
    path.write_bytes(gzip.compress(first.encode()) + gzip.compress(second.encode()))
    result = invoke("scan", str(path), "--format", "ndjson")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["patient"], r["value"]) for r in lines] == [
        (2, "P1", 250),
        (3, "P2", 150),
    ]


@pytest.mark.parametrize("codec", CODECS)
def test_a_truncated_archive_keeps_the_records_before_the_damage(
    tmp_path: Path, codec: str
) -> None:
    rows = "".join(f"P{n},2024-01-05,B12,{200 + n % 300},pg/mL\n" for n in range(30000))
    packed = pack_in_blocks(codec, (HEADER + rows).encode())
    path = tmp_path / "cut.csv"
    path.write_bytes(packed[: len(packed) // 2])
    result = invoke("scan", str(path), "--format", "ndjson")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    *results, last = records
    assert len(results) > 1000 and {r["status"] for r in results} == {"result"}
    assert [r["line"] for r in results] == list(range(2, len(results) + 2))  # none lost
    assert last["status"] == "error" and last["file"] == str(path)
    assert f"the {codec} archive is damaged" in last["reason"]
    assert result.exit_code == 3
    assert f"{path}:" in result.stderr and "damaged" in result.stderr


def test_a_corrupt_gzip_says_it_is_damaged(tmp_path: Path) -> None:
    rows = "".join(f"P{n},2024-01-05,B12,{200 + n % 300},pg/mL\n" for n in range(30000))
    packed = bytearray(gzip.compress((HEADER + rows).encode()))
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)  # zeros over the deflate data
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(bytes(packed))
    result = invoke("scan", str(path), "--format", "ndjson")
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["status"] == "error" and "gzip archive is damaged" in last["reason"]
    assert result.exit_code == 3


def test_a_damaged_header_is_a_whole_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 40)
    result = invoke("scan", str(path), "--format", "ndjson")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "error" and "gzip archive is damaged" in record["reason"]
    assert "no rows of this file were read" in record["reason"]
    assert result.exit_code == 3


@pytest.mark.parametrize("codec", CODECS)
def test_an_empty_archive_is_an_empty_file(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(CODECS[codec](b""))
    result = invoke("scan", str(path), "--format", "ndjson")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "error" and record["reason"].startswith("empty file")
    assert f"the {codec} archive holds no data" in record["reason"]
    assert result.exit_code == 3


def test_a_tar_gz_is_refused_clearly(tmp_path: Path) -> None:
    member = tmp_path / "export.csv"
    member.write_bytes(csv_text([("P1", "2024-01-05", "B12", "250", "pg/mL")]))
    path = tmp_path / "exports.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(member, arcname="export.csv")
    result = invoke("scan", str(path), "--format", "ndjson")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert "tar archive" in record["reason"] and "extract" in record["reason"]
    assert "gzip-compressed" in record["reason"]
    assert result.exit_code == 3


@pytest.mark.parametrize(
    "source", [FHIR / "Observation.ndjson", FHIR / "r4-searchset.json", HL7 / "oru-v2.5.1-crlf.hl7"]
)
def test_fhir_and_hl7_inside_gzip_read_as_plain(tmp_path: Path, source: Path) -> None:
    path = tmp_path / source.name
    plain = source.read_bytes()
    expected = scan_bytes(path, plain, "--format", "ndjson")
    assert b'"status": "result"' in expected[0]  # (the plain file reads)
    assert scan_bytes(path, gzip.compress(plain), "--format", "ndjson") == expected


def test_zstd_without_its_library_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard now fails
    path = tmp_path / "export.csv.zst"
    path.write_bytes(CODECS["zstd"](csv_text([("P1", "2024-01-05", "B12", "250", "pg/mL")])))
    result = invoke("scan", str(path), "--format", "ndjson")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert compressed.ZSTD_INSTALL == "pip install 'b12check[zstd]'"
    assert "pip install 'b12check[zstd]'" in record["reason"]
    assert result.exit_code == 3


def test_a_plain_file_named_gz_is_read_as_plain(tmp_path: Path) -> None:
    path = tmp_path / "export.csv.gz"
    plain = csv_text([("P1", "2024-01-05", "B12", "250", "pg/mL")])
    out, _, code = scan_bytes(path, plain, "--format", "ndjson")
    record = json.loads(out)
    assert code != 3 and (record["status"], record["value"]) == ("result", 250)


@pytest.mark.parametrize("codec", CODECS)
def test_memory_stays_bounded_on_the_most_compressible_input(codec: str) -> None:
    """16 MiB of one byte, a few kB compressed: read through in pieces, never whole. (xz's
    decoder also holds its dictionary: 8 MiB at the default preset.)"""
    import tracemalloc

    packed = CODECS[codec](b"7" * (16 << 20))
    raw = io.BytesIO(packed)
    head, at_eof = text_stream.read_prefix(raw)
    tracemalloc.start()
    try:
        plain = inflate(codec, head, at_eof, raw)
        total = 0
        while data := plain.read(1 << 16):
            total += len(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 16 << 20
    dictionary = 8 << 20 if codec == "xz" else 0
    assert peak < dictionary + (6 << 20), f"{peak} bytes at the peak"
