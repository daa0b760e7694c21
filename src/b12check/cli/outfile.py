"""``-o FILE``: checked before any input is read, and replaced whole or not at all.

- The target may not be any input or ranges file (compared by device and inode, so symlinks
  and hard links count): writing it would empty the input before it is read.
- A target in a missing folder, a directory, or a file or folder without write permission is
  refused at once (exit 4), before anything is read.
- Results go to a temporary file beside the target, which is renamed over it only when the run
  ends normally. On Ctrl-C, a signal, a write error or a usage error the temporary file is
  removed and the previous file stays as it was; two runs at once each rename a whole file.
- A target that is not a regular file (``/dev/null``, a FIFO, a terminal) is written directly.
"""

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from b12check.core.errors import B12CheckError, OutputUnwritable


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _regular_file_behind(stream: IO[str]) -> os.stat_result | None:
    """The regular file a standard stream reads or writes, if it is one (a redirection)."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None  # closed, a stand-in, or no descriptor
    return st if stat.S_ISREG(st.st_mode) else None


def _input_identities(inputs: Iterable[str]) -> Iterator[tuple[str, tuple[int, int]]]:
    for name in inputs:
        if name == "-":
            behind = _regular_file_behind(sys.stdin)
            if behind is not None:
                yield "standard input", _identity(behind)
            continue
        found = _stat(name)
        if found is not None:
            yield repr(name), _identity(found)


def refuse_if_input(target: os.stat_result, shown: str, inputs: Iterable[str]) -> None:
    """Raise when ``target`` is the same file as one of ``inputs``."""
    for name, identity in _input_identities(inputs):
        if identity == _identity(target):
            raise B12CheckError(
                f"{shown} is also an input ({name}); writing it would destroy that input "
                "before it is read. Write the results to another file."
            )


def check_stdout(inputs: Iterable[str]) -> None:
    """``scan x.csv >> x.csv``: standard output is one of the inputs."""
    behind = _regular_file_behind(sys.stdout)
    if behind is not None:
        refuse_if_input(behind, "standard output", inputs)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def _direct(path: str) -> Iterator[IO[str]]:
    try:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise OutputUnwritable(path, exc.strerror or str(exc)) from exc
    with handle:
        yield handle


def _discard(handle: IO[str], temporary: str) -> None:
    try:
        handle.close()
    except OSError:
        pass
    try:
        os.unlink(temporary)
    except OSError:
        pass


def _create_beside(folder: str, real: str, shown: str) -> tuple[int, str]:
    """A new, empty, private file next to ``real`` in ``folder``: ``.NAME.<random>.part``.

    (tempfile.mkstemp does the same, but importing tempfile costs every run some 8 ms.)
    """
    for _ in range(100):
        temporary = os.path.join(folder, f".{os.path.basename(real)}.{os.urandom(6).hex()}.part")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), temporary
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputUnwritable(shown, exc.strerror or str(exc)) from exc
    raise OutputUnwritable(shown, "no free name for a temporary file beside it")


@contextmanager
def replace_atomically(path: str, inputs: Iterable[str]) -> Iterator[IO[str]]:
    """Yield a text stream for ``path``; it becomes ``path`` only if the block ends normally."""
    real = os.path.realpath(path)
    existing = _stat(real)
    if existing is not None:
        refuse_if_input(existing, f"-o {path!r}", inputs)
        if stat.S_ISDIR(existing.st_mode):
            raise OutputUnwritable(path, "is a directory")
        if not stat.S_ISREG(existing.st_mode):
            with _direct(path) as handle:
                yield handle
            return
        if not os.access(real, os.W_OK):
            raise OutputUnwritable(path, "permission denied")
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise OutputUnwritable(path, f"no such folder {os.path.dirname(path) or '.'!r}")
    fd, temporary = _create_beside(folder, real, path)
    handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
    try:
        os.fchmod(fd, stat.S_IMODE(existing.st_mode) if existing else _new_file_mode())
        yield handle
        handle.flush()
        os.fsync(fd)
        handle.close()
        os.replace(temporary, real)
    except BaseException:
        _discard(handle, temporary)
        raise
