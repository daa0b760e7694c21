"""Exit statuses, as documented in README ("Exit status")."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every value read; nothing flagged at or above --fail-on
    FLAGGED = 1  # every value read; at least one flagged at or above --fail-on
    USAGE = 2  # usage or configuration error; nothing checked
    UNREADABLE = 3  # some input could not be read; results for the rest were written
    WRITE_FAILED = 4  # output could not be written (disk full, unwritable --output)
    INTERNAL = 70  # a bug in b12check (rerun with --debug)
    HUNG_UP = 129  # SIGHUP: the terminal went away
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader closed the pipe early (| head); ends quietly
    TERMINATED = 143  # SIGTERM (kill, a service manager, a CI timeout)
