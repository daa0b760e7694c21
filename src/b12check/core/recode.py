"""Build time: the regex engine's code for every ``LazyPattern`` in b12check (``lazyre.py``).

``python -m b12check.cli.build`` writes it to ``data/regex_code.json``; ``--check`` fails when
a pattern was added or changed without rebuilding. It uses ``re``'s own parser and code
generator (internal modules, which is why the file names the interpreter it is valid for).
"""

import importlib
import json
import pkgutil
import sys
from typing import Any

import b12check
from b12check.core.lazyre import MADE, engine_tag


def _every_module() -> None:
    """Import every module of b12check, so that every pattern has been made."""
    for module in pkgutil.walk_packages(b12check.__path__, "b12check."):
        if module.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(module.name)


def _code(source: str, flags: int) -> list[Any]:
    """What ``re.compile(source, flags)`` hands the engine, as JSON."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(source, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    final_flags = flags | parsed.state.flags
    # code units of 4 bytes (the engine's CODESIZE, in the tag) in the machine's byte order
    text = b"".join(unit.to_bytes(4, sys.byteorder) for unit in code).hex()
    return [source, flags, final_flags, text, parsed.state.groups - 1, groupindex, indexgroup]


def render_code() -> str:
    _every_module()
    keys = sorted({(pattern.source, pattern.flags) for pattern in MADE})
    lines = ",\n".join(
        json.dumps(_code(source, flags), ensure_ascii=False) for source, flags in keys
    )
    return f'{{"engine": {json.dumps(engine_tag())},\n"patterns": [\n{lines}\n]}}\n'
