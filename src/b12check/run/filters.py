"""Which records a scan writes: ``--only results|flagged|errors`` and ``--analyte ID``.

A filter only chooses what is written. Every record read is still counted by the summary and
weighs on the exit status, and every error still prints its diagnostic on stderr, so a
filtered run never hides that something went wrong (run/pipeline.py applies it).

``only``: "results" keeps results; "flagged" keeps results flagged anything but normal
(unclassified included, as with ``--only-flagged`` and ``--fail-on any``); "errors" keeps
error records. ``analytes``: keeps records of those tests, and error records whose test could
not be told (a whole-file problem, a row that could not be read): they may be one of them.
Both given: a record must pass both. ``Keep()`` keeps everything.

The fields are read by other engines too (the DuckDB path pushes them into its SQL), so the
rule stays in these few lines and nowhere else.
"""

from collections.abc import Callable

from b12check.core.records import FastLine, Record
from b12check.core.vocab import STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED, Flag, Only


class Keep:
    """What a run writes: ``only`` an ``Only`` value or None (every status); ``analytes``
    test ids, empty for every test. (A plain slotted class, not a dataclass: every scan makes
    one, and the dataclasses module costs about 2 ms of start-up.)"""

    __slots__ = ("only", "analytes")

    def __init__(self, only: str | None = None, analytes: frozenset[str] = frozenset()) -> None:
        if only is not None:
            Only(only)  # (a ValueError naming the choices)
        self.only = only
        self.analytes = analytes

    @property
    def everything(self) -> bool:
        """Whether every record is kept (no filter given)."""
        return self.only is None and not self.analytes

    def keeps(self, record: Record) -> bool:
        """Whether ``record`` is written."""
        return self.keeps_fields(record.status, record.flag, record.analyte)

    def keeps_line(self, line: FastLine) -> bool:
        """Whether a result the scan cache rendered is written."""
        return self.keeps_fields(STATUS_RESULT, line.flag, line.analyte)

    def results_kept(self) -> Callable[[str, str], bool]:
        """``keeps_line`` as a function of a result's flag and test, remembered per pair (the
        scan cache asks it for each result it batches)."""
        known: dict[tuple[str, str], bool] = {}

        def keeps(flag: str, analyte: str) -> bool:
            answer = known.get((flag, analyte))
            if answer is None:
                answer = known[(flag, analyte)] = self.keeps_fields(STATUS_RESULT, flag, analyte)
            return answer

        return keeps

    def keeps_skipped(self) -> bool:
        """Whether a skipped record of a test not covered (no analyte) is written."""
        return self.keeps_fields(STATUS_SKIPPED, None, None)

    def keeps_fields(self, status: str, flag: str | None, analyte: str | None) -> bool:
        only = self.only
        if only is not None:
            if only == Only.ERRORS:
                if status != STATUS_ERROR:
                    return False
            elif status != STATUS_RESULT or (only == Only.FLAGGED and flag == Flag.NORMAL):
                return False
        if self.analytes and analyte not in self.analytes:
            return status == STATUS_ERROR and analyte is None
        return True
