"""What the engine reads: plain, gzip or zstd CSV, or Parquet, and a look at its head for
the Python readers (delimiter, encoding, header, layout), which decide how it is read."""

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, cast

from b12check.engine import EngineRefused

HEAD_BYTES = 1 << 20  # decompressed bytes the Python readers look at in a compressed file
CHUNK = 1 << 22


def kind_of(path: str) -> str:
    """csv, gzip, zstd or parquet, by the file's first bytes (never by its name alone)."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if magic == b"PAR1":
        return "parquet"
    if magic[:3] == b"BZh" or magic[:4] == b"\xfd7zX":
        raise EngineRefused("DuckDB reads gzip and zstd but not bzip2 or xz files")
    return "csv"


def _zstd_reader(handle: IO[bytes]) -> IO[bytes]:
    try:
        import zstandard
    except ImportError:
        raise EngineRefused("a zstd file needs the zstandard package to be looked at") from None
    reader: IO[bytes] = zstandard.ZstdDecompressor().stream_reader(handle)
    return reader


@contextmanager
def opened(path: str, kind: str) -> Iterator[IO[bytes]]:
    """The file's (decompressed) bytes."""
    with open(path, "rb") as raw:
        if kind == "gzip":
            with gzip.GzipFile(fileobj=raw) as unpacked:
                yield cast(IO[bytes], unpacked)
        elif kind == "zstd":
            yield _zstd_reader(raw)
        else:
            yield raw


@contextmanager
def head_file(path: str, kind: str) -> Iterator[str]:
    """A plain file the Python readers can open for the head of ``path``: the file itself,
    or its first decompressed megabyte cut after a whole line."""
    if kind == "csv":
        yield path
        return
    with opened(path, kind) as data:
        head = data.read(HEAD_BYTES)
    if len(head) == HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    handle, name = tempfile.mkstemp(prefix="b12check-head-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(head)
        yield name
    finally:
        os.unlink(name)


def line_count(path: str, kind: str) -> int:
    """Physical lines of the (decompressed) text: line feeds, and one more when the last
    line has none (so a record per line is easy to tell from blank or multi-line ones)."""
    count = 0
    last = b"\n"
    with opened(path, kind) as data:
        while chunk := data.read(CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_relation(path: str, delimiter: str, width: int, skip: int) -> str:
    """Every cell as text (never DuckDB's guessed types), as c0, c1, ...; strict quoting."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return (
        f"read_csv({sql_text(path)}, header = false, skip = {skip}, delim = {sql_text(delimiter)}, "
        f"quote = '\"', escape = '\"', columns = {{{columns}}}, all_varchar = true, "
        "strict_mode = true, null_padding = false, auto_detect = false, "
        "compression = 'auto')"
    )
