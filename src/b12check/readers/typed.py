"""Values typed on the command line (``NAME=VALUE``)."""

from b12check.core.evaluate import Settings, apply_patterns, evaluate
from b12check.core.records import Record
from b12check.core.vocab import STATUS_ERROR

TYPED_FILE = "argv"


def split_argument(argument: str) -> tuple[str, str] | None:
    name, sep, value = argument.partition("=")
    if not sep or not name.strip():
        return None
    return name.strip(), value.strip()


def typed_records(settings: Settings, arguments: tuple[str, ...]) -> list[Record]:
    """One record per argument, in order; patterns across the typed values are noted."""
    records = []
    for position, argument in enumerate(arguments, start=1):
        parts = split_argument(argument)
        if parts is None:
            records.append(
                Record(
                    status=STATUS_ERROR,
                    file=TYPED_FILE,
                    line=position,
                    value_text=argument,
                    reason=f"{argument!r} is not NAME=VALUE (for example b12=250pg/mL)",
                )
            )
            continue
        name, value = parts
        records.append(
            evaluate(settings, file=TYPED_FILE, line=position, name=name, value_text=value)
        )
    apply_patterns(records, settings.reference, settings.notes)
    return records
