"""Everything a run knows, and finding a test or a unit in it by what an export calls it."""

from typing import Any

from b12check.core.analyte import Analyte, Companion
from b12check.core.errors import ValueProblem
from b12check.core.names import loinc_code, name_key
from b12check.core.notes_data import Note, Pattern
from b12check.core.units import NoFactor, UnitDef, derive_factor, per_volume, unit_key

CACHE_LIMIT = 4096


class Reference:
    """Analytes, units (with their kinds), unit spellings, refused codes, notes, patterns."""

    def __init__(
        self,
        *,
        analytes: dict[str, Analyte],
        refused_codes: dict[str, str],
        unit_index: dict[str, str],
        notes: tuple[Note, ...],
        patterns: tuple[Pattern, ...],
        origins: tuple[str, ...],
        headers: dict[str, Any] | None = None,
        companions: dict[str, Companion] | None = None,
        companion_names: dict[str, str] | None = None,
        units: dict[str, UnitDef] | None = None,
    ) -> None:
        self.analytes = analytes
        self.companions = companions or {}
        self.companion_names = companion_names or {}  # folded name or LOINC code -> id
        self.refused_codes = refused_codes
        self.unit_index = unit_index
        self.units = units or {}  # unit code -> kind and scale, overlays included
        self.notes = notes
        self.patterns = patterns
        self.origins = origins
        self.headers = headers or {}  # column header aliases (scan)
        self.names: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        # Exports repeat the same few test names and units on every row: remember the answers
        # (bounded, so a file of endless distinct names cannot grow memory).
        self._lookup_cache: dict[str, Analyte | str | None] = {}
        self._unit_cache: dict[str, str | None] = {}
        # the lab's ranges as fitted to a test and unit (labpolicy.py), by their texts
        self.lab_fits: dict[tuple[str, str, float, str], Any] = {}
        for analyte in self.analytes.values():
            for name in (analyte.id, analyte.name, analyte.short_name, *analyte.aliases):
                self.names.setdefault(name_key(name), analyte.id)
            for code in analyte.loinc:
                self.codes[code] = analyte.id

    def lookup(self, text: str) -> Analyte | None:
        """The analyte for a name or LOINC code; None if unknown; ValueProblem if refused."""
        cached: Analyte | str | None
        if text in self._lookup_cache:
            cached = self._lookup_cache[text]
        else:
            try:
                cached = self._lookup(text)
            except ValueProblem as exc:
                cached = str(exc)  # a refused code: remember the reason
            if len(self._lookup_cache) < CACHE_LIMIT:
                self._lookup_cache[text] = cached
        if isinstance(cached, str):
            raise ValueProblem(cached)
        return cached

    def _lookup(self, text: str) -> Analyte | None:
        code = loinc_code(text)
        if code is not None:
            if code in self.refused_codes:
                raise ValueProblem(self.refused_codes[code])
            found = self.codes.get(code)
        else:
            found = self.names.get(name_key(text))
        return self.analytes[found] if found else None

    def guideline_names(self) -> set[str]:
        """Every guideline name of any test, the default ones' included."""
        names: set[str] = set()
        for analyte in self.analytes.values():
            names.update(analyte.guidelines)
        return names

    def companion(self, text: str) -> Companion | None:
        """The companion test (read, never flagged) named by ``text``, if any."""
        key = loinc_code(text) or name_key(text)
        found = self.companion_names.get(key)
        return self.companions[found] if found else None

    def find(self, text: str) -> Analyte:
        """The analyte named by an id, a name, an alias or a LOINC code; else a clear error."""
        analyte = self.lookup(text)
        if analyte is None:
            raise ValueProblem(f"unknown test {text!r}" + self.suggestions(text))
        return analyte

    def suggestions(self, text: str) -> str:
        import difflib  # only when a name is unknown

        by_key = {name_key(a.id): a.id for a in self.analytes.values()}
        for key, analyte_id in self.names.items():
            by_key.setdefault(key, analyte_id)
        close = difflib.get_close_matches(name_key(text), list(by_key), n=6, cutoff=0.6)
        ids = list(dict.fromkeys(by_key[key] for key in close))
        if not ids:
            return f"; known tests: {', '.join(self.analytes)}"
        return f"; did you mean {' or '.join(ids)}?"

    def unit_code(self, text: str) -> str | None:
        if text in self._unit_cache:
            return self._unit_cache[text]
        code = self.unit_index.get(unit_key(text))
        if len(self._unit_cache) < CACHE_LIMIT:
            self._unit_cache[text] = code
        return code

    def unit_factor(self, analyte: Analyte, text: str) -> tuple[str, float] | None:
        """(unit, factor to the canonical unit) for a unit ``analyte`` takes: one of its
        listed units (the code), or any mass, amount or charge per volume its molar mass or
        valence converts (the text as written); None for any other unit."""
        code = self.unit_code(text)
        if code is not None and code in analyte.factors:
            return code, analyte.factors[code]
        unit = self.units.get(code) if code is not None else per_volume(text)
        canonical = self.units.get(analyte.canonical_unit)
        if unit is None or canonical is None:
            return None
        try:
            return text.strip(), derive_factor(unit, canonical, analyte.molar_mass, analyte.valence)
        except NoFactor:
            return None

    def same_unit(self, first: str, second: str) -> bool:
        """Whether two spellings name the same unit (``ug/L`` and ``mcg/L``, ``ng/mL``)."""
        one, other = self.unit_code(first), self.unit_code(second)
        if one is not None or other is not None:
            return one == other
        return per_volume(first) == per_volume(second) and (
            per_volume(first) is not None or unit_key(first) == unit_key(second)
        )

    def unit_kind(self, code: str) -> str | None:
        """Kind of a unit code (mass, substance, charge or fraction); None if not in the table."""
        unit = self.units.get(code)
        return None if unit is None else unit.kind
