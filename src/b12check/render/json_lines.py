"""``--format json`` and ``--format ndjson``: one JSON object per record, on one line.

Never NaN or Infinity; U+2028, U+2029 and NEL escaped so line-splitting readers keep one record
per line; bytes that were not UTF-8 written as ``\\xFF``.
"""

import json
import re
from collections.abc import Sequence
from typing import IO, Any, Final

from b12check.core.lazyre import LazyPattern
from b12check.core.records import FastLine, Record, Summary
from b12check.core.refdata import Reference
from b12check.core.trends import Trends
from b12check.core.vocab import DISCLAIMER, STATUS_RESULT
from b12check.render.base import CACHE_LIMIT, Writer
from b12check.render.cells import escape_undecodable

# Inside JSON text: characters that line-splitting readers take for line ends (NEL, U+2028,
# U+2029) and lone surrogates (bytes that were not UTF-8), which json.dumps leaves raw.
_JSON_UNSAFE: Final = LazyPattern(r"[\u0085\u2028\u2029\ud800-\udfff]")


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in "\u0085\u2028\u2029":
        return f"\\u{ord(char):04x}"
    return json.dumps(escape_undecodable(char))[1:-1]  # "\\xFF" inside the JSON string


def json_safe(text: str) -> str:
    """JSON text with line separators escaped and undecodable bytes written as ``\\xFF``,
    so that it is valid UTF-8 and one line stays one line for every reader."""
    if text.isascii() or _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(_json_escape, text)


# json.dumps(value, ensure_ascii=False, allow_nan=False) makes an encoder like this one for
# every call; one made once writes the same text.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
SERIES_CHUNK = 100  # trend series encoded at once


def json_text(value: Any) -> str:
    """``value`` as one line of JSON: no NaN or Infinity (they raise), nothing unsafe raw."""
    return json_safe(_ENCODE(value))


class JsonLinesBase:
    """Shared by json and ndjson: a record is one JSON object on one line."""

    line_format = True

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._texts: dict[str, str] = {}

    def render(self, record: Record) -> str:
        return json_text(record.as_dict())

    def placeholder(self, token: str) -> str:
        return json.dumps(token)

    def text(self, value: str | None) -> str:
        if value is None:
            return "null"
        if value.isalnum():
            return f'"{value}"'  # nothing to escape
        rendered = self._texts.get(value)
        if rendered is None:
            rendered = json_text(value)
            if len(self._texts) < CACHE_LIMIT:
                self._texts[value] = rendered
        return rendered

    def plain(self, value: str) -> str:
        return f'"{value}"'

    def number(self, value: float) -> str:
        text = repr(value)
        if text[-1] in "fn":  # 'inf', 'nan': never written as a JSON number
            raise ValueError(f"{text} is not a number JSON can hold")
        return text


class JsonWriter(JsonLinesBase, Writer):
    """One JSON object: ``records`` (streamed item by item), ``summary``, ``trends`` (first
    and last value of each test measured on several dates per patient), ``disclaimer``."""

    separator = ",\n"
    observes = True

    def __init__(self, out: IO[str], reference: Reference | None = None) -> None:
        super().__init__(out)
        self.first = True
        self.trends = Trends()
        self.units = (
            {a.id: a.canonical_unit for a in reference.analytes.values()} if reference else {}
        )
        out.write('{"records": [')

    def write(self, record: Record) -> None:
        if record.status == STATUS_RESULT and not record.comparator:
            self.trends.add(
                record.patient,
                record.analyte,
                record.date,
                record.value,
                record.flag,
                record.canonical_unit or "",
            )
        self.write_rendered(self.render(record))

    def observe(self, line: FastLine) -> None:
        if line.comparator:  # as in write(): trends leave censored values out
            return
        unit = self.units.get(line.analyte, "")
        self.trends.add(line.patient, line.analyte, line.date, line.value, line.flag, unit)

    def observe_group(
        self,
        patient: str | None,
        date: str | None,
        results: Sequence[tuple[str, str, Any, Any]],
    ) -> None:
        self.trends.add_results(patient, date, results, self.units)

    def write_rendered(self, text: str) -> None:
        self.out.write("\n" if self.first else ",\n")
        self.first = False
        self.out.write(text)

    def close(self, summary: Summary) -> None:
        self.out.write("\n],\n")
        self.out.write(f'"summary": {json_text(summary.as_dict())},\n')
        # the series a hundred at a time: all 50,000 would be a large list to build, and
        # one encoding per series costs more than the series (the list's items are written
        # with the same ", " between them)
        self.out.write('"trends": {"series": [')
        chunk: list[dict[str, Any]] = []
        first = True
        for series in self.trends.items():
            chunk.append(series)
            if len(chunk) == SERIES_CHUNK:
                self._write_series(chunk, first)
                chunk, first = [], False
        if chunk:
            self._write_series(chunk, first)
        self.out.write(f'], "truncated": {json.dumps(self.trends.truncated)}')
        self.out.write(f', "dates_not_understood": {self.trends.undated}}},\n')
        self.out.write(f'"disclaimer": {json_text(DISCLAIMER)}}}\n')

    def _write_series(self, chunk: list[dict[str, Any]], first: bool) -> None:
        """Some series, as the items of a JSON list are written (without its brackets)."""
        self.out.write("" if first else ", ")
        self.out.write(json_text(chunk)[1:-1])


class NdjsonWriter(JsonLinesBase, Writer):
    """One record per line and nothing else."""

    def write(self, record: Record) -> None:
        self.out.write(self.render(record) + "\n")

    def write_rendered(self, text: str) -> None:
        self.out.write(text)  # (not text + "\n": a batch is too long to copy)
        self.out.write("\n")

    def close(self, summary: Summary) -> None:
        return None
