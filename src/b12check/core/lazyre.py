"""Regular expressions compiled on first use, from code compiled at build time when it can.

Compiling a pattern costs a few tenths of a millisecond; patterns that only rare inputs need
(wide layouts, non-ISO dates, lab ranges, glued lab flags) should not cost every run that.
Most of that cost is the pure-Python part of ``re`` turning the pattern into the regex engine's
code. ``python -m b12check.cli.build`` saves that code for every pattern made here
(``core/recode.py`` writes ``data/regex_code.json``), and a pattern is then built straight from
it. Only the very interpreter the code came from uses it (its version and regex engine's
magic number are in the file; the tests check that each saved pattern equals what
``re.compile`` makes); anything else compiles as usual.
"""

import os
import re
import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any

CODE_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "regex_code.json")

# every pattern made, in order: what the build saves the code of
MADE: "list[LazyPattern]" = []
_saved: dict[tuple[str, int], list[Any]] | None = None


def engine_tag() -> str:
    """The interpreter and regex engine saved code is valid for."""
    engine = import_module("_sre")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    words = (sys.implementation.name, version, engine.MAGIC, engine.CODESIZE, sys.byteorder)
    return "-".join(map(str, words))


def _load_saved() -> dict[tuple[str, int], list[Any]]:
    import json

    try:
        with open(CODE_FILE, encoding="utf-8") as handle:
            data = json.load(handle)
        if data["engine"] != engine_tag():
            return {}
        return {(source, flags): rest for source, flags, *rest in data["patterns"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _from_saved(source: str, flags: int) -> re.Pattern[str] | None:
    global _saved
    if _saved is None:
        _saved = _load_saved()
    entry = _saved.get((source, int(flags)))
    if entry is None:
        return None
    try:
        final_flags, code, groups, groupindex, indexgroup = entry
        words = memoryview(bytes.fromhex(code)).cast("I").tolist()  # (the engine's code units)
        pattern: re.Pattern[str] = import_module("_sre").compile(
            source, final_flags, words, groups, groupindex, tuple(indexgroup)
        )
    except (RuntimeError, TypeError, ValueError):  # a damaged file: the engine refuses it
        return None
    return pattern


class LazyPattern:
    __slots__ = ("_source", "_flags", "_compiled")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None
        MADE.append(self)

    @property
    def source(self) -> str:
        return self._source

    @property
    def flags(self) -> int:
        return int(self._flags)

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = _from_saved(self._source, self._flags) or re.compile(
                self._source, self._flags
            )
        return self._compiled

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def split(self, text: str) -> list[str]:
        return self.compiled.split(text)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.compiled.sub(replacement, text)
