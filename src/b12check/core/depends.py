"""What a result depends on, as the core sees it: for caches that sit in front of ``evaluate``.

``evaluate`` turns a value into a record from the run's settings, the value's own texts (test
name or code, value, unit, sex, the lab's range and flag, the column it came from) and the
person's age. Some record fields it only copies through: the place and the person of the row.
Those are ``PER_ROW_FIELDS``; a cache renders them per row and everything else once per key.

Ages vary from row to row, but a result only looks at an age through the age groups of the
bands (which group's bands apply, for every test and guideline) and through whether the person
is a child. ``AgeKeys`` turns an age into a key that is equal for two ages exactly when
``evaluate`` treats them alike (apart from copying the age into the record).
"""

from bisect import bisect_left
from collections.abc import Hashable

from b12check.core.refdata import Reference

# Record fields evaluate copies from its arguments without reading them.
PER_ROW_FIELDS = ("line", "patient", "date", "age")
ADULT_AGE = 18.0  # under it, the built-in bands carry a warning (evaluate)
_KEYS_LIMIT = 256  # age cells remembered per reference (few: the edges of age groups)


class AgeKeys:
    """Ages to keys for one reference.

    Every age-group edge of every band (default bands and guidelines) cuts the line of ages
    into cells; between two edges, or on one, all ages fall in the same groups. The key of a
    cell is the bands ``Analyte.bands_for`` chooses there for each test and guideline, plus
    whether the age is under 18. Where some test has no band at all for an age, its reason
    names the age itself, so the key is then the age.
    """

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        edges = {ADULT_AGE}
        for analyte in reference.analytes.values():
            band_sets = [analyte.bands, *(g.bands for g in analyte.guidelines.values())]
            for bands in band_sets:
                for band in bands:
                    if band.age is not None:
                        edges.update(e for e in (band.age.low, band.age.high) if e is not None)
        self.edges = tuple(sorted(edges))
        self._by_cell: dict[tuple[int, bool], Hashable] = {}
        self._numbers: dict[Hashable, int] = {}  # each distinct key as a small number

    def key(self, age: float | None) -> Hashable:
        """The key of ``age`` (None: no age known)."""
        if age is None:
            return None
        edges = self.edges
        index = bisect_left(edges, age)
        cell = (index, index < len(edges) and edges[index] == age)
        known = self._by_cell.get(cell)
        if known is not None:
            return known
        chosen = []
        for analyte in self.reference.analytes.values():
            for guideline in (None, *analyte.guidelines):
                bands = analyte.bands_for(guideline, age)
                if not bands:
                    return ("exact", age)  # "no band covers age N": the age is in the text
                chosen.append(bands)
        # (a number stands for the bands chosen: cheap to hash on every row)
        found = self._numbers.setdefault((age < ADULT_AGE, tuple(chosen)), len(self._numbers))
        if len(self._by_cell) < _KEYS_LIMIT:
            self._by_cell[cell] = found
        return found
