"""Everything a run knows, and finding a test or a unit in it by what an export calls it."""

from typing import TYPE_CHECKING, Any, NamedTuple

from b12check.core.analyte import Analyte, Companion
from b12check.core.errors import ValueProblem
from b12check.core.names import loinc_code, name_key
from b12check.core.notes_data import Note, Pattern
from b12check.core.units import NoFactor, UnitDef, derive_factor, per_volume, unit_key

if TYPE_CHECKING:
    from b12check.core.matching import NameMatcher

CACHE_LIMIT = 4096
NOT_COVERED = "not a test b12check covers"


class NameMatch(NamedTuple):
    """What a test's name (or LOINC code) is, as ``Reference.identify`` found it."""

    analyte: Analyte | None = None
    companion: Companion | None = None
    refused: str | None = None  # a known code b12check refuses, and why
    look_alike: str | None = None  # "looks like Vitamin D but is D-dimer ..."
    near: tuple[str, ...] = ()  # ids of close known names

    @property
    def skip_reason(self) -> str:
        """The reason of a skipped record for a name that is no test b12check reads."""
        if self.look_alike:
            return f"not covered: {self.look_alike}"
        if self.near:
            return f"{NOT_COVERED}; did you mean {' or '.join(self.near)}?"
        return NOT_COVERED


UNKNOWN = NameMatch()


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
        name_rules: dict[str, Any] | None = None,
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
        self.name_rules = name_rules or {}  # data/names.yaml: qualifiers and look-alikes
        self._matcher: NameMatcher | None = None
        self.names: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        # Exports repeat the same few test names and units on every row: remember the answers
        # (bounded, so a file of endless distinct names cannot grow memory).
        self._lookup_cache: dict[str, NameMatch] = {}
        self._unit_cache: dict[str, str | None] = {}
        # the lab's ranges as fitted to a test and unit (labpolicy.py), by their texts
        self.lab_fits: dict[tuple[str, str, float, str], Any] = {}
        for analyte in self.analytes.values():
            for name in (analyte.id, analyte.name, analyte.short_name, *analyte.aliases):
                key = name_key(name)
                if key:  # (a name of no letter or digit is refused when validated)
                    self.names.setdefault(key, analyte.id)
            for code in analyte.loinc:
                self.codes[code] = analyte.id

    def lookup(self, text: str) -> Analyte | None:
        """The analyte for a name or LOINC code; None if unknown; ValueProblem if refused."""
        found = self.identify(text)
        if found.refused:
            raise ValueProblem(found.refused)
        return found.analyte

    def identify(self, text: str) -> NameMatch:
        """What ``text`` names: a test, a companion test, a refused code, a look-alike of a
        covered test, a close miss or nothing (remembered per text, within a bound)."""
        found = self._lookup_cache.get(text)
        if found is None:
            found = self._identify(text)
            if len(self._lookup_cache) < CACHE_LIMIT:
                self._lookup_cache[text] = found
        return found

    def _identify(self, text: str) -> NameMatch:
        code = loinc_code(text)
        if code is not None:
            if code in self.refused_codes:
                return NameMatch(refused=self.refused_codes[code])
            return self._by_id(self.codes.get(code) or self.companion_names.get(code))
        key = name_key(text)
        if not key:
            return UNKNOWN
        found = self.names.get(key) or self.companion_names.get(key)
        if found:
            return self._by_id(found)
        verdict = self.matcher().match(text)
        if verdict.means:
            return NameMatch(look_alike=self._look_alike(verdict.looks_like, verdict.means))
        if verdict.test_id:
            return self._by_id(verdict.test_id)
        return NameMatch(near=verdict.near)

    def _look_alike(self, test_id: str | None, means: str) -> str:
        looks = self._by_id(test_id)
        test = looks.analyte or looks.companion
        return f"looks like {test.name} but is {means}" if test else f"is {means}"

    def _by_id(self, test_id: str | None) -> NameMatch:
        if test_id in self.analytes:
            return NameMatch(analyte=self.analytes[test_id])
        if test_id in self.companions:
            return NameMatch(companion=self.companions[test_id])
        return UNKNOWN

    def matcher(self) -> "NameMatcher":
        """The name rules with every name of the tests, built when first needed."""
        if self._matcher is None:
            from b12check.core.matching import NameMatcher  # only for a name not an alias

            names: dict[str, tuple[str, ...]] = {
                a.id: (a.id, a.name, a.short_name, *a.aliases) for a in self.analytes.values()
            }
            for key, test_id in self.companion_names.items():
                if not loinc_code(key):
                    names[test_id] = (*names.get(test_id, ()), key)
            self._matcher = NameMatcher(self.name_rules, names)
        return self._matcher

    def unknown_message(self, text: str) -> str:
        """The error for a name that is no test b12check reads (``check``, ``--guideline``,
        the API): why, or what it may have meant."""
        found = self.identify(text)
        if found.look_alike:
            return f"{text!r} is not covered: {found.look_alike}"
        return f"unknown test {text!r}{self.suggestions(text)}"

    def guideline_names(self) -> set[str]:
        """Every guideline name of any test, the default ones' included."""
        names: set[str] = set()
        for analyte in self.analytes.values():
            names.update(analyte.guidelines)
        return names

    def companion(self, text: str) -> Companion | None:
        """The companion test (read, never flagged) named by ``text``, if any."""
        return self.identify(text).companion

    def find(self, text: str) -> Analyte:
        """The analyte named by an id, a name, an alias or a LOINC code; else a clear error."""
        analyte = self.lookup(text)
        if analyte is None:
            raise ValueProblem(self.unknown_message(text))
        return analyte

    def suggestions(self, text: str) -> str:
        from b12check.core.matching import close_ids  # only when a name is unknown

        known: dict[tuple[str, ...], str] = {
            (name_key(a.id),): a.id for a in self.analytes.values()
        }
        for key, analyte_id in self.names.items():
            known.setdefault((key,), analyte_id)
        ids = close_ids((name_key(text),), known, strict=False)
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
