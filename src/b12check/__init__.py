"""b12check: read nutrient lab results against configurable reference ranges.

The Python API (README, "Using b12check from Python") is loaded on first use of one of its
names, so that ``import b12check`` (which every command-line run does, for the version) stays
as cheap as it was.
"""

__version__ = "0.2.0"

TYPE_CHECKING = False  # (not typing's: importing typing would cost every run ~10 ms)
if TYPE_CHECKING:  # the names below, for type checkers (``X as X``: re-exported)
    from b12check.api import Observation as Observation
    from b12check.api import Ranges as Ranges
    from b12check.api import UnknownTest as UnknownTest
    from b12check.api import load_ranges as load_ranges
    from b12check.core.errors import ConfigError as ConfigError
    from b12check.core.result import BandRange as BandRange
    from b12check.core.result import Note as Note
    from b12check.core.result import Result as Result
    from b12check.core.vocab import FailOn as FailOn
    from b12check.core.vocab import Flag as Flag
    from b12check.core.vocab import LabRangePolicy as LabRangePolicy
    from b12check.core.vocab import NoteKind as NoteKind
    from b12check.core.vocab import NotesMode as NotesMode
    from b12check.core.vocab import Sex as Sex
    from b12check.core.vocab import Status as Status
    from b12check.core.vocab import UnitSystem as UnitSystem

# public name -> the module that defines it
_API = {
    "load_ranges": "b12check.api",
    "Ranges": "b12check.api",
    "Observation": "b12check.api",
    "UnknownTest": "b12check.api",
    "Result": "b12check.core.result",
    "Note": "b12check.core.result",
    "BandRange": "b12check.core.result",
    "ConfigError": "b12check.core.errors",
    "Flag": "b12check.core.vocab",
    "Status": "b12check.core.vocab",
    "NoteKind": "b12check.core.vocab",
    "Sex": "b12check.core.vocab",
    "NotesMode": "b12check.core.vocab",
    "LabRangePolicy": "b12check.core.vocab",
    "FailOn": "b12check.core.vocab",
    "UnitSystem": "b12check.core.vocab",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> object:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'b12check' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
