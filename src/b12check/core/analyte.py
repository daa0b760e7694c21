"""One test as a run sees it: names, units and factors, plausibility, and its guidelines.

Plain classes with ``__slots__`` rather than dataclasses: this module loads on every run, and
building dataclasses costs start-up time the targets do not leave room for.
"""

from typing import NamedTuple

from b12check.core.bands import Band, Guideline, Scale
from b12check.core.numbers import Interval


class UnitCheck(NamedTuple):
    unit: str
    suggest: str
    above: float | None
    below: float | None


class Companion(NamedTuple):
    """A test read only to derive another (UIBC, for TIBC); never flagged."""

    id: str
    name: str
    canonical_unit: str
    factors: dict[str, float]
    source: str


class Analyte:
    """One test: names, units and factors, plausibility and guidelines (the default first).

    A guideline name that is ``None`` or one the test does not have means the default
    guideline; ``guideline()`` is the one place that choice is made.
    """

    __slots__ = (
        "id",
        "name",
        "short_name",
        "measures",
        "aliases",
        "loinc",
        "canonical_unit",
        "conventional_unit",
        "si_unit",
        "factors",
        "fraction_as_percent",
        "plausible",
        "expected",
        "unit_checks",
        "molar_mass",
        "valence",
        "default_guideline",
        "guidelines",
        "_default",
        "_scales",
        "_ageless",
    )

    def __init__(
        self,
        *,
        id: str,
        name: str,
        short_name: str,
        measures: str,
        aliases: tuple[str, ...],
        loinc: tuple[str, ...],
        canonical_unit: str,
        conventional_unit: str,
        si_unit: str,
        factors: dict[str, float],
        fraction_as_percent: bool,
        plausible: Interval,
        expected: Interval,
        unit_checks: tuple[UnitCheck, ...],
        guidelines: dict[str, Guideline],
        molar_mass: float | None,
        valence: int | None,
    ) -> None:
        defaults = [name for name, guideline in guidelines.items() if guideline.default]
        if len(defaults) != 1:
            raise ValueError(f"{id}: exactly one guideline must be the default, not {defaults}")
        self.id = id
        self.name = name
        self.short_name = short_name
        self.measures = measures
        self.aliases = aliases
        self.loinc = loinc
        self.canonical_unit = canonical_unit
        self.conventional_unit = conventional_unit
        self.si_unit = si_unit
        self.factors = factors  # unit -> factor to the canonical unit
        self.fraction_as_percent = fraction_as_percent
        self.plausible = plausible
        self.expected = expected
        self.unit_checks = unit_checks
        self.molar_mass = molar_mass
        self.valence = valence
        self.default_guideline = defaults[0]  # the name the default bands go by
        self.guidelines = guidelines  # name -> guideline, the default one included
        self._default = guidelines[defaults[0]]
        self._scales: dict[tuple[str | None, str, str, Interval | None], Scale] = {}
        self._ageless: dict[str, tuple[Band, ...]] = {}

    def guideline(self, name: str | None = None) -> Guideline:
        """The guideline called ``name``; the default one for ``None`` or a name it lacks."""
        if name is None:
            return self._default
        return self.guidelines.get(name, self._default)

    @property
    def bands(self) -> tuple[Band, ...]:
        """The default guideline's bands."""
        return self.guideline().bands

    @property
    def paired_edges(self) -> dict[str, dict[float, float]]:
        """The default guideline's paired edges (unit -> edge -> the edge printed in it)."""
        return self.guideline().paired_edges

    def bands_of(self, guideline: str | None) -> tuple[Band, ...]:
        return self.guideline(guideline).bands

    def bands_for(self, guideline: str | None, age: float | None) -> tuple[Band, ...]:
        """The bands that apply at ``age``: those of a matching age group if the data has one,
        else those without an age (empty: no band covers this person)."""
        chosen = self.guideline(guideline)
        if age is not None:
            matching = tuple(b for b in chosen.bands if b.age is not None and b.age.contains(age))
            if matching:
                return matching
        ageless = self._ageless.get(chosen.name)
        if ageless is None:  # the same for every value read: worked out once
            ageless = tuple(b for b in chosen.bands if b.age is None)
            self._ageless[chosen.name] = ageless
        return ageless

    def group_bands(self, guideline: str | None, age: Interval | None) -> tuple[Band, ...]:
        """The bands of one age group (``None``: the bands without an age), as ``bands_for``
        picks them for an age inside it (validated: age groups never overlap)."""
        return tuple(band for band in self.guideline(guideline).bands if band.age == age)

    def group_scale(
        self, sex: str | None, unit: str, guideline: str | None, age: Interval | None
    ) -> Scale:
        """The scale ``scale()`` gives for an age inside the age group ``age`` (the SQL
        generator lays out every group's scale without picking an age in it)."""
        name = self.guideline(guideline).name
        return self._build_scale(sex, unit, name, self.group_bands(name, age))

    def age_specific_in(self, guideline: str | None) -> bool:
        return any(band.age is not None for band in self.bands_of(guideline))

    def sex_specific_in(self, guideline: str | None, age: float | None = None) -> bool:
        return any(band.sex for band in self.bands_for(guideline, age))

    @property
    def sex_specific(self) -> bool:
        return self.sex_specific_in(None)

    @property
    def unit_needed(self) -> bool:
        """True when the accepted units differ by a factor, so a bare number is ambiguous."""
        return len(set(self.factors.values())) > 1

    def edge_in(self, unit: str, edge: float, guideline: str | None = None) -> float:
        """A band edge (canonical unit) in ``unit``: the printed pair if the data gives one,
        else converted and rounded to 12 significant digits."""
        paired = self.guideline(guideline).paired_edges.get(unit, {}).get(edge)
        if paired is not None:
            return paired
        return float(f"{edge / self.factors[unit]:.12g}")

    def scale(
        self, sex: str | None, unit: str, guideline: str | None = None, age: float | None = None
    ) -> Scale:
        """Cut points in ``unit`` for the bands that apply; an empty scale (no bands) when no
        band covers this age."""
        name = self.guideline(guideline).name
        chosen = self.bands_for(name, age)
        group = chosen[0].age if chosen else None
        key = (sex, unit, name, group)
        cached = self._scales.get(key)
        if cached is None:
            cached = self._scales[key] = self._build_scale(sex, unit, name, chosen)
        return cached

    def _build_scale(
        self, sex: str | None, unit: str, guideline: str, chosen: tuple[Band, ...]
    ) -> Scale:
        bands = sorted(
            (band for band in chosen if band.sex in (None, sex)),
            key=lambda band: -1e308 if band.interval.low is None else band.interval.low,
        )
        cuts: list[float] = []
        upper: list[bool] = []
        for band in bands[1:]:
            low = band.interval.low
            assert low is not None  # validated: bands tile the line
            cuts.append(self.edge_in(unit, low, guideline))
            upper.append(band.interval.low_inclusive)
        return Scale(tuple(cuts), tuple(upper), tuple(bands))
