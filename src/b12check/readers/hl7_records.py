"""HL7 v2 ORU^R01 messages to records: PID and OBR give the context, each OBX one record.

PID-3 (else PID-2) is the patient, PID-7 the birth date, PID-8 the sex (F, M; U, O, A and N
are read without a sex); OBR-7 is the collection date of the OBX segments under it, OBX-14 a
date of one result. Each OBX goes through the same core as a CSV row (``evaluate``), its test
named by OBX-3 through the same names and LOINC codes (``obx.test_name``). A segment that
cannot be read is an error record naming the message and the segment; reading goes on with
the next one. Every record carries its locator, ``message M, segment S (OBX K)``
(``Record.locator``; CSV and TSV output write it in the ``column`` field), and ``line`` the
physical line the segment starts on.
"""

from collections.abc import Callable, Iterator

from b12check.core.evaluate import Settings
from b12check.core.records import Record
from b12check.core.vocab import STATUS_ERROR
from b12check.readers import hl7_obx
from b12check.readers.hl7_obx import Context
from b12check.readers.hl7v2 import (
    Line,
    Separators,
    codec_for,
    component,
    field,
    fields,
    hl7_date,
    read_separators,
    segment_name,
    segments,
)
from b12check.readers.layout import HeaderIndex

SEGMENT_CAP = 4 << 20  # bytes: a longer segment is not held, it is an error record
ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")  # file and batch header and trailer segments
_SEX = {"f": "female", "m": "male", "u": None, "o": None, "a": None, "n": None, "": None}


class Hl7Reader:
    """Reads the segments of one HL7 v2 file into records, one message after another."""

    def __init__(
        self,
        settings: Settings,
        headers: HeaderIndex,
        name: str,
        encoding: str | None,
        count: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.headers = headers
        self.name = name
        self.forced = encoding  # --encoding wins over MSH-18
        self.count = count  # called once for each segment that gives a record
        self.message = 0  # messages begun so far (an MSH begins one)
        self.segment = 0  # segments of this message so far
        self.obx = 0  # OBX segments of this message so far
        self.separators: Separators | None = None
        self.codec = encoding or "utf-8"
        self.why_codec = "rerun with --encoding NAME"
        self.context = Context()

    def records(self, lines: Iterator[Line]) -> Iterator[Record]:
        for line, continued in segments(lines):
            record = self.segment_record(line, continued)
            if record is not None:
                self.count()
                yield record

    def segment_record(self, line: Line, continued: list[int]) -> Record | None:
        """The record a segment gives (OBX, or a problem), None when it gives none;
        ``continued``: the lines that go on with it after a line break inside it."""
        data = line.data
        if data is not None and data[:3] == b"MSH":
            return self.start_message(line.number, data)
        if data is not None and data[:3] in ENVELOPE:
            return self.envelope(line.number, data)
        self.segment += 1
        if self.message == 0:
            return self.error(line.number, "before any MSH segment, so not part of a message")
        if data is None:
            name = segment_name(line.start.decode("latin-1"))
            self.obx += name == "OBX"
            size = f"{SEGMENT_CAP >> 20} MiB" if SEGMENT_CAP >= 1 << 20 else f"{SEGMENT_CAP} bytes"
            return self.error(line.number, f"segment over {size}; not read", name)
        try:
            text = data.decode(self.codec)
        except UnicodeDecodeError as exc:
            name = segment_name(data[:3].decode("latin-1"))
            self.obx += name == "OBX"
            return self.error(
                line.number,
                f"not valid {self.codec} at byte {exc.start + 1} of the segment (0x"
                f"{data[exc.start]:02X}); {self.why_codec}",
                name,
            )
        name = segment_name(text)
        if name is None:
            return self.error(line.number, "not an HL7 segment: it does not start with a name")
        if name == "OBX":
            self.obx += 1
        if continued and name in ("PID", "OBR", "OBX"):
            return self.broken(line.number, name, continued)
        separators = self.separators
        if separators is None:
            if name != "OBX":
                return None
            return self.error(line.number, "the message's MSH could not be read", name)
        parts = fields(text, separators)
        if name == "PID":
            self.patient(parts, separators)
        elif name == "OBR":
            self.context.set_date(field(parts, 7), separators)
        elif name == "OBX":
            return self.observation(line.number, parts, separators)
        return None

    # ------------------------------------------------------------------ segments

    def start_message(self, number: int, data: bytes) -> Record | None:
        self.message += 1
        self.segment, self.obx = 1, 0
        self.context = Context()
        text = data.decode(self.forced or "latin-1", "replace")  # separators are ASCII
        found = read_separators(text)
        if isinstance(found, str):
            self.separators = None
            return self.error(number, f"MSH cannot be read: {found}; its OBX segments are not")
        self.separators = found
        charset = field(fields(text, found), 18).split(found.repetition, 1)[0]
        named = codec_for(charset)
        self.codec = self.forced or named or "utf-8"
        self.why_codec = (
            "as --encoding says"
            if self.forced
            else "as MSH-18 says"
            if named
            else "MSH-18 names no character set known; rerun with --encoding NAME"
        )
        return None

    def envelope(self, number: int, data: bytes) -> Record | None:
        if data[:3] in (b"BTS", b"FTS"):
            return None
        found = read_separators(data.decode("latin-1"))
        if isinstance(found, str):
            where = data[:3].decode()
            return Record(STATUS_ERROR, file=self.name, line=number, locator=where, reason=found)
        return None

    def patient(self, parts: list[str], separators: Separators) -> None:
        context = self.context
        context.patient = (
            component(field(parts, 3), separators, 1)
            or component(field(parts, 2), separators, 1)
            or None
        )
        context.birth, context.birth_warning = hl7_date(component(field(parts, 7), separators, 1))
        sex = component(field(parts, 8), separators, 1)
        context.sex = _SEX.get(sex.casefold(), sex)

    def observation(self, number: int, parts: list[str], separators: Separators) -> Record:
        locator = self.locator("OBX")
        return hl7_obx.record(
            self.settings,
            self.headers,
            parts,
            separators,
            self.context,
            self.name,
            number,
            locator,
        )

    def broken(self, number: int, name: str, continued: list[int]) -> Record:
        """A segment that is read carries on past a line end: what it says is not read."""
        if name == "PID":
            self.context = Context()
        elif name == "OBR":
            self.context.date, self.context.date_warning = None, None
        where = (
            f"line {continued[0]}"
            if len(continued) == 1
            else (f"lines {continued[0]}-{continued[-1]}")
        )
        read = {"PID": "the patient", "OBR": "the collection date", "OBX": "the result"}[name]
        return self.error(
            number,
            f"a line break inside the {name} segment: it goes on at {where}, so {read} is not read",
            name,
        )

    # ------------------------------------------------------------------ places

    def locator(self, name: str | None = None) -> str:
        """``message M, segment S (OBX K)``: where in the file a record came from."""
        where = f"message {self.message}, segment {self.segment}"
        if name == "OBX":
            return f"{where} (OBX {self.obx})"
        return f"{where} ({name})" if name else where

    def error(self, number: int, reason: str, name: str | None = None) -> Record:
        where = self.locator(name) if self.message else "before the first message"
        return Record(
            STATUS_ERROR,
            file=self.name,
            line=number,
            locator=where,
            patient=self.context.patient,
            reason=reason,
        )
