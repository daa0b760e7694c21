"""Option values read and checked before any input is: one that cannot be used is a usage
error naming its option (``UsageProblem``), shown by click as its own."""

from typing import Any

from b12check.cli.usage import UsageProblem
from b12check.core.refdata import Reference
from b12check.core.vocab import HEADER_ROLES


def html_events(path: str | None, fmt: str) -> dict[str, Any] | None:
    """``--events FILE`` read before any input (a bad row is a usage error naming it);
    only the html format draws events, so with any other it is a usage error too."""
    if path is None:
        return None
    if fmt != "html":
        raise UsageProblem("--events is drawn only by --format html")
    from b12check.readers.events import load_events

    return {"events": load_events(path), "events_file": path}


def parse_guidelines(choices: tuple[str, ...], reference: Reference) -> tuple[tuple[str, str], ...]:
    """``--guideline NAME`` or ``ANALYTE=NAME``, read by the core; its refusal is a usage error."""
    from b12check.core.settings import parse_guidelines as read_guidelines

    try:
        return read_guidelines(choices, reference)
    except ValueError as exc:
        raise UsageProblem(str(exc), "--guideline") from None


def parse_columns(columns: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in columns:
        role, sep, header = item.partition("=")
        role = role.strip().lower()
        if not sep or role not in HEADER_ROLES or not header.strip():
            raise UsageProblem(
                f"{item!r}: expected ROLE=HEADER with ROLE one of {', '.join(HEADER_ROLES)}",
                "--column",
            )
        mapping[role] = header.strip()
    return mapping


def check_date_format(date_format: str | None) -> None:
    """A format strptime cannot use (``%Y%Y``) is a usage error, not a crash mid-output."""
    if date_format is None:
        return
    import re
    from datetime import datetime

    sample = datetime(2001, 2, 3, 4, 5, 6)
    try:
        datetime.strptime(sample.strftime(date_format), date_format)
    except (ValueError, re.error) as exc:
        raise UsageProblem(f"{date_format!r} cannot read dates ({exc})", "--date-format") from None


def check_encoding(encoding: str | None) -> None:
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageProblem(f"unknown encoding {encoding!r}", "--encoding") from None


def companion_tables(
    paths: tuple[str | None, str | None], headers: Any, reference: Reference
) -> list[Any]:
    """The --patients and --codes tables; one that cannot be used is a usage error."""
    if paths == (None, None):
        return []
    from b12check.readers.companion import CompanionProblem, load_codes, load_patients

    tables = []
    for path, load, option in zip(
        paths, (load_patients, load_codes), ("--patients", "--codes"), strict=True
    ):
        if path is None:
            continue
        try:
            tables.append(load(path, headers, reference))
        except CompanionProblem as exc:
            raise UsageProblem(str(exc), option) from None
    return tables


def check_analytes(analytes: frozenset[str], reference: Reference) -> None:
    """``--analyte``: test ids of the ranges in force; another is a usage error naming them."""
    unknown = sorted(analytes - set(reference.analytes))
    if unknown:
        known = ", ".join(reference.analytes)
        raise UsageProblem(
            f"unknown test id {', '.join(map(repr, unknown))}; known ids: {known}",
            "--analyte",
        )
