"""Walking FHIR resources to the values they hold, each with its locator.

A Bundle (of any type) is walked entry by entry, a DiagnosticReport through its ``contained``
Observations, an Observation to its own value and each of its ``component``s. Patient
resources are remembered (sex and birth date) for the Observations whose subject they are.
Every Observation or component gives one ``Found``; any other resource one ``Found`` that is
skipped; a part that is not shaped as FHIR says so (``problem``), and the walk goes on with the
next entry. The locator is a FHIRPath from the root resource:
``Bundle.entry[3].resource.contained[0]``, ``Observation.component[1]``.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple, cast

from b12check.core.refdata import Reference
from b12check.core.vocab import PRELIMINARY_WARNING, WITHDRAWN_REASON
from b12check.readers.fhir_values import (
    Malformed,
    lab_flag,
    lab_range,
    listed,
    quantity_unit,
    range_key,
    test_name,
    text_of,
    unit_key,
    value_parts,
    when,
)

WITHDRAWN = frozenset({"entered-in-error", "cancelled"})
# Of a top-level Observation without ``contained``: the parts the walk reads only for the
# record's patient and date (``subject``, ``when``), and parts no step of the walk reads.
# (A cache in front of the core keys on the rest, run/fhircache.py.)
PLACE_PARTS = ("subject", "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
UNREAD_PARTS = (
    "id",
    "meta",
    "text",
    "identifier",
    "category",
    "performer",
    "note",
    "encounter",
    "basedOn",
    "partOf",
    "specimen",
    "method",
    "device",
    "bodySite",
    "hasMember",
    "derivedFrom",
)


class Person(NamedTuple):
    sex: str | None  # the Patient's gender as given (male, female, M ...)
    birth_date: str | None


class Found(NamedTuple):
    """One value found in a resource, or why there is none to read."""

    locator: str
    test: str = ""
    label: str = ""  # the code's text or display, as the record shows it
    value_text: str = ""
    unit: str | None = None
    lab_range: str | None = None
    lab_flag: str | None = None
    patient: str | None = None
    date: str | None = None
    person: Person | None = None
    warnings: tuple[str, ...] = ()
    problem: str | None = None  # the reason for an error record (no number to read)
    skip: str | None = None  # the reason for a skipped record


class Context(NamedTuple):
    """What a resource inside another takes from it: its subject and date, and the
    Patients ``contained`` in it (by ``#id``)."""

    subject: Any = None
    date: str | None = None
    local: dict[str, Person] | None = None


NO_CONTEXT = Context()
NAMES_KEPT = 4096  # test names remembered per run


def concept_key(concept: Any) -> Any:
    """What ``test_name`` reads of a CodeableConcept, as a key; None if it is not one."""
    if not isinstance(concept, dict):
        return None
    coding = concept.get("coding")
    if isinstance(coding, list):
        coding = tuple(
            (c.get("system"), c.get("code"), c.get("display")) if isinstance(c, dict) else 0
            for c in coding
        )
    elif coding is not None:
        return None
    return concept.get("text"), coding


def person_of(resource: dict[str, Any]) -> Person:
    gender = resource.get("gender")
    if isinstance(gender, dict):  # DSTU1: a CodeableConcept
        coding: Any = next(iter(listed(gender.get("coding"))), {})
        gender = coding.get("code") if isinstance(coding, dict) else None
    return Person(text_of(gender), text_of(resource.get("birthDate")))


class Walker:
    """Walks the resources of one run; Patients seen so far are known to later files."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.persons: dict[str, Person] = {}
        self.names: dict[Any, tuple[str, str]] = {}
        self.units: dict[Any, object] = {}
        self.ranges: dict[Any, tuple[str | None, list[str]]] = {}

    def walk(self, resource: Any, path: str, context: Context = NO_CONTEXT) -> Iterator[Found]:
        if not isinstance(resource, dict):
            yield Found(path, problem="not a FHIR resource (a JSON object)")
            return
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            yield Found(path, problem="no resourceType: not a FHIR resource")
            return
        path = path or kind
        if kind == "Patient":
            self.remember(resource, ())
            return
        contained = resource.get("contained")
        if contained:
            context = context._replace(local=self.contained_patients(contained, context))
        if kind == "Bundle":
            yield from self.bundle(resource, path)
        elif kind == "Observation":
            yield from self.observation(resource, path, context)
        elif kind != "DiagnosticReport":
            yield Found(path, skip=f"{kind} resource: not a lab result")
        if not contained:
            return
        inner = Context(
            resource.get("subject", context.subject), when(resource) or context.date, context.local
        )
        for index, inside in enumerate(listed(contained)):
            if isinstance(inside, dict) and inside.get("resourceType") == "Patient":
                continue
            yield from self.walk(inside, f"{path}.contained[{index}]", inner)

    def remember(self, patient: dict[str, Any], keys: tuple[str, ...]) -> None:
        person = person_of(patient)
        ident = text_of(patient.get("id"))
        for key in (*keys, f"Patient/{ident}" if ident else ""):
            if key:
                self.persons[key] = person

    def contained_patients(self, contained: Any, context: Context) -> dict[str, Person]:
        local = dict(context.local or {})
        for inside in listed(contained):
            if isinstance(inside, dict) and inside.get("resourceType") == "Patient":
                ident = text_of(inside.get("id"))
                if ident:
                    local[f"#{ident}"] = person_of(inside)
        return local

    def bundle(self, bundle: dict[str, Any], path: str) -> Iterator[Found]:
        entries = listed(bundle.get("entry"))
        for entry in entries:  # first the Patients, for every entry that names one
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
                url = text_of(entry.get("fullUrl"))
                self.remember(resource, (url,) if url else ())
        for index, entry in enumerate(entries):
            where = f"{path}.entry[{index}]"
            if not isinstance(entry, dict):
                yield Found(where, problem="a Bundle entry that is not an object")
            elif entry.get("resource") is None:
                yield Found(where, skip="a Bundle entry without a resource")
            else:
                yield from self.walk(entry["resource"], f"{where}.resource")

    def observation(self, resource: dict[str, Any], path: str, context: Context) -> Iterator[Found]:
        subject = resource.get("subject", context.subject)
        patient, person = self.subject(subject, context)
        date = when(resource) or context.date
        status = text_of(resource.get("status"))
        components = resource.get("component")
        common = Found(path, patient=patient, date=date, person=person)
        if status in WITHDRAWN:
            test, label = self.safe_name(resource)
            skip = f"status {status}: {WITHDRAWN_REASON}"
            yield common._replace(test=test, label=label, skip=skip)
            return
        warnings: tuple[str, ...] = ()
        if status == "preliminary":
            warnings = (PRELIMINARY_WARNING,)
        if components is not None and not isinstance(components, list):
            yield common._replace(problem="component is not a list")
            return
        if not components or any(k.startswith("value") for k in resource):
            yield self.value(resource, common, warnings)
        for index, component in enumerate(components or ()):
            where = f"{path}.component[{index}]"
            if not isinstance(component, dict):
                yield common._replace(locator=where, problem="a component that is not an object")
                continue
            yield self.value(component, common._replace(locator=where), warnings)

    def safe_name(self, element: dict[str, Any]) -> tuple[str, str]:
        try:
            return self.name(element.get("code"))
        except Malformed:
            return "", ""

    def name(self, concept: Any) -> tuple[str, str]:
        """``test_name``, remembered by the concept's text and codings (a bulk export names
        the same few tests on every line)."""
        key = concept_key(concept)
        if key is None:
            return test_name(concept, self.reference)
        try:
            known = self.names.get(key)
        except TypeError:  # a part that cannot be a key (a list where a text should be)
            return test_name(concept, self.reference)
        if known is None:
            known = test_name(concept, self.reference)
            if len(self.names) < NAMES_KEPT:
                self.names[key] = known
        return known

    def value(self, element: dict[str, Any], common: Found, warnings: tuple[str, ...]) -> Found:
        """The Found of one Observation or component: ``common`` (its place and person) with
        what the element itself says."""
        try:
            test, label = self.name(element.get("code"))
        except Malformed as exc:
            return common._replace(problem=str(exc), warnings=warnings)
        try:
            value_text, unit = value_parts(element, self.reference, self.unit)
            flag = lab_flag(element)
            range_text, range_warnings = self.range(element, unit)
        except (Malformed, TypeError, AttributeError, ValueError) as exc:
            # (a TypeError and the like: a shape no version of FHIR has)
            problem = str(exc) if isinstance(exc, Malformed) else f"not shaped as FHIR ({exc})"
            return common._replace(test=test, label=label, problem=problem, warnings=warnings)
        return Found(
            common.locator,
            test,
            label,
            value_text,
            unit,
            range_text,
            flag,
            common.patient,
            common.date,
            common.person,
            (*warnings, *range_warnings) if range_warnings else warnings,
        )

    def unit(self, quantity: dict[str, Any]) -> str | None:
        """``quantity_unit``, remembered by what it reads."""
        key = unit_key(quantity)
        try:
            known = self.units.get(key, self)
        except TypeError:
            return quantity_unit(quantity, self.reference)
        if known is self:
            known = quantity_unit(quantity, self.reference)  # (a Malformed is not kept)
            if len(self.units) < NAMES_KEPT:
                self.units[key] = known
        return cast("str | None", known)

    def range(self, element: dict[str, Any], unit: str | None) -> tuple[str | None, list[str]]:
        """``lab_range``, remembered by what it reads (the warnings copied)."""
        key = range_key(element, unit)
        try:
            known = self.ranges.get(key) if key is not None else None
        except TypeError:
            key = known = None
        if known is None:
            known = lab_range(element, unit, self.reference)
            if key is not None and len(self.ranges) < NAMES_KEPT:
                self.ranges[key] = known
        return known[0], list(known[1])

    def subject(self, subject: Any, context: Context) -> tuple[str | None, Person | None]:
        """The patient as the records name it, and the Patient resource if the input has it."""
        if not isinstance(subject, dict):
            return None, None
        reference = text_of(subject.get("reference"))
        identifier = subject.get("identifier")
        name = None if reference is None or reference.startswith("#") else reference
        if name is None and isinstance(identifier, dict):
            name = text_of(identifier.get("value"))
        name = name or text_of(subject.get("display")) or reference
        if reference is None:
            return name, None
        person = (context.local or {}).get(reference) or self.persons.get(reference)
        if person is None and "/" in reference:  # an absolute URL of a Patient/id
            person = self.persons.get("/".join(reference.rsplit("/", 2)[-2:]))
        return name, person
