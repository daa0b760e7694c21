"""The stand-ins ``streams.guard_standard_streams`` puts in place of a closed stdin or stdout."""

import errno
import io
from typing import NoReturn

STDOUT_CLOSED = "standard output is closed"
STDIN_CLOSED = "standard input is closed"


class _ClosedBinaryInput(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)


class ClosedInput(io.TextIOBase):
    """A stdin that was closed: not a terminal, and every read fails."""

    def __init__(self) -> None:
        self.buffer = io.BufferedReader(_ClosedBinaryInput())

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)

    def readline(self, size: int | None = -1) -> NoReturn:
        raise OSError(errno.EBADF, STDIN_CLOSED)


class ClosedOutput(io.TextIOBase):
    """A stdout that was closed: not a terminal, and every write fails."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> NoReturn:
        raise OSError(errno.EBADF, STDOUT_CLOSED)

    def flush(self) -> None:
        return None  # nothing was ever buffered
