"""Unit spellings and conversion factors derived from unit kinds, molar mass and valence."""

import math
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Final, NamedTuple

from b12check.core.lazyre import LazyPattern


class UnitDef(NamedTuple):
    kind: str  # per litre: mass (g), substance (mol), charge (eq) or fraction (a plain ratio)
    scale: float  # one of this unit, in base units of its kind


_CALC = LazyPattern(r"\((?:calc|calc\.|calculated)\)$")
# Any mass, amount of substance or charge per volume, as the folded key spells it (after
# unit_key: 'mcg/dL' is 'ug/dl'); UCUM's '[iU]/L' is an arbitrary unit no factor reaches.
_PER_VOLUME = LazyPattern(r"(?P<prefix>[fpnumcdk]?)(?P<base>g|mol|eq|\[iu\]|iu)/(?P<vol>[dmu]?)l")
PREFIXES: Final = {
    "": 1.0,
    "k": 1e3,
    "d": 1e-1,
    "c": 1e-2,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
_KINDS: Final = {
    "g": "mass",
    "mol": "substance",
    "eq": "charge",
    "[iu]": "arbitrary",
    "iu": "arbitrary",
}


def unit_key(text: str) -> str:
    """Fold a unit spelling to a lookup key: case, spaces, micro/mu, 'mcg' and a trailing
    '(calc)' (a calculated result is in the same unit) do not matter."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("\u03bc", "u").replace("mc", "u")
    key = "".join(folded.split())
    if key.endswith(")"):
        key = _CALC.sub("", key)
    return key


@lru_cache(maxsize=1024)  # (the SQL's unit table asks it of every spelling for every test)
def per_volume(text: str) -> UnitDef | None:
    """The kind and scale of any mass, amount or charge per volume (``ng/mL``, ``mcg/dL``,
    ``umol/L``, ``pmol/mL``, ``[iU]/L``), read by prefix; None for anything else."""
    match = _PER_VOLUME.fullmatch(unit_key(text))
    if match is None:
        return None
    scale = PREFIXES[match["prefix"]] / PREFIXES[match["vol"]]
    return UnitDef(_KINDS[match["base"]], float(f"{scale:.12g}"))


def build_spelling_index(
    codes: Mapping[str, object], spellings: Mapping[str, str]
) -> dict[str, str]:
    """Map folded spellings to unit codes: every code matches itself, plus the listed spellings."""
    index = {unit_key(code): code for code in codes}
    for spelling, code in spellings.items():
        index[unit_key(spelling)] = code
    return index


class NoFactor(ValueError):
    """The unit cannot be converted to the canonical unit with the facts given."""


class UnusableFactor(NoFactor):
    """The unit's scale (against the canonical unit's) gives a factor that is infinite, zero
    or not a number."""


def derive_factor(
    unit: UnitDef,
    canonical: UnitDef,
    molar_mass: float | None,
    valence: int | None,
) -> float:
    """Factor that turns a value in ``unit`` into the canonical unit.

    Both are taken to base units of their kind; crossing kinds needs the molar mass
    (grams per mole) or the valence (equivalents per mole).
    """
    per_mole = {"substance": 1.0}
    if molar_mass is not None:
        per_mole["mass"] = molar_mass
    if valence is not None:
        per_mole["charge"] = float(valence)
    if unit.kind == canonical.kind:
        return _tidy(unit.scale / canonical.scale)
    if unit.kind not in per_mole or canonical.kind not in per_mole:
        needs = {"mass": "a molar mass", "charge": "a valence"}
        missing = [
            needs[k] for k in (unit.kind, canonical.kind) if k in needs and k not in per_mole
        ]
        raise NoFactor("converting needs " + (" and ".join(missing) or "a common kind"))
    moles = unit.scale / per_mole[unit.kind]
    return _tidy(moles * per_mole[canonical.kind] / canonical.scale)


def _tidy(factor: float) -> float:
    """Drop binary noise from derived factors (5.584499999999999 -> 5.5845); refuse a factor
    that overflowed, vanished or is not a number, which would turn every value into NaN or
    infinity."""
    if not (math.isfinite(factor) and factor > 0 and math.isfinite(1 / factor)):
        raise UnusableFactor(
            f"its scale gives a factor of {factor!r} to the canonical unit, "
            "which is not a usable (finite, non-zero) number"
        )
    return float(f"{factor:.12g}")
