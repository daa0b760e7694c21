"""Tests for the low-level CSV reading layer (b12check.readers.source)."""

from __future__ import annotations

import csv
import errno
import inspect
import io
import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from b12check.readers import text_stream
from b12check.readers.source import DELIMITERS, FIELD_LIMIT, FileProblem, Row, Source, open_source

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

BAD = Path(__file__).parent / "fixtures" / "bad"
MIB = 1 << 20


def write(tmp_path: Path, data: bytes, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def read(
    path: str, *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[Source, list[Row]]:
    src = open_source(path, encoding=encoding, delimiter=delimiter)
    try:
        return src, list(src.rows())
    finally:
        src.close()


def lines_and_cells(rows: list[Row]) -> list[tuple[int, list[str]]]:
    return [(r.line, r.cells) for r in rows]


class ChunkyStream(io.RawIOBase):
    """A non-seekable byte stream that hands out at most ``step`` bytes per read, produced
    lazily from ``parts``; counts what was read and can fail after ``fail_after`` bytes."""

    def __init__(self, parts: Iterator[bytes], step: int = 7, fail_after: int | None = None):
        self._parts = parts
        self._buf = b""
        self._step = step
        self._fail_after = fail_after
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._fail_after is not None and self.bytes_read >= self._fail_after:
            raise OSError(errno.EIO, "Input/output error")
        while not self._buf:
            try:
                self._buf = next(self._parts)
            except StopIteration:
                return 0
        n = min(memoryview(buffer).nbytes, self._step, len(self._buf))
        memoryview(buffer).cast("B")[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        self.bytes_read += n
        return n


# ------------------------------------------------------------------------------- encodings


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"\xef\xbb\xbfpatient,value\r\nP1,500\r\n"))
    assert src.encoding == "utf-8-sig"
    assert src.warnings == []
    assert lines_and_cells(rows) == [(1, ["patient", "value"]), (2, ["P1", "500"])]


def test_utf16_le_bom_tab_separated(tmp_path: Path) -> None:
    text = "patient\tanalyte\tunit\r\nP1\tVitamin B12\tpg/mL\r\nP2\tFolat\tµg/L\r\n"
    src, rows = read(write(tmp_path, b"\xff\xfe" + text.encode("utf-16-le")))
    assert src.encoding == "utf-16"
    assert src.delimiter == "\t"
    assert lines_and_cells(rows) == [
        (1, ["patient", "analyte", "unit"]),
        (2, ["P1", "Vitamin B12", "pg/mL"]),
        (3, ["P2", "Folat", "µg/L"]),
    ]
    assert all(r.problem is None for r in rows)


@pytest.mark.parametrize(
    ("bom", "codec", "expected"),
    [
        (b"\xfe\xff", "utf-16-be", "utf-16"),
        (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32"),
    ],
)
def test_other_unicode_boms(tmp_path: Path, bom: bytes, codec: str, expected: str) -> None:
    src, rows = read(write(tmp_path, bom + "a;b\n1;µ\n".encode(codec)))
    assert (src.encoding, src.delimiter) == (expected, ";")
    assert lines_and_cells(rows) == [(1, ["a", "b"]), (2, ["1", "µ"])]


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, "a,b\n1,2\n".encode("utf-16-le")))
    assert src.encoding == "utf-16-le"
    assert any("UTF-16" in w for w in src.warnings)
    assert lines_and_cells(rows) == [(1, ["a", "b"]), (2, ["1", "2"])]


def test_cp1252_fallback_with_warning(tmp_path: Path) -> None:
    data = b"analyte,value,unit\nVitamin D,30,\xb5g/L\nEisens\xe4ttigung,30,%\n"
    src, rows = read(write(tmp_path, data))
    assert src.encoding == "cp1252"
    assert len(src.warnings) == 1
    warning = src.warnings[0]
    assert warning.startswith("not valid UTF-8; read as cp1252")
    assert "0xB5" in warning and "offset 32" in warning and "line 2" in warning
    assert lines_and_cells(rows) == [
        (1, ["analyte", "value", "unit"]),
        (2, ["Vitamin D", "30", "µg/L"]),
        (3, ["Eisensättigung", "30", "%"]),
    ]


def test_forced_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\nµ,é\n".encode())
    src, rows = read(path, encoding="cp1252")  # forced: no sniffing, mojibake expected
    assert src.encoding == "cp1252"
    assert src.warnings == []
    assert rows[1].cells == ["Âµ", "Ã©"]
    src, rows = read(write(tmp_path, "a,b\nµ,é\n".encode("latin-1"), "l1.csv"), encoding="latin-1")
    assert src.encoding == "iso8859-1"
    assert rows[1].cells == ["µ", "é"]


def test_forced_encoding_that_cannot_decode_is_a_file_problem(tmp_path: Path) -> None:
    path = write(tmp_path, b"a,b\n1,2\n3,\xb5g\n")
    with pytest.raises(FileProblem) as info:
        open_source(path, encoding="utf-8")
    assert "cannot decode as utf-8" in str(info.value)
    assert "0xB5" in str(info.value)
    assert info.value.line == 3


def test_unknown_encoding_is_a_file_problem(tmp_path: Path) -> None:
    path = write(tmp_path, b"a,b\n")
    with pytest.raises(FileProblem, match="unknown encoding 'klingon'"):
        open_source(path, encoding="klingon")


def test_multibyte_char_cut_at_prefix_end_is_not_a_decoding_error(tmp_path: Path) -> None:
    head = b"a,b\n"
    data = head + b"x,1\n" * 16000
    pad = 65535 - len(data) - 2  # "µ" = C2 B5 straddles the end of the first 64 KiB
    data += b"y," + b"z" * pad + "µ\n".encode() + b"last,1\n"
    assert data[65535] == 0xC2
    src, rows = read(write(tmp_path, data))
    assert src.encoding == "utf-8"
    assert src.warnings == []
    assert rows[-2].cells == ["y", "z" * pad + "µ"]
    assert rows[-1] == Row(len(rows), ["last", "1"])


def test_invalid_utf8_after_the_first_chunk_stops_with_a_row_problem(tmp_path: Path) -> None:
    rows_before = [f"P{i:05d},2025-01-02,Vitamin B12,250,pg/mL\n".encode() for i in range(2000)]
    head = b"patient,date,analyte,value,unit\n" + b"".join(rows_before)
    assert len(head) > 65536
    bad_line = b"P99999,2025-01-02,Vitamin D,30,\xb5g/L\n"
    data = head + bad_line + b"P1,2025-01-03,Vitamin B12,300,pg/mL\r\nP2,x,y,z,w"
    src, rows = read(write(tmp_path, data))
    assert src.encoding == "utf-8"
    assert len(rows) == 2002  # header, 2000 rows, the problem
    assert rows[2000] == Row(2001, ["P01999", "2025-01-02", "Vitamin B12", "250", "pg/mL"])
    offset = len(head) + bad_line.index(b"\xb5")
    assert rows[-1] == Row(
        2002,
        [],
        f"not valid UTF-8 at byte offset {offset} (0xB5); rerun with --encoding cp1252; "
        "lines 2002-2004 not read",
    )


def test_invalid_utf8_inside_a_multiline_record(tmp_path: Path) -> None:
    data = b'a,b\n1,2\n3,"note\nwith \xb5 here"\n5,6\n'
    with mock.patch.object(text_stream, "PREFIX", 8), mock.patch.object(text_stream, "CHUNK", 5):
        src, rows = read(write(tmp_path, data))
    assert lines_and_cells(rows[:2]) == [(1, ["a", "b"]), (2, ["1", "2"])]
    assert rows[2].line == 3
    offset = data.index(b"\xb5")
    assert rows[2].problem == (
        f"not valid UTF-8 at byte offset {offset} (0xB5); "
        "rerun with --encoding cp1252; lines 3-5 not read"
    )
    assert len(rows) == 3


def test_read_error_while_streaming_becomes_a_row_problem() -> None:
    lines = (b"a,b\n" if i == 0 else b"1,2\n" for i in range(100_000))
    stream = ChunkyStream(lines, step=4096, fail_after=100_000)
    src = open_source("-", stdin=io.BufferedReader(stream))
    rows = list(src.rows())
    assert rows[-1].problem == "cannot read the rest of the file: Input/output error"
    assert rows[-1].line == len(rows)
    assert all(r.problem is None for r in rows[:-1])
    assert [r.line for r in rows[:-1]] == list(range(1, len(rows)))


# ----------------------------------------------------------------------------- line ends


def test_cr_only_line_ends(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"a,b\r1,2\r3,4\r"))
    assert lines_and_cells(rows) == [(1, ["a", "b"]), (2, ["1", "2"]), (3, ["3", "4"])]


def test_crlf_line_ends(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"a,b\r\n1,2\r\n3,4"))
    assert lines_and_cells(rows) == [(1, ["a", "b"]), (2, ["1", "2"]), (3, ["3", "4"])]


def test_mixed_line_ends_and_quoted_newline_keep_physical_line_numbers(tmp_path: Path) -> None:
    data = b'h1,h2\r\n1,"a\nb"\n2,x\r\n\r3,"c\r\nd\re"\n4,y'
    src, rows = read(write(tmp_path, data))
    assert lines_and_cells(rows) == [
        (1, ["h1", "h2"]),
        (2, ["1", "a\nb"]),  # lines 2-3
        (4, ["2", "x"]),
        # line 5 is blank (a lone CR)
        (6, ["3", "c\r\nd\re"]),  # lines 6-8
        (9, ["4", "y"]),
    ]


def test_crlf_split_across_chunks_counts_one_line(tmp_path: Path) -> None:
    data = b"a,b\r\n1,2\r\n3,4\r\n5,6\r\n"
    for chunk in range(1, 8):
        with (
            mock.patch.object(text_stream, "PREFIX", chunk),
            mock.patch.object(text_stream, "CHUNK", chunk),
        ):
            src, rows = read(write(tmp_path, data), delimiter=",")
        assert [r.line for r in rows] == [1, 2, 3, 4], chunk


# ----------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", DELIMITERS)
def test_delimiter_is_sniffed_past_two_preamble_lines(tmp_path: Path, delimiter: str) -> None:
    table = [["patient", "analyte", "value", "unit"], ["P1", "Vitamin B12", "250.5", "pg/mL"]]
    table += [["P2", "Ferritin", "30", "ng/mL"], ["P3", "Magnesium", "0.92", "mmol/L"]]
    body = "".join(delimiter.join(r) + "\n" for r in table)
    text = "Lab results export - Example Clinic\nPrinted 2025-01-02 by the lab\n" + body
    src, rows = read(write(tmp_path, text.encode()))
    assert src.delimiter == delimiter
    assert lines_and_cells(rows) == [
        (1, ["Lab results export - Example Clinic"]),
        (2, ["Printed 2025-01-02 by the lab"]),
        *[(3 + i, r) for i, r in enumerate(table)],
    ]


def test_semicolon_with_decimal_commas_is_sniffed_as_semicolon(tmp_path: Path) -> None:
    text = "analyte;value;unit\nMagnesium;0,92;mmol/L\nVitamin D;62,5;nmol/L\nB12;500;pg/mL\n"
    src, rows = read(write(tmp_path, text.encode()))
    assert src.delimiter == ";"
    assert rows[1].cells == ["Magnesium", "0,92", "mmol/L"]


def test_sniffing_prefers_more_columns_on_a_tie(tmp_path: Path) -> None:
    # every line has one comma (2 columns) and two semicolons (3 columns)
    src, rows = read(write(tmp_path, b"a;b;c,d\n1;2;3,5\n4;5;6,5\n"))
    assert src.delimiter == ";"
    assert rows[1].cells == ["1", "2", "3,5"]


def test_explicit_delimiter_wins(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"a;b,c\n1;2,3\n"), delimiter=",")
    assert src.delimiter == ","
    assert rows[0].cells == ["a;b", "c"]


def test_invalid_delimiter_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="invalid delimiter"):
        open_source(write(tmp_path, b"a,b\n"), delimiter=";;")


def test_sep_line_sets_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"sep=|\r\na|b\r\n1,5|2\r\n3,5|4\r\n"))
    assert src.delimiter == "|"
    assert src.warnings == []
    assert lines_and_cells(rows) == [(2, ["a", "b"]), (3, ["1,5", "2"]), (4, ["3,5", "4"])]
    # an explicit delimiter still skips the sep= line
    src, rows = read(write(tmp_path, b"sep=;\na;b\n"), delimiter=",")
    assert lines_and_cells(rows) == [(2, ["a;b"])]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    data = b'a,b\n\n   \n,\n" ",""\r\n1,2\n\t , \n3,4\n\n'
    src, rows = read(write(tmp_path, data))
    assert lines_and_cells(rows) == [(1, ["a", "b"]), (6, ["1", "2"]), (8, ["3", "4"])]


# ------------------------------------------------------------------------------ row problems


def test_unterminated_quote_names_start_line_and_lines_not_read(tmp_path: Path) -> None:
    data = (
        b"id,date,analyte,value,unit\nP1,d,b12,250,pg/mL\n"
        b'P1,d,b12,"250,pg/mL\nP2,d,x,1,u\nP3,d,y,2,u\nP4,d,z,3,u\n'
    )
    src, rows = read(write(tmp_path, data))
    assert [r.line for r in rows] == [1, 2, 3]
    assert rows[-1] == Row(
        3, [], "unterminated quote starting at line 3; 3 lines after it not read"
    )


def test_unterminated_quote_on_the_last_line(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b'a,b\n1,"x'))
    assert rows[-1] == Row(
        2, [], "unterminated quote starting at line 2; 0 lines after it not read"
    )


def test_nul_byte_is_a_row_problem_and_cells_are_kept(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"a,b,c\n1,2,3\n4,5\x006,7\n8,9,10\n"))
    assert rows == [
        Row(1, ["a", "b", "c"]),
        Row(2, ["1", "2", "3"]),
        Row(3, ["4", "5\x006", "7"], "NUL byte in column 2"),
        Row(4, ["8", "9", "10"]),
    ]


def test_field_of_exactly_one_mib_is_fine(tmp_path: Path) -> None:
    big = "x" * FIELD_LIMIT
    src, rows = read(write(tmp_path, f"a,b\n1,{big}\n2,3\n".encode()))
    assert [r.problem for r in rows] == [None, None, None]
    assert rows[1].cells == ["1", big]


def test_field_over_one_mib_is_a_row_problem_and_reading_goes_on(tmp_path: Path) -> None:
    big = "y" * (FIELD_LIMIT + 1)
    data = f'id,value,notes\nP1,1,ok\nP2,2,"{big}"\nP3,3,"multi\nline"\nP4,4,\n'.encode()
    src, rows = read(write(tmp_path, data))
    assert [r.line for r in rows] == [1, 2, 3, 4, 6]
    assert rows[2].problem == "field over 1 MiB in column 3"
    assert rows[2].cells[:2] == ["P2", "2"] and len(rows[2].cells[2]) == FIELD_LIMIT + 1
    assert rows[3] == Row(4, ["P3", "3", "multi\nline"])
    assert rows[4] == Row(6, ["P4", "4", ""])


def test_multiline_field_over_one_mib_is_skipped_to_the_end_of_its_record(tmp_path: Path) -> None:
    body = ("z" * 999 + "\n") * 1100  # about 1.05 MiB over 1100 lines
    data = f'id,notes,x\nP1,"{body}",end\nP2,ok,1\n'.encode()
    src, rows = read(write(tmp_path, data))
    assert rows[0] == Row(1, ["id", "notes", "x"])
    assert rows[1] == Row(2, [], "field over 1 MiB")
    assert rows[2] == Row(1103, ["P2", "ok", "1"])


def test_bad_quoting_is_a_row_problem_and_reading_goes_on(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b'a,b,c\n1,"x"y,3\n4,5,6\n'))
    assert rows[1].line == 2
    assert rows[1].problem is not None and rows[1].problem.startswith("bad quoting:")
    assert rows[2] == Row(3, ["4", "5", "6"])


def test_overlong_line_is_skipped(tmp_path: Path) -> None:
    long_line = ",".join(["v"] * 600)  # 1199 characters, no field over the limit
    data = f"a,b\n1,2\n{long_line}\n3,4\n".encode()
    with mock.patch.multiple(text_stream, LINE_BUFFER=200, PREFIX=64, CHUNK=64):
        src, rows = read(write(tmp_path, data))
    assert rows == [
        Row(1, ["a", "b"]),
        Row(2, ["1", "2"]),
        Row(3, [], "line 3 is over 200 characters long"),
        Row(4, ["3", "4"]),
    ]


def test_overlong_line_ending_in_crlf_split_across_chunks(tmp_path: Path) -> None:
    data = ("a,b\r\n" + "v," * 300 + "\r\n3,4\r\nsep=;,x\r\n").encode()
    for chunk in range(5, 80):
        with mock.patch.multiple(text_stream, LINE_BUFFER=200, PREFIX=chunk, CHUNK=chunk):
            src, rows = read(write(tmp_path, data))
        assert [(r.line, r.problem) for r in rows] == [
            (1, None),
            (2, "line 2 is over 200 characters long"),
            (3, None),
            (4, None),
        ], chunk


def test_sep_line_with_crlf_split_across_chunks(tmp_path: Path) -> None:
    data = b"sep=;\r\na;b\r\n1;2\r\n"
    for chunk in range(6, 12):  # the sep= line has to be inside the first chunk
        with mock.patch.multiple(text_stream, PREFIX=chunk, CHUNK=chunk):
            src, rows = read(write(tmp_path, data))
        assert src.delimiter == ";"
        assert lines_and_cells(rows) == [(2, ["a", "b"]), (3, ["1", "2"])], chunk


def test_overlong_line_inside_a_quoted_record(tmp_path: Path) -> None:
    data = ('a,b\n1,"start\n' + "w" * 1000 + '\nend",2\n3,4\r\n').encode()
    with mock.patch.multiple(text_stream, LINE_BUFFER=200, PREFIX=64, CHUNK=64):
        src, rows = read(write(tmp_path, data))
    assert rows == [
        Row(1, ["a", "b"]),
        Row(2, [], "line 3 is over 200 characters long"),
        Row(5, ["3", "4"]),
    ]


def test_overlong_line_that_opens_a_quote(tmp_path: Path) -> None:
    data = ('a,b\n1,"' + "w" * 1000 + '\nstill quoted\nend",2\n3,4\n').encode()
    with mock.patch.multiple(text_stream, LINE_BUFFER=200, PREFIX=64, CHUNK=64):
        src, rows = read(write(tmp_path, data))
    assert rows == [
        Row(1, ["a", "b"]),
        Row(2, [], "line 2 is over 200 characters long"),
        Row(5, ["3", "4"]),
    ]


def test_huge_single_line_field_is_reported_as_field_over_one_mib(tmp_path: Path) -> None:
    data = b'a,b\n1,"' + b"q" * (5 * MIB) + b'"\n2,3\n'
    src, rows = read(write(tmp_path, data))
    assert rows == [Row(1, ["a", "b"]), Row(2, [], "field over 1 MiB"), Row(3, ["2", "3"])]


@pytest.mark.parametrize("with_newlines", [False, True])
def test_endless_unterminated_field_streams_in_bounded_memory(with_newlines: bool) -> None:
    piece = (b"x" * 99 + b"\n") if with_newlines else b"x" * 100
    total = 32 * MIB // len(piece)
    parts = itertools.chain([b'a,b\n1,"'], itertools.repeat(piece, total))
    stream = ChunkyStream(parts, step=1 << 16)
    tracemalloc.start()
    try:
        src = open_source("-", stdin=io.BufferedReader(stream), delimiter=",")
        rows = list(src.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.bytes_read == 4 + 3 + total * len(piece)
    after = total - 1 if with_newlines else 0
    assert rows == [
        Row(1, ["a", "b"]),
        Row(2, [], f"unterminated quote starting at line 2; {after} lines after it not read"),
    ]
    assert peak < 40 * MIB  # the input is 32 MiB; buffering is capped at LINE_CAP


# ----------------------------------------------------------------------------- file problems


@pytest.mark.parametrize("data", [b"", b"\n\n\r\n\n", b"\xef\xbb\xbf", b"  \n,,\n", b"sep=;\n"])
def test_empty_or_blank_file_is_a_file_problem(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(FileProblem) as info:
        open_source(write(tmp_path, data))
    assert str(info.value) == "empty file: no header"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml\x00\x00binary", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Excel workbook (.xls)"),
        (b"<!DOCTYPE html>\n<html><body>", "HTML"),
    ],
)
def test_non_csv_files_are_recognised(tmp_path: Path, data: bytes, expected: str) -> None:
    with pytest.raises(FileProblem) as info:
        open_source(write(tmp_path, data))
    message = str(info.value)
    assert expected in message
    assert "not" in message and ";" in message  # says what it is not and what to do
    assert "UTF-8" not in message


def test_a_pdf_is_opened_for_the_report_reader(tmp_path: Path) -> None:
    """A PDF is no longer refused as "not CSV": its bytes go to the report reader."""
    data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"
    with open_source(write(tmp_path, data)) as source:
        assert source.kind == "pdf"
        assert b"".join(source.chunks()) == data


def test_xlsx_message_says_to_export_as_csv(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as info:
        open_source(write(tmp_path, b"PK\x03\x04" + b"\x00" * 26 + b"xl/workbook.xml"))
    assert (
        str(info.value) == "looks like an Excel workbook (.xlsx), not CSV; export it as CSV first"
    )


def test_binary_file_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="binary"):
        open_source(write(tmp_path, bytes(range(256)) * 4))


def test_missing_file_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as info:
        open_source(str(tmp_path / "nope.csv"))
    assert str(info.value) == "cannot open: No such file or directory"
    assert str(tmp_path) not in str(info.value)


def test_directory_is_a_file_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as info:
        open_source(str(tmp_path))
    assert "directory" in str(info.value)


# ---------------------------------------------------------------------------- stdin, streaming


def test_stdin_from_bytesio() -> None:
    src = open_source("-", stdin=io.BytesIO(b"a;b\n1;2\n"))
    assert src.name == "-"
    assert (src.encoding, src.delimiter) == ("utf-8", ";")
    assert lines_and_cells(list(src.rows())) == [(1, ["a", "b"]), (2, ["1", "2"])]


def test_stdin_non_seekable_stream_with_short_reads() -> None:
    data = "patient,unit\n" + "".join(f"P{i},µg/L\n" for i in range(3000))
    stream = ChunkyStream(iter([data.encode()]), step=3)
    src = open_source("-", stdin=stream)  # type: ignore[arg-type]
    rows = list(src.rows())
    assert len(rows) == 3001
    assert rows[-1] == Row(3001, ["P2999", "µg/L"])


def test_rows_is_a_lazy_generator() -> None:
    def endless() -> Iterator[bytes]:
        yield b"a,b\n"
        while True:
            yield b"1,2\n" * 1000

    stream = ChunkyStream(endless(), step=1 << 16)
    src = open_source("-", stdin=io.BufferedReader(stream))
    rows = src.rows()
    is_generator = inspect.isgenerator(rows)  # (not narrowed: mypy keeps Iterator[Row])
    assert is_generator
    first = list(itertools.islice(rows, 10))
    assert [r.line for r in first] == list(range(1, 11))
    assert stream.bytes_read < 4 * 65536  # only the first chunks were read


def test_large_file_streams_in_small_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as fh:
        fh.write("patient_id,collected,analyte,value,unit\n")
        for i in range(200_000):
            fh.write(f"P{i:06d},2025-01-02,Vitamin B12,{200 + i % 700},pg/mL\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        src = open_source(str(path))
        rows = src.rows()
        is_generator = inspect.isgenerator(rows)
        assert is_generator
        count = 0
        last: Row | None = None
        for row in rows:
            count += 1
            last = row
        src.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_001
    assert last == Row(200_001, ["P199999", "2025-01-02", "Vitamin B12", "699", "pg/mL"])
    assert size > 7 * MIB
    assert peak < 2 * MIB, peak


def test_rows_built_on_the_fast_path_are_ordinary_rows(tmp_path: Path) -> None:
    src, rows = read(write(tmp_path, b"a,b\n1,2\n"))
    assert type(rows[0]) is Row
    assert rows[1] == Row(2, ["1", "2"], None)
    assert Row(1, [], "x") == Row(1, [], "x") != Row(1, [], "y")
    assert not hasattr(rows[1], "__dict__")  # slotted: cheap to build per row
    assert repr(rows[1]) == "Row(line=2, cells=['1', '2'], problem=None)"


def test_close_and_context_manager(tmp_path: Path) -> None:
    with open_source(write(tmp_path, b"a,b\n1,2\n")) as src:
        first = list(src.rows())
        assert list(src.rows()) == []  # rows() is single-pass
    assert len(first) == 2
    assert src._raw.closed


# ------------------------------------------------------------------------------ fixtures


@pytest.mark.parametrize(
    ("name", "expected_lines", "problems"),
    [
        ("01-utf8-bom.csv", [1, 2, 3, 4], {}),
        ("03-utf16-le.csv", [1, 2, 3, 4], {}),
        ("04-nul-byte.csv", [1, 2, 3, 4, 5], {3: "NUL byte in column 4"}),
        (
            "12-unterminated-quote.csv",
            [1, 2, 3],
            {3: "unterminated quote starting at line 3; 3 lines after it not read"},
        ),
        ("13-huge-field.csv", [1, 2, 3, 4], {3: "field over 1 MiB in column 6"}),
        ("14-cr-only.csv", [1, 2, 3, 4], {}),
        ("14-mixed-endings.csv", [1, 2, 3, 5, 6], {}),
        ("16-preamble-footer.csv", [1, 3, 4, 5, 6, 8], {}),
        ("16-sep-line.csv", [2, 3, 4, 5], {}),
    ],
)
def test_bad_input_fixtures(name: str, expected_lines: list[int], problems: dict[int, str]) -> None:
    path = BAD / name
    if not path.exists():
        pytest.skip(f"fixture {name} not present")
    src, rows = read(str(path))
    assert [r.line for r in rows] == expected_lines
    assert {r.line: r.problem for r in rows if r.problem} == problems
    if name != "16-preamble-footer.csv":
        assert rows[0].cells[0] == "patient_id"


@pytest.mark.parametrize("name", ["05-xlsx.csv", "06-empty.csv"])
def test_bad_input_fixtures_that_are_file_problems(name: str) -> None:
    path = BAD / name
    if not path.exists():
        pytest.skip(f"fixture {name} not present")
    with pytest.raises(FileProblem):
        open_source(str(path))


# ------------------------------------------------------------------------------ properties

_cell_chars = st.one_of(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
    st.sampled_from(list('\n\r",;\t| ')),
)
_cell = st.text(_cell_chars, max_size=8)
_table = st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=12)


def _physical_lines(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=_table,
    delimiter=st.sampled_from(DELIMITERS),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    quote_all=st.booleans(),
    chunk=st.one_of(st.integers(1, 40), st.just(1 << 16)),
)
def test_property_written_rows_read_back(
    table: list[list[str]], delimiter: str, terminator: str, quote_all: bool, chunk: int
) -> None:
    # csv.writer only quotes line-end characters that are in its lineterminator
    loose = any(
        ch in cell for row in table for cell in row for ch in "\r\n" if ch not in terminator
    )
    quoting: Literal[0, 1] = csv.QUOTE_ALL if quote_all or loose else csv.QUOTE_MINIMAL
    pieces = []
    for row in table:
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator=terminator, quoting=quoting).writerow(
            row
        )
        pieces.append(buf.getvalue())
    data = "".join(pieces)
    assume(not data.lower().startswith(("sep=", "%pdf", "<html", "<!doctype html")))
    expected = []
    line = 1
    for row, text in zip(table, pieces, strict=True):
        if "".join(row).strip():
            expected.append(Row(line, row))
        line += _physical_lines(text)
    with (
        mock.patch.object(text_stream, "PREFIX", chunk),
        mock.patch.object(text_stream, "CHUNK", chunk),
    ):
        try:
            src = open_source("-", stdin=io.BytesIO(data.encode()), delimiter=delimiter)
        except FileProblem as exc:
            assert not expected and str(exc) == "empty file: no header"
            return
        rows = list(src.rows())
    assert rows == expected


@settings(max_examples=100, deadline=None)
@given(
    width=st.integers(2, 6),
    height=st.integers(2, 10),
    delimiter=st.sampled_from(DELIMITERS),
    data=st.data(),
)
def test_property_delimiter_is_sniffed(
    width: int, height: int, delimiter: str, data: st.DataObject
) -> None:
    word = st.text(st.sampled_from("abcXYZ019.-/ "), min_size=1, max_size=6)
    table = data.draw(st.lists(st.lists(word, min_size=width, max_size=width), min_size=height))
    table = table[:height]
    assume(any("".join(r).strip() for r in table))
    text = "".join(delimiter.join(r) + "\n" for r in table)
    src = open_source("-", stdin=io.BytesIO(text.encode()))
    assert src.delimiter == delimiter
    assert [r.cells for r in src.rows()] == [r for r in table if "".join(r).strip()]


_csvish = st.lists(
    st.one_of(
        st.sampled_from([b",", b";", b"\t", b"|", b'"', b"\r", b"\n", b"\r\n", b" ", b"\x00"]),
        st.sampled_from([b"\xb5", b"\xc2\xb5", b"\xe2\x80", b"\xff\xfe", b"sep=", b"PK"]),
        st.binary(max_size=6),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(
    data=_csvish,
    chunk=st.integers(1, 24),
    cap=st.integers(4, 64),
    encoding=st.sampled_from([None, None, "utf-8", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([None, None, ",", ";"]),
)
def test_property_garbage_never_raises(
    data: bytes, chunk: int, cap: int, encoding: str | None, delimiter: str | None
) -> None:
    with mock.patch.multiple(text_stream, PREFIX=chunk, CHUNK=chunk, LINE_BUFFER=cap):
        try:
            src = open_source("-", stdin=io.BytesIO(data), encoding=encoding, delimiter=delimiter)
        except FileProblem as exc:
            assert "\n" not in str(exc)
            return
        rows = list(src.rows())
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines))  # strictly increasing physical lines
    assert all(r.line >= 1 for r in rows)
    assert all(
        r.problem is None
        or r.cells == []
        or "NUL" in r.problem
        or "bad" in r.problem
        or "field" in r.problem
        for r in rows
    )
    stops = [r for r in rows if r.problem and ("not read" in r.problem)]
    assert not stops or stops[-1] is rows[-1]  # a problem that stops the file comes last


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_forced_delimiter_makes_other_marks_data(delimiter: str) -> None:
    """Lines of bare delimiters are blank, but with --delimiter given only that one is a
    delimiter: a lone '|' is then a cell, not an empty row (found by the property above)."""
    src = open_source("-", stdin=io.BytesIO(b"|\n"), delimiter=delimiter)
    assert list(src.rows()) == [Row(1, ["|"])]
    with pytest.raises(FileProblem, match="^empty file"):
        open_source("-", stdin=io.BytesIO(b"|\n|\n"))  # no delimiter given: only marks
