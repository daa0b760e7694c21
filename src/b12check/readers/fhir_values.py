"""The parts of one FHIR Observation (or one of its components) that b12check reads.

Plain dicts from the standard ``json`` module (numbers as ``int`` and ``float``, which
``number_text`` writes back as text for the core's strict number reader). Each function tolerates
the shapes of DSTU2, STU3 and R4/R4B: one object where a later version has a list
(``interpretation``), ``units`` where later versions have ``unit``, a number given as a string.
Nothing here decides a flag: the values go to the same core as a CSV row (``evaluate``).
"""

from collections.abc import Callable, Iterator
from typing import Any, Final

from b12check.core.names import loinc_code
from b12check.core.refdata import Reference

LOINC_SYSTEMS: Final = frozenset({"http://loinc.org", "urn:oid:2.16.840.1.113883.6.1"})
COMPARATORS: Final = frozenset({"<", "<=", ">=", ">"})


class Malformed(ValueError):
    """A part of a resource has a shape FHIR does not allow (one line, the reason)."""


def listed(value: Any) -> list[Any]:
    """``value`` as a list: a list as it is, one object as a list of it, nothing as []."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text_of(value: Any) -> str | None:
    """A stripped string, or None for anything else (a number kept as text is a string)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def number_text(value: Any) -> str | None:
    """A JSON number, or a number given as a string (DSTU2 portals do), as text for the
    core: 250 and 250.0 as '250', 6.6 as '6.6', NaN as 'nan' (which the core refuses);
    None for anything else (true, an object)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def codings(concept: Any) -> Iterator[dict[str, Any]]:
    """The codings of a CodeableConcept (DSTU1 to R5 all use a list; one object is taken)."""
    if not isinstance(concept, dict):
        return
    for coding in listed(concept.get("coding")):
        if isinstance(coding, dict):
            yield coding


def test_name(concept: Any, reference: Reference) -> tuple[str, str]:
    """(name for the names table, label to show). The name is a LOINC code b12check knows (or
    refuses), else the first of the text and the codings' displays and codes that it knows,
    else the first of them at all (so a skipped record names the test); the label is the
    code's text, else its first display, else the name."""
    if concept is not None and not isinstance(concept, dict):
        raise Malformed("code is not a CodeableConcept")
    candidates: list[str] = []
    text = text_of((concept or {}).get("text"))
    if text:
        candidates.append(text)
    loinc: str | None = None
    for coding in codings(concept):
        code = text_of(coding.get("code"))
        if code and coding.get("system") in LOINC_SYSTEMS and loinc_code(code):
            if code in reference.refused_codes or reference.codes.get(code):
                loinc = loinc or code
        candidates.extend(t for t in (text_of(coding.get("display")), code) if t)
    label = candidates[0] if candidates else ""
    if loinc:
        return loinc, label
    for candidate in candidates:
        try:
            if reference.lookup(candidate) is not None or reference.companion(candidate):
                return candidate, label
        except ValueError:  # a refused name: the core says why
            return candidate, label
    return label, label


_OTHER_VALUES: Final = (
    "valueCodeableConcept",
    "valueBoolean",
    "valueRange",
    "valueRatio",
    "valueSampledData",
    "valueAttachment",
    "valueTime",
    "valueDateTime",
    "valuePeriod",
    "valueReference",
)


UnitOf = Callable[[dict[str, Any]], str | None]


def value_parts(
    element: dict[str, Any], reference: Reference, unit_of: UnitOf | None = None
) -> tuple[str, str | None]:
    """(value text, unit text) of an Observation or component; Malformed says why there is
    no number to read (the reason an error record then gives)."""
    quantity = element.get("valueQuantity")
    if quantity is not None:
        return quantity_parts(quantity, reference, unit_of)
    if "valueString" in element:
        text = element["valueString"]
        if not isinstance(text, str):
            raise Malformed("valueString is not a string")
        return text.strip(), None
    if "valueInteger" in element:
        number = number_text(element["valueInteger"])
        if number is None:
            raise Malformed("valueInteger is not a number")
        return number, None
    absent = element.get("dataAbsentReason")
    if absent is not None:
        why = next((text_of(c.get("code")) for c in codings(absent)), None) or "unknown"
        text = text_of(absent.get("text")) if isinstance(absent, dict) else None
        raise Malformed(f"no value: the reason given is {why!r}" + (f" ({text})" if text else ""))
    for key in _OTHER_VALUES:
        if key in element:
            raise Malformed(f"the value is a {key[5:]}, not a number")
    raise Malformed("no value")


def quantity_parts(
    quantity: Any, reference: Reference, unit_of: UnitOf | None = None
) -> tuple[str, str | None]:
    if not isinstance(quantity, dict):
        raise Malformed("valueQuantity is not an object")
    given = quantity.get("value")
    if given is None:
        raise Malformed("valueQuantity has no value")
    number = number_text(given)
    if number is None:  # true, false or an object
        raise Malformed(f"valueQuantity.value {given!r} is not a number")
    comparator = quantity.get("comparator")
    if comparator is not None and comparator not in COMPARATORS:
        raise Malformed(f"comparator {comparator!r} is not one of < <= >= >")
    unit = unit_of(quantity) if unit_of is not None else quantity_unit(quantity, reference)
    return f"{comparator or ''}{number}", unit


def quantity_unit(quantity: dict[str, Any], reference: Reference) -> str | None:
    """The unit of a Quantity: its UCUM ``code``, ``unit`` or DSTU1's ``units``, whichever
    b12check knows; two that name different units are a Malformed (no guess between them)."""
    given = [t for t in (text_of(quantity.get(k)) for k in ("code", "unit", "units")) if t]
    known: dict[str, str] = {}
    for text in given:
        code = reference.unit_code(text)
        if code is not None:
            known.setdefault(code, text)
    if len(known) > 1:
        names = " and ".join(repr(t) for t in known.values())
        raise Malformed(f"the quantity names two different units, {names}")
    if known:
        return next(iter(known.values()))
    return given[0] if given else None


def lab_flag(element: dict[str, Any]) -> str | None:
    """The lab's interpretation code (v2 table 0078 or v3), else its text; one object
    (DSTU2, STU3) or a list (R4)."""
    for concept in listed(element.get("interpretation")):
        for coding in codings(concept):
            code = text_of(coding.get("code"))
            if code:
                return code
        if isinstance(concept, dict) and text_of(concept.get("text")):
            return text_of(concept.get("text"))
    return None


def range_key(element: dict[str, Any], unit: str | None) -> Any:
    """What ``lab_range`` reads of one element, as a key (None: read it each time)."""
    ranges = element.get("referenceRange")
    if ranges is None:
        return (unit,)
    if not isinstance(ranges, list) or len(ranges) != 1 or not isinstance(ranges[0], dict):
        return None
    chosen = ranges[0]
    sides = [chosen.get("low"), chosen.get("high")]
    for index, side in enumerate(sides):
        if isinstance(side, dict):
            sides[index] = (
                side.get("value"),
                side.get("unit"),
                side.get("code"),
                side.get("units"),
            )
        elif side is not None:
            return None
    return unit, sides[0], sides[1], chosen.get("text")


def unit_key(quantity: dict[str, Any]) -> Any:
    """What ``quantity_unit`` reads of a Quantity, as a key."""
    return quantity.get("code"), quantity.get("unit"), quantity.get("units")


def lab_range(
    element: dict[str, Any], unit: str | None, reference: Reference
) -> tuple[str | None, list[str]]:
    """The lab's reference range as text the lab-range reader takes (``6.6-26``, ``>=30``, or
    the range's own text), and warnings when a range is given but not used."""
    ranges = [r for r in listed(element.get("referenceRange")) if isinstance(r, dict)]
    if not ranges:
        return None, []
    bounded = [r for r in ranges if r.get("low") is not None or r.get("high") is not None]
    if len(bounded) > 1:
        return None, [
            f"{len(bounded)} reference ranges given (for different groups?); none of them used"
        ]
    chosen = bounded[0] if bounded else ranges[0]
    low, high = _bound(chosen.get("low")), _bound(chosen.get("high"))
    text = text_of(chosen.get("text"))
    warnings: list[str] = []
    if _is_zero(low) and _is_zero(high):
        warnings.append(
            "the lab's reference range 0–0 is not used (missing ranges are often written as zeros)"
        )
        low = high = None
    elif low is not None or high is not None:
        problem = _range_unit_problem(chosen, unit, reference)
        if problem:
            return None, [problem]
    if low is not None and high is not None:
        return f"{low}-{high}", warnings
    if low is not None:
        return f">={low}", warnings
    if high is not None:
        return f"<={high}", warnings
    if text:
        return text, warnings
    if not warnings:
        warnings.append("the lab's reference range is empty, so it is not used")
    return None, warnings


def _bound(quantity: Any) -> str | None:
    if isinstance(quantity, dict):
        return number_text(quantity.get("value"))
    return None


def _is_zero(text: str | None) -> bool:
    try:
        return text is not None and float(text) == 0
    except ValueError:
        return False


def _range_unit_problem(
    chosen: dict[str, Any], unit: str | None, reference: Reference
) -> str | None:
    """Why a range in another unit than the value cannot be compared with it, or None."""
    value_code = reference.unit_code(unit) if unit else None
    for side in ("low", "high"):
        bound = chosen.get(side)
        if not isinstance(bound, dict):
            continue
        for key in ("code", "unit", "units"):
            text = text_of(bound.get(key))
            code = reference.unit_code(text) if text else None
            if code is not None and value_code is not None and code != value_code:
                return (
                    f"the lab's reference range is in {text}, the value in {unit}: "
                    "the range is not used"
                )
    return None


def when(resource: dict[str, Any]) -> str | None:
    """The collection date as given: effectiveDateTime, effectivePeriod.start,
    effectiveInstant, else issued."""
    period = resource.get("effectivePeriod")
    start = period.get("start") if isinstance(period, dict) else None
    for value in (resource.get("effectiveDateTime"), start, resource.get("effectiveInstant")):
        if text_of(value):
            return text_of(value)
    return text_of(resource.get("issued"))
