"""Errors that end a run with a one-line message instead of a traceback."""


class B12CheckError(Exception):
    """Base class: the message is shown to the user as it is."""


class ConfigError(B12CheckError):
    """A ranges or notes file is unreadable or invalid (exit status 2).

    ``problems`` holds one ``FILE:LINE:COLUMN: reason`` line per problem found.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ValueProblem(B12CheckError, ValueError):
    """A single input value cannot be read; it becomes an error record, not a crash."""


class OutputUnwritable(B12CheckError):
    """``-o`` names a place the results cannot be written (exit status 4)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write output: {path}: {reason}")
