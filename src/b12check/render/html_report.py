"""``--format html``: one self-contained page to bring to a clinician (issue #19).

The writer keeps what the page shows, within bounds: the records of the first
``MAX_PATIENTS`` patients (at most ``MAX_RESULTS`` results each), and for every other patient
only the worst flag, so a cohort of millions of rows makes a summary, not a page of hundreds
of megabytes. At close the page is laid out (html_view.py) and written through an
autoescaping Jinja template with no script, no network and a strict Content-Security-Policy.
Jinja is imported only here, so no other format pays for it at start-up.
"""

from collections.abc import Sequence
from typing import IO

from b12check.core.records import Record, Summary
from b12check.core.refdata import Reference
from b12check.core.vocab import FLAG_SEVERITY, STATUS_ERROR, STATUS_RESULT, STATUS_SKIPPED
from b12check.readers.events import Event
from b12check.render.base import Writer
from b12check.render.people import Warnings, is_withdrawn
from b12check.render.safe import visible

MAX_PATIENTS = 20  # patients drawn in full; the rest are summarised
MAX_RESULTS = 500  # results kept per patient drawn
MAX_PROBLEMS = 50  # unreadable values listed per patient, and for the page
MAX_LABELS = 100  # distinct skipped test names listed, per patient and for the page
COUNTED_PATIENTS = 100_000  # patients whose worst flag is counted for the summary


class Person:
    """What the page shows of one patient."""

    def __init__(self, patient: str, reference: Reference | None) -> None:
        self.patient = patient
        self.results: list[Record] = []
        self.hidden_results = 0  # over MAX_RESULTS
        self.hidden_normal = 0  # --only-flagged
        self.problems = Problems()
        self.skipped: dict[str, int] = {}
        self.withdrawn: dict[str, int] = {}
        self.warnings = Warnings(reference)


class Problems:
    """Records of values that could not be read: the first few, and how many in all."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.count = 0

    def add(self, record: Record) -> None:
        self.count += 1
        if len(self.records) < MAX_PROBLEMS:
            self.records.append(record)

    def lines(self) -> list[str]:
        return [visible(f"{record.place()}: {record.reason}") for record in self.records]


class Cohort:
    """The worst flag of each patient (the first ``COUNTED_PATIENTS``), for the summary."""

    def __init__(self) -> None:
        self.worst: dict[str, str] = {}
        self.uncounted = False  # more patients came than are counted

    def add(self, patient: str, flag: str) -> None:
        known = self.worst.get(patient)
        if known is None:
            if len(self.worst) >= COUNTED_PATIENTS:
                self.uncounted = True
                return
            self.worst[patient] = flag
        elif FLAG_SEVERITY.get(flag, 0) > FLAG_SEVERITY.get(known, 0):
            self.worst[patient] = flag


class HtmlWriter(Writer):
    def __init__(
        self,
        out: IO[str],
        reference: Reference | None = None,
        *,
        only_flagged: bool = False,
        events: Sequence[Event] = (),
        events_file: str | None = None,
    ) -> None:
        self.out = out
        self.reference = reference
        self.only_flagged = only_flagged
        self.events = list(events)
        self.events_file = events_file
        self.people: dict[str, Person] = {}
        self.cohort = Cohort()
        self.problems = Problems()  # unreadable values of no patient drawn
        self.skipped: dict[str, int] = {}  # skipped values of no patient drawn
        self.withdrawn: dict[str, int] = {}  # the same, withdrawn by the lab
        self.hidden_patients_results = 0

    def _person(self, patient: str) -> Person | None:
        person = self.people.get(patient)
        if person is None and len(self.people) < MAX_PATIENTS:
            person = self.people[patient] = Person(patient, self.reference)
        return person

    def write(self, record: Record) -> None:
        patient = record.patient or ""
        if record.status == STATUS_RESULT:
            self.cohort.add(patient, record.flag or "")
            person = self._person(patient)
            if person is None:
                self.hidden_patients_results += 1
                return
            person.warnings.add(record)
            if self.only_flagged and record.flag == "normal":
                person.hidden_normal += 1
            elif len(person.results) < MAX_RESULTS:
                person.results.append(record)
            else:
                person.hidden_results += 1
            return
        person = self._person(patient) if record.patient else None
        if record.status == STATUS_ERROR:
            (person.problems if person else self.problems).add(record)
        elif record.status == STATUS_SKIPPED:
            label = visible(record.label or "?")
            withdrawn = is_withdrawn(record)
            if person is None:
                kept = self.withdrawn if withdrawn else self.skipped
            else:
                kept = person.withdrawn if withdrawn else person.skipped
            if label not in kept and len(kept) >= MAX_LABELS:
                label = "other tests"  # (a file of endless distinct names)
            kept[label] = kept.get(label, 0) + 1

    def close(self, summary: Summary) -> None:
        from b12check.render.html_page import write_page

        write_page(self, summary, self.out)
